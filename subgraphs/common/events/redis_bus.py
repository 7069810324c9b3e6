"""The Redis :class:`~subgraphs.common.events.bus.EventBus`: one Redis Stream per topic.

========================  ==================================================================
bus                       Redis
========================  ==================================================================
topic ``t``               stream ``<prefix>t``
publish                   ``XADD <prefix>t [MAXLEN ~ n] * id … topic … key … payload …``
                          (``payload`` is JSON text; ``reply_to`` when there is one)
group                     consumer group, created with ``XGROUP CREATE … 0 MKSTREAM`` (at
                          the start of the stream; ``BUSYGROUP`` means it exists: fine)
first read of a consumer  ``XREADGROUP … <prefix>t 0``: its own pending entries (a restart)
then, every half           ``XAUTOCLAIM … <visibility timeout> <cursor>``: entries another
visibility timeout        consumer took and did not acknowledge in time (it was killed)
otherwise                 ``XREADGROUP … BLOCK … <prefix>t >``: new entries
ack                       ``XACK``
========================  ==================================================================

Connection failures, timeouts, ``LOADING``, ``READONLY`` and ``OOM`` become
:class:`~subgraphs.common.events.bus.BusUnavailable`; the caller backs off and calls again,
and the client reconnects. A group that vanished (``NOGROUP``: Redis restarted without
persistence, or the stream was deleted) is created again at the start of the stream.
Trimming (``max_length``, about 100 000 entries per stream by default, so acknowledged
entries do not pile up in Redis's memory) or losing the stream loses no event of a topic
with declared subscribers: the relay re-publishes what they did not confirm (see
:mod:`subgraphs.common.events.relay`). For other topics a group lagging by more than
``max_length`` entries would miss the oldest; pass None to never trim.

Without persistence (``--save "" --appendonly no``) a Redis restart loses every stream,
group and pending entry; with AOF and ``appendfsync everysec`` (Redis's default) it may
lose the last second of writes. Either way the outbox re-publishes what no group
confirmed, and consumers skip what they already applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from subgraphs.common.events.bus import (
    DEFAULT_MAX_LENGTH,
    BusUnavailable,
    Delivery,
    Event,
    EventBusError,
    JSONObject,
    check_name,
)

__all__ = ["DEFAULT_PREFIX", "RedisStreamBus"]

DEFAULT_PREFIX = "tandem:events:"
"""Stream keys are ``<prefix><topic>``; give each deployment (and each test) its own."""

_UNAVAILABLE = (
    redis_errors.ConnectionError,  # includes BusyLoadingError (LOADING)
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # a replica, during a failover
    redis_errors.OutOfMemoryError,  # maxmemory reached: the bus cannot take more now
    OSError,
)

Entry = tuple[str, Mapping[str, str] | None]


class RedisStreamBus:
    """An event bus on Redis Streams (``redis.asyncio``); see the module docstring.

    ``visibility_timeout`` (seconds) is how long a delivery may stay unacknowledged before
    another consumer of the group may claim it: longer than the slowest handler.
    ``max_length`` trims each stream to about that many entries (None: never trim).
    ``socket_timeout`` bounds every command; reads block for less than it.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        visibility_timeout: float = 30.0,
        max_length: int | None = DEFAULT_MAX_LENGTH,
        socket_timeout: float = 5.0,
    ) -> None:
        if visibility_timeout <= 0:
            raise ValueError("visibility_timeout must be positive")
        self.prefix = prefix
        self.visibility_timeout = visibility_timeout
        self.max_length = max_length
        self._socket_timeout = socket_timeout
        self._redis: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=socket_timeout,
            socket_connect_timeout=min(socket_timeout, 2.0),
            retry=Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries=1),
        )
        self._groups: set[tuple[str, str]] = set()
        self._recovering: dict[tuple[str, str, str], str] = {}
        self._recovered: set[tuple[str, str, str]] = set()
        self._claim_cursor: dict[tuple[str, str, str], str] = {}
        self._claimed_at: dict[tuple[str, str, str], float] = {}

    def stream(self, topic: str) -> str:
        """The Redis key of ``topic``'s stream."""
        return self.prefix + check_name("topic", topic)

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        """``XADD`` the event; returns the stream entry id."""
        fields: dict[str, str] = {
            "id": event_id,
            "topic": topic,
            "key": key,
            "payload": json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        }
        if reply_to is not None:
            fields["reply_to"] = check_name("topic", reply_to)
        stream = self.stream(topic)
        async with _translated_errors():
            message_id = await self._redis.xadd(
                stream,
                fields,  # type: ignore[arg-type]  # redis-py's invariant Dict[FieldT, EncodableT]
                maxlen=self.max_length,
                approximate=True,
            )
        return str(message_id)

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        """Own pending entries (after a restart), then claimed, then new ones; see the table."""
        stream = self.stream(topic)
        check_name("group", group)
        check_name("consumer", consumer)
        if block >= self._socket_timeout:
            raise ValueError("block must be shorter than the socket timeout")
        async with _translated_errors():
            try:
                return await self._read(stream, group, consumer, count, block)
            except redis_errors.ResponseError as error:
                if not str(error).startswith("NOGROUP"):
                    raise
                self._groups.discard((stream, group))  # Redis lost it: create it again
                return await self._read(stream, group, consumer, count, block)

    async def ack(self, delivery: Delivery) -> None:
        """``XACK`` the delivery's entry for its group."""
        stream = self.stream(delivery.event.topic)
        async with _translated_errors():
            await self._redis.xack(stream, delivery.group, delivery.message_id)

    async def close(self) -> None:
        """Close the client's connections."""
        await self._redis.aclose()

    async def pending_count(self, topic: str, group: str) -> int:
        """How many deliveries of ``group`` on ``topic`` are not acknowledged (``XPENDING``)."""
        async with _translated_errors():
            try:
                summary = await self._redis.xpending(self.stream(topic), group)
            except redis_errors.ResponseError as error:
                if str(error).startswith("NOGROUP"):
                    return 0
                raise
        return int(summary["pending"])

    async def delete_topics(self, *topics: str) -> None:
        """Delete the streams of ``topics`` (with their groups); for tests and tear-down."""
        if topics:
            async with _translated_errors():
                await self._redis.delete(*(self.stream(topic) for topic in topics))

    async def _read(
        self, stream: str, group: str, consumer: str, count: int, block: float
    ) -> list[Delivery]:
        await self._ensure_group(stream, group)
        me = (stream, group, consumer)
        if me not in self._recovered:
            start = self._recovering.get(me, "0")
            entries = await self._read_group(stream, group, consumer, start, count, None)
            if entries:
                self._recovering[me] = entries[-1][0]
                return await self._deliveries(stream, group, consumer, entries, redelivered=True)
            self._recovered.add(me)
            self._recovering.pop(me, None)
        if time.monotonic() - self._claimed_at.get(me, 0.0) >= self.visibility_timeout / 2:
            claimed = await self._claim(me, count)
            if claimed:
                return await self._deliveries(stream, group, consumer, claimed, redelivered=True)
        entries = await self._read_group(stream, group, consumer, ">", count, block)
        return await self._deliveries(stream, group, consumer, entries, redelivered=False)

    async def _ensure_group(self, stream: str, group: str) -> None:
        if (stream, group) in self._groups:
            return
        try:
            await self._redis.xgroup_create(stream, group, id="0", mkstream=True)
        except redis_errors.ResponseError as error:
            if not str(error).startswith("BUSYGROUP"):
                raise
        self._groups.add((stream, group))

    async def _read_group(
        self, stream: str, group: str, consumer: str, start: str, count: int, block: float | None
    ) -> list[Entry]:
        response = await self._redis.xreadgroup(
            group,
            consumer,
            {stream: start},
            count=count,
            block=None if block is None else max(1, int(block * 1000)),
        )
        return _entries_of(response, stream)

    async def _claim(self, me: tuple[str, str, str], count: int) -> list[Entry]:
        stream, group, consumer = me
        cursor = self._claim_cursor.get(me, "0-0")
        response = await self._redis.xautoclaim(
            stream,
            group,
            consumer,
            min_idle_time=int(self.visibility_timeout * 1000),
            start_id=cursor,
            count=count,
        )
        next_cursor = str(response[0])
        self._claim_cursor[me] = next_cursor
        if next_cursor == "0-0":  # a full pass over the pending entries is done
            self._claimed_at[me] = time.monotonic()
        return [(str(mid), fields) for mid, fields in response[1] if mid is not None]

    async def _deliveries(
        self, stream: str, group: str, consumer: str, entries: list[Entry], *, redelivered: bool
    ) -> list[Delivery]:
        deliveries: list[Delivery] = []
        unreadable: list[str] = []
        for message_id, fields in entries:
            event = _event_of(fields, self.prefix, stream)
            if event is None:  # trimmed while pending, or not written by a bus
                unreadable.append(message_id)
                continue
            deliveries.append(
                Delivery(
                    event=event,
                    group=group,
                    consumer=consumer,
                    message_id=message_id,
                    redelivered=redelivered,
                )
            )
        if unreadable:
            await self._redis.xack(stream, group, *unreadable)
        return deliveries


@asynccontextmanager
async def _translated_errors() -> AsyncIterator[None]:
    """Translate redis-py exceptions to the bus's (see the module docstring)."""
    try:
        yield
    except _UNAVAILABLE as error:
        raise BusUnavailable(f"Redis is unavailable: {type(error).__name__}") from error
    except redis_errors.RedisError as error:
        raise EventBusError(f"Redis refused the command: {error}") from error


def _entries_of(response: Any, stream: str) -> list[Entry]:
    """The entries of ``stream`` in an ``XREADGROUP`` reply: ``[[stream, [(id, fields)]]]``
    (RESP2, the protocol this client speaks) or ``{stream: [[(id, fields)]]}`` (RESP3)."""
    if not response:
        return []
    pairs = response.items() if isinstance(response, dict) else response
    for name, entries in pairs:
        if name != stream:
            continue
        if entries and isinstance(entries[0], list):
            entries = entries[0]
        return [(str(mid), fields) for mid, fields in entries if mid is not None]
    return []


def _event_of(fields: Mapping[str, str] | None, prefix: str, stream: str) -> Event | None:
    if not fields or "id" not in fields or "payload" not in fields:
        return None
    try:
        payload = json.loads(fields["payload"])
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    return Event(
        id=fields["id"],
        topic=fields.get("topic") or stream.removeprefix(prefix),
        payload=payload,
        key=fields.get("key", ""),
        reply_to=fields.get("reply_to") or None,
    )
