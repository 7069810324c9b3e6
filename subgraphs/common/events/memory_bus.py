"""An in-process :class:`~subgraphs.common.events.bus.EventBus`, for the embedded default.

Same semantics as the Redis bus (groups created at the start of the log, pending
deliveries, the visibility timeout, recovery of a restarted consumer's own deliveries),
held in memory: producers and consumers must share one instance, so in one process, and
everything is gone when the process ends. Nothing is lost for all that: the relay
re-publishes every outbox event no consumer group has confirmed (see
:mod:`subgraphs.common.events.relay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from subgraphs.common.events.bus import (
    DEFAULT_MAX_LENGTH,
    BusUnavailable,
    Delivery,
    Event,
    JSONObject,
    check_name,
)

__all__ = ["InProcessBus"]


@dataclass(slots=True)
class _Pending:
    event: Event
    consumer: str
    delivered_at: float


@dataclass(slots=True)
class _Group:
    cursor: int = 0
    pending: dict[str, _Pending] = field(default_factory=dict)
    recovered: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Log:
    entries: list[tuple[str, Event]] = field(default_factory=list)
    groups: dict[str, _Group] = field(default_factory=dict)
    appended: asyncio.Event = field(default_factory=asyncio.Event)


class InProcessBus:
    """An event bus in this process's memory; ``visibility_timeout`` in seconds.

    Each topic keeps about its last ``max_length`` events, like the Redis bus (None: all).
    """

    def __init__(
        self, *, visibility_timeout: float = 30.0, max_length: int | None = DEFAULT_MAX_LENGTH
    ) -> None:
        if visibility_timeout <= 0:
            raise ValueError("visibility_timeout must be positive")
        if max_length is not None and max_length < 1:
            raise ValueError("max_length must be positive")
        self.visibility_timeout = visibility_timeout
        self.max_length = max_length
        self._logs: dict[str, _Log] = {}
        self._sequence = 0
        self._closed = False

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        """Append an event to ``topic``'s log and wake its readers."""
        self._check_open()
        log = self._log(check_name("topic", topic))
        self._sequence += 1
        message_id = f"{self._sequence}-0"
        event = Event(id=event_id, topic=topic, payload=_copy(payload), key=key, reply_to=reply_to)
        log.entries.append((message_id, event))
        self._trim(log)
        woken, log.appended = log.appended, asyncio.Event()
        woken.set()
        return message_id

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        """Own pending deliveries first (once), then expired ones of others, then new events."""
        self._check_open()
        check_name("group", group)
        check_name("consumer", consumer)
        log = self._log(check_name("topic", topic))
        state = log.groups.setdefault(group, _Group())
        deadline = time.monotonic() + max(block, 0.0)
        while True:
            waiter = log.appended
            deliveries = self._take(log, state, group, consumer, count)
            remaining = deadline - time.monotonic()
            if deliveries or remaining <= 0:
                return deliveries
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), remaining)
            self._check_open()

    async def ack(self, delivery: Delivery) -> None:
        """Forget ``delivery``: its group will not see this copy again."""
        self._check_open()
        log = self._logs.get(delivery.event.topic)
        state = None if log is None else log.groups.get(delivery.group)
        if state is not None:
            state.pending.pop(delivery.message_id, None)

    async def close(self) -> None:
        """Refuse further use; readers waiting now return empty-handed."""
        self._closed = True
        for log in self._logs.values():
            log.appended.set()

    async def pending_count(self, topic: str, group: str) -> int:
        """How many deliveries of ``group`` on ``topic`` are not acknowledged (for tests)."""
        log = self._logs.get(topic)
        state = None if log is None else log.groups.get(group)
        return 0 if state is None else len(state.pending)

    def _take(
        self, log: _Log, state: _Group, group: str, consumer: str, count: int
    ) -> list[Delivery]:
        now = time.monotonic()
        if consumer not in state.recovered:
            state.recovered.add(consumer)
            own = [mid for mid, p in state.pending.items() if p.consumer == consumer][:count]
            if own:
                return [self._redeliver(state, mid, group, consumer, now) for mid in own]
        expired = [
            mid
            for mid, p in state.pending.items()
            if now - p.delivered_at >= self.visibility_timeout
        ][:count]
        if expired:
            return [self._redeliver(state, mid, group, consumer, now) for mid in expired]
        new = log.entries[state.cursor : state.cursor + count]
        state.cursor += len(new)
        for message_id, event in new:
            state.pending[message_id] = _Pending(event, consumer, now)
        return [
            Delivery(event=event, group=group, consumer=consumer, message_id=message_id)
            for message_id, event in new
        ]

    @staticmethod
    def _redeliver(
        state: _Group, message_id: str, group: str, consumer: str, now: float
    ) -> Delivery:
        pending = state.pending[message_id]
        pending.consumer, pending.delivered_at = consumer, now
        return Delivery(
            event=pending.event,
            group=group,
            consumer=consumer,
            message_id=message_id,
            redelivered=True,
        )

    def _trim(self, log: _Log) -> None:
        """Drop the oldest entries past ``max_length`` (in chunks of a tenth, amortized)."""
        if self.max_length is None or len(log.entries) <= self.max_length * 1.1:
            return
        dropped = len(log.entries) - self.max_length
        del log.entries[:dropped]
        for state in log.groups.values():  # pending deliveries keep their events
            state.cursor = max(0, state.cursor - dropped)

    def _log(self, topic: str) -> _Log:
        log = self._logs.get(topic)
        if log is None:
            log = self._logs[topic] = _Log()
        return log

    def _check_open(self) -> None:
        if self._closed:
            raise BusUnavailable("the in-process bus is closed")


def _copy(payload: JSONObject) -> Mapping[str, Any]:
    """A private copy, as a real bus would deliver (a consumer cannot alter the producer's)."""
    copied: Mapping[str, Any] = json.loads(json.dumps(payload))
    return copied
