"""One Redis pub/sub connection per replica for the subscriptions' channels.

Replicas tell each other about subscriptions through Redis pub/sub: the events of an upstream
subscription one of them owns (``fanout.py``) and the callers whose credentials ended
(``endings.py``). Each channel may have many listeners here; the replica subscribes to it
once, on its first listener, and unsubscribes after its last, all over one connection read
by one task, so that thousands of subscriptions cost one socket to Redis, not thousands.

:meth:`Channels.listen` returns once Redis has confirmed the subscription: a message
published after that reaches the listener (one published earlier does not: pub/sub keeps
nothing). While Redis is away, messages are lost; redis-py subscribes the connection to its
channels again when it reconnects, and the outage is logged once (``Outage``).

:meth:`Channels.publish` hands its message to one publishing task, which sends those waiting
together in one pipeline: hundreds of upstream subscriptions each publishing an event a second
took one pooled connection per message, and the pool, busy with them and the leases'
renewals, made some wait past its timeout (the benchmark's stalls, ``fanout.py``). One
caller's messages are published in the order it sent them. A message may carry a note, a
key set in the same transaction (the cursor of the event it publishes, ``fanout.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub

from ..shared_state import REDIS_DOWN, Outage, redis_client

__all__ = ["Channels", "Listener", "Note"]

log = logging.getLogger("tandem.subscriptions")

Listener = Callable[[bytes], None]
"""Called with each message's data, in the order Redis delivered them (must not block)."""

Note = tuple[str, bytes, int]
"""A key set with a message: its name, its value and how many milliseconds it lasts."""

_CONFIRM_TIMEOUT = 5.0
_BATCH = 500
"""Messages published in one pipeline at most."""


class Channels:
    """The replica's pub/sub connection to Redis at ``url``, and a client for commands."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "tandem-subscriptions",
        connections: int = 64,
        wait: float = 5.0,
    ) -> None:
        configured = redis_client(url, client_name=name).connection_pool
        # thousands of subscriptions renew their leases together: a command waits (up to
        # ``wait`` s) for one of ``connections`` pooled connections instead of failing at once
        pool = BlockingConnectionPool(
            max_connections=connections,
            timeout=wait,
            connection_class=configured.connection_class,
            **configured.connection_kwargs,
        )
        self.redis: Redis = Redis.from_pool(pool)
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._listeners: dict[str, set[Listener]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        # one (un)subscribe at a time: redis-py's PubSub opens its connection on the first
        # command, and two at once each opened one, the first's channel then never read
        self._commands = asyncio.Lock()
        self._outage = Outage("Redis (subscription channels)", log)
        self._outbox: asyncio.Queue[tuple[str, bytes, Note | None, asyncio.Future[None]]] = (
            asyncio.Queue()
        )
        self._publisher: asyncio.Task[None] | None = None

    async def publish(self, channel: str, data: bytes, note: Note | None = None) -> None:
        """Publish ``data`` on ``channel``, and set ``note`` (a key, its value and how many
        milliseconds it lasts) with it, atomically: both or neither; returns once Redis has
        them, raises what an unreachable Redis raises (``REDIS_DOWN``) when they could not be
        sent."""
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put_nowait((channel, data, note, sent))
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish())
        await sent

    async def _publish(self) -> None:
        """Send the messages waiting, in pipelines, until none is left."""
        while not self._outbox.empty():
            batch = [self._outbox.get_nowait()]
            while len(batch) < _BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            noted = any(note is not None for _, _, note, _ in batch)
            try:
                # MULTI/EXEC when a note goes with a message: a publisher killed mid-send
                # must not leave one without the other
                async with self.redis.pipeline(transaction=noted) as pipe:
                    for channel, data, note, _ in batch:
                        pipe.publish(channel, data)
                        if note is not None:
                            pipe.set(note[0], note[1], px=note[2])
                    await pipe.execute()
            except Exception as error:  # each caller decides (REDIS_DOWN: try again)
                for _, _, _, sent in batch:
                    if not sent.done():
                        sent.set_exception(error)
                continue
            except BaseException:
                for _, _, _, sent in batch:
                    sent.cancel()
                raise
            for _, _, _, sent in batch:
                if not sent.done():
                    sent.set_result(None)

    async def listen(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with each message of ``channel`` from now on."""
        listeners = self._listeners.setdefault(channel, set())
        listeners.add(listener)
        confirmed = self._confirmed.get(channel)
        if confirmed is None:
            confirmed = self._confirmed[channel] = asyncio.Event()
            try:
                async with self._commands:
                    await self._connection().subscribe(channel)
            except BaseException:
                await self.unlisten(channel, listener)
                raise
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read())
        async with asyncio.timeout(_CONFIRM_TIMEOUT):
            await confirmed.wait()

    async def unlisten(self, channel: str, listener: Listener) -> None:
        """No more messages of ``channel`` for ``listener``."""
        listeners = self._listeners.get(channel)
        if listeners is None:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[channel]
            self._confirmed.pop(channel, None)
            if self._pubsub is not None:
                with contextlib.suppress(*REDIS_DOWN):
                    async with self._commands:
                        await self._pubsub.unsubscribe(channel)

    async def aclose(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(*REDIS_DOWN):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.redis.aclose()

    def _connection(self) -> PubSub:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub()
        return self._pubsub

    async def _read(self) -> None:
        pubsub = self._connection()
        while True:
            try:
                message = await pubsub.get_message(timeout=1.0)
            except REDIS_DOWN as error:
                self._outage.failed(error)
                await asyncio.sleep(0.5)  # redis-py reconnects (and resubscribes) on next read
                continue
            if message is not None:
                self._outage.succeeded()
                self._deliver(message)
            elif not pubsub.subscribed and not self._listeners:
                return

    def _deliver(self, message: dict[str, Any]) -> None:
        raw = message.get("channel")
        channel = raw.decode() if isinstance(raw, bytes) else str(raw)
        if message.get("type") == "subscribe":
            confirmed = self._confirmed.get(channel)
            if confirmed is not None:
                confirmed.set()
            return
        if message.get("type") != "message":
            return
        data = message.get("data")
        for listener in list(self._listeners.get(channel, ())):
            try:
                listener(data if isinstance(data, bytes) else str(data).encode())
            except Exception:
                log.exception("a subscription channel's listener failed")
