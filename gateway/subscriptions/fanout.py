"""Identical upstream subscriptions of several replicas share one subgraph subscription,
its events fanned out through Redis pub/sub.

Within a replica, identical subscriptions already share one upstream (``sharing.py``); its
key (subgraph URL, operation, variables and the caller's whole principal) is hashed here into
the name of a Redis channel, so that only subscriptions that one replica would share share
across replicas: two identities never receive each other's events.

For each name, one replica *owns* the upstream subscription: the one that holds the lease
``<prefix><name>:owner`` (``SET NX PX``, renewed every third of its length by a
compare-and-extend). The owner reads the subgraph and publishes every event on
``<prefix><name>:events``; every replica with subscribers (the owner too) reads that channel,
so all of them see the same events in the same order. Replicas with subscribers register in
``<prefix><name>:replicas`` (a sorted set of replica ids scored by when their interest
lapses, renewed like the lease): the owner ends the upstream subscription when none remains,
and a replica whose last subscriber leaves is not missed for long even if it dies.

When the owner goes away (stopped, crashed, cut off from Redis), its lease lapses and a
replica that still has subscribers takes it at its next attempt (every third of the lease)
and subscribes upstream itself; events the subgraph produced between the two are not seen
(pub/sub keeps nothing) unless the subscription resumes (below). The upstream's end and its
failure are published too, so every replica ends its subscriptions as one would have; the
owner then marks the name ended (``<prefix><name>:ended``, for three leases) so that a
replica that has not read the end yet (its events still queued on its pub/sub connection)
does not take the lease and open the upstream subscription again from its start; a
subscription that starts afresh clears the mark.

Where events carry a cursor (``cursor_of``, ``resume.py``), the owner records the last one it
published in ``<prefix><name>:cursor``, in the same transaction as the publish (lasting three
leases, renewed with the lease), and a replica taking the lease over opens the upstream
subscription after it: the events produced in between come then, none twice. The record is
dropped when the upstream subscription ends or nobody wants it any more, and by a
subscription that starts while nobody owns the name, so that a new subscription is not
handed events from before an earlier one ended.

A publish or a renewal that Redis refuses for a moment (its connections all busy) is tried
again, and a lease that lapsed meanwhile is taken back when nobody else took it: only
another replica's taking the lease ends the owner's upstream subscription, since opening it
again would deliver its events twice. A replica that reads too slowly (more than
``backlog`` events waiting here) ends its subscriptions with ``SUBSCRIPTION_OVERFLOW`` rather
than hold events without bound: pub/sub cannot slow the owner down. A subscription that
cannot reach Redis when it starts ends at once with ``SERVICE_UNAVAILABLE`` (fail closed);
one running while Redis goes away misses the events published meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from ..executor.transport import SubgraphError
from ..shared_state import REDIS_DOWN
from .channels import Channels, Note

__all__ = ["Fanout", "channel_name"]

log = logging.getLogger("tandem.subscriptions")

Open = Callable[[str | None], AsyncGenerator[dict[str, Any], None]]
"""Opens the upstream subscription, after a cursor (None: from now on)."""
CursorOf = Callable[[dict[str, Any]], str | None]
OVERFLOW: Final = "SUBSCRIPTION_OVERFLOW"
UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"

# extend the lease only while it is still ours (another replica may hold it by now), and
# the record of the last cursor published with it
_EXTEND: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[2], 3 * ARGV[2])
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
# a subscription starting while nobody owns the name: no earlier cursor is to be resumed
_FORGET: Final = """
if redis.call('exists', KEYS[1]) == 0 then
  redis.call('del', KEYS[2])
end
return 0
"""
# take the lease unless the upstream subscription ended (a replica behind its events);
# taken: the last cursor published ('' if none)
_TAKE: Final = """
if redis.call('exists', KEYS[2]) == 1 then
  return 0
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('get', KEYS[3]) or ''
end
return 0
"""
_RETRY: Final = 0.1
"""Seconds before a publish Redis refused is tried again."""
_RELEASE: Final = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def channel_name(*parts: Any) -> str:
    """The name shared by identical upstream subscriptions: a digest of ``parts`` (JSON)."""
    encoded = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS)
    return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class _Keys:
    events: str
    owner: str
    replicas: str
    ended: str
    cursor: str

    @classmethod
    def of(cls, prefix: str, name: str) -> _Keys:
        base = f"{prefix}{name}"
        return cls(
            f"{base}:events", f"{base}:owner", f"{base}:replicas", f"{base}:ended", f"{base}:cursor"
        )


@dataclass(eq=False)
class _Local:
    """This replica's reading of one channel."""

    queue: asyncio.Queue[bytes]
    ended: bool = False
    overflowed: bool = False

    def receive(self, data: bytes) -> None:
        if not data.startswith(b'{"event"'):
            self.ended = True  # the upstream's end or failure: nothing to take over
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.overflowed = True


class Fanout:
    """The subscriptions' fan-out through Redis of one replica."""

    def __init__(
        self,
        channels: Channels,
        *,
        prefix: str = "tandem:subscriptions:",
        lease: float = 10.0,
        backlog: int = 10_000,
    ) -> None:
        self.channels = channels
        self.prefix = prefix
        self.lease = lease
        self.backlog = backlog
        self.replica = uuid.uuid4().hex
        self._owning: dict[str, asyncio.Task[None]] = {}
        # readers here per name: two during a supergraph reload (the old gateway's, the new's)
        self._reading: Counter[str] = Counter()
        self._extend = channels.redis.register_script(_EXTEND)
        self._release = channels.redis.register_script(_RELEASE)
        self._claim = channels.redis.register_script(_TAKE)
        self._forget = channels.redis.register_script(_FORGET)
        self.upstreams_opened = 0  # by this replica (for tests and metrics)

    @property
    def owning(self) -> int:
        """How many upstream subscriptions this replica owns now."""
        return sum(not task.done() for task in self._owning.values())

    async def events(
        self, name: str, open_upstream: Open, cursor_of: CursorOf | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The events of the upstream subscription ``name``, whichever replica owns it; this
        one takes it (with ``open_upstream``) when nobody does, after the last cursor
        published when ``cursor_of`` reads events' cursors. Raises its
        :class:`SubgraphError`."""
        keys = _Keys.of(self.prefix, name)
        local = _Local(asyncio.Queue(self.backlog))
        keeper: asyncio.Task[None] | None = None
        self._reading[name] += 1
        try:
            try:
                await self.channels.listen(keys.events, local.receive)
                await self._interested(keys, afresh=True)
            except (*REDIS_DOWN, TimeoutError) as error:  # fail closed, with a code
                raise SubgraphError(
                    "gateway",
                    f"the replicas' shared state is unavailable ({type(error).__name__}): "
                    "subscribe again shortly",
                    UNAVAILABLE,
                ) from None
            keeper = asyncio.create_task(self._keep(keys, local, open_upstream, cursor_of))
            while True:
                data = await local.queue.get()
                if local.overflowed:
                    raise SubgraphError(
                        "gateway", "the subscription fell too far behind its events", OVERFLOW
                    )
                message = orjson.loads(data)
                if "event" in message:
                    yield message["event"]
                elif "error" in message:
                    failure = message["error"]
                    raise SubgraphError(failure["service"], failure["message"], failure["code"])
                else:
                    return
        finally:
            if keeper is not None:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
            self._reading[name] -= 1
            last = self._reading[name] <= 0
            if last:
                del self._reading[name]
            with contextlib.suppress(*REDIS_DOWN):
                await self.channels.unlisten(keys.events, local.receive)
            if last:  # else another reader here still wants the events
                await self._leave(name, keys)

    async def _leave(self, name: str, keys: _Keys) -> None:
        """This replica wants ``name``'s events no more: so says Redis, and, owning it with
        no other replica wanting them either, it ends the upstream subscription now."""
        with contextlib.suppress(*REDIS_DOWN):
            await self.channels.redis.zrem(keys.replicas, self.replica)
            owner = self._owning.get(name)
            if owner is not None and not await self._wanted(keys):
                owner.cancel()

    async def aclose(self) -> None:
        """Stop owning (the other replicas take over after the lease)."""
        for task in list(self._owning.values()):
            task.cancel()
        for task in list(self._owning.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep(
        self, keys: _Keys, local: _Local, open_upstream: Open, cursor_of: CursorOf | None
    ) -> None:
        """While this replica has subscribers: renew its interest, and take the upstream
        subscription whenever nobody owns it."""
        name = keys.events.removeprefix(self.prefix).removesuffix(":events")
        while not local.ended:
            try:
                await self._interested(keys)
                owner = self._owning.get(name)
                if owner is None or owner.done():
                    await self._take(name, keys, local, open_upstream, cursor_of)
            except REDIS_DOWN as error:
                log.warning("subscription fan-out: Redis unavailable (%s)", type(error).__name__)
            await asyncio.sleep(self.lease / 3)

    async def _take(
        self,
        name: str,
        keys: _Keys,
        local: _Local,
        open_upstream: Open,
        cursor_of: CursorOf | None,
    ) -> None:
        """Own the upstream subscription if its lease is free."""
        taken = await self._claim(
            keys=[keys.owner, keys.ended, keys.cursor], args=[self.replica, self._lease_ms]
        )
        if taken == 0:
            return
        await asyncio.sleep(0)  # an end delivered meanwhile wins: nothing to take over
        if local.ended:
            await self._release(keys=[keys.owner], args=[self.replica])
            return
        after = taken.decode() if cursor_of is not None and isinstance(taken, bytes) else None
        self._owning[name] = asyncio.create_task(
            self._own(name, keys, open_upstream(after), cursor_of)
        )

    async def _own(
        self,
        name: str,
        keys: _Keys,
        upstream: AsyncGenerator[dict[str, Any], None],
        cursor_of: CursorOf | None,
    ) -> None:
        """Read the upstream subscription and publish its events while the lease is ours
        and some replica wants them."""
        self.upstreams_opened += 1
        holding = asyncio.create_task(self._hold(name, keys))
        publishing = asyncio.create_task(self._publish(keys, upstream, cursor_of))
        ended = False
        try:
            await asyncio.wait((holding, publishing), return_when=asyncio.FIRST_COMPLETED)
            ended = publishing.done() and not publishing.cancelled() and not publishing.exception()
            if publishing.done() and not publishing.cancelled() and publishing.exception():
                log.error(
                    "subscription fan-out: an upstream failed", exc_info=publishing.exception()
                )
        finally:
            for task in (holding, publishing):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await upstream.aclose()
            with contextlib.suppress(*REDIS_DOWN):
                if ended:  # published: nobody opens it again from its start
                    await self.channels.redis.set(keys.ended, b"1", px=3 * self._lease_ms)
                if ended or not await self._wanted(keys):  # nothing to resume
                    await self.channels.redis.delete(keys.cursor)
                await self._release(keys=[keys.owner], args=[self.replica])
            if self._owning.get(name) is asyncio.current_task():
                del self._owning[name]

    async def _publish(
        self,
        keys: _Keys,
        upstream: AsyncGenerator[dict[str, Any], None],
        cursor_of: CursorOf | None,
    ) -> None:
        try:
            async for event in upstream:
                cursor = cursor_of(event) if cursor_of is not None else None
                note = (keys.cursor, cursor.encode(), 3 * self._lease_ms) if cursor else None
                await self._send(keys, orjson.dumps({"event": event}), note)
        except SubgraphError as error:
            failure = {"service": error.service_name, "message": error.message, "code": error.code}
            await self._send(keys, orjson.dumps({"error": failure}))
            return
        await self._send(keys, b'{"end":true}')

    async def _send(self, keys: _Keys, data: bytes, note: Note | None = None) -> None:
        """Publish ``data`` (with ``note``), tried again while Redis refuses it (``_hold``
        ends the owner if another replica takes the lease meanwhile)."""
        while True:
            try:
                await self.channels.publish(keys.events, data, note)
                return
            except REDIS_DOWN as error:
                log.warning("subscription fan-out: publish refused (%s)", type(error).__name__)
            await asyncio.sleep(_RETRY)

    async def _hold(self, name: str, keys: _Keys) -> None:
        """Returns when another replica holds the lease or no replica wants the events any
        more (this one does while it has readers, whatever Redis says: its interest lapsed
        there when its renewals were refused for a while). A renewal Redis refuses (slow or
        away) is tried again until it answers; a lease that lapsed meanwhile is taken back if
        nobody else took it. Giving the upstream subscription up instead made this replica
        (or another) open it again from its start: under load, its events came twice."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if (
                    not await self._extend(
                        keys=[keys.owner, keys.cursor], args=[self.replica, self._lease_ms]
                    )
                    and await self._claim(  # the way _take takes a free lease
                        keys=[keys.owner, keys.ended, keys.cursor],
                        args=[self.replica, self._lease_ms],
                    )
                    == 0
                ):
                    log.warning("subscription fan-out: another replica took an upstream's lease")
                    return
                if name not in self._reading and not await self._wanted(keys):
                    return
            except REDIS_DOWN:
                continue

    async def _interested(self, keys: _Keys, *, afresh: bool = False) -> None:
        """Renew this replica's interest; ``afresh``: a subscription starting, which wants
        the upstream subscription opened again if it ended."""
        until = time.time() + self.lease
        async with self.channels.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(keys.replicas, {self.replica: until})
            pipe.pexpire(keys.replicas, self._lease_ms * 2)
            if afresh:
                pipe.delete(keys.ended)
            await pipe.execute()
        if afresh:
            await self._forget(keys=[keys.owner, keys.cursor])

    async def _wanted(self, keys: _Keys) -> bool:
        """Whether any replica's interest has not lapsed (lapsed ones are removed)."""
        async with self.channels.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(keys.replicas, "-inf", time.time())
            pipe.zcard(keys.replicas)
            _, count = await pipe.execute()
        return bool(count)

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease * 1000))
