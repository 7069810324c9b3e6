"""Buses for tests that wrap a real one (pluggable, instead of monkeypatching): they record,
fail, pause or hang where a test needs it."""

from __future__ import annotations

import asyncio
from collections import Counter

from subgraphs.common.events import BusUnavailable, Delivery, EventBus, JSONObject


class WrappedBus:
    """Passes everything to ``inner``; subclasses change one method."""

    def __init__(self, inner: EventBus) -> None:
        self.inner = inner

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        return await self.inner.publish(topic, event_id, payload, key=key, reply_to=reply_to)

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        return await self.inner.read(topic, group, consumer, count=count, block=block)

    async def ack(self, delivery: Delivery) -> None:
        await self.inner.ack(delivery)

    async def close(self) -> None:
        await self.inner.close()


class RecordingBus(WrappedBus):
    """Counts publications per (topic, event id), in order; ``delay`` slows each down."""

    def __init__(self, inner: EventBus, *, delay: float = 0.0) -> None:
        super().__init__(inner)
        self.delay = delay
        self.published: list[tuple[str, str]] = []

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message_id = await super().publish(topic, event_id, payload, key=key, reply_to=reply_to)
        self.published.append((topic, event_id))
        return message_id

    def counts(self, topic: str) -> Counter[str]:
        return Counter(event_id for t, event_id in self.published if t == topic)


class DownBus(WrappedBus):
    """Unavailable for publishing while ``down``; goes down after ``publishes_left`` more.
    ``refused`` counts the publications it refused (a test waits for one, not for time)."""

    def __init__(self, inner: EventBus, *, publishes_left: int | None = None) -> None:
        super().__init__(inner)
        self.publishes_left = publishes_left
        self.refused = 0

    @property
    def down(self) -> bool:
        return self.publishes_left is not None and self.publishes_left <= 0

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        if self.down:
            self.refused += 1
            raise BusUnavailable("test: the bus is down")
        if self.publishes_left is not None:
            self.publishes_left -= 1
        return await super().publish(topic, event_id, payload, key=key, reply_to=reply_to)


class CrashAfterPublishBus(WrappedBus):
    """Publishes, then raises as if the relay's process died before marking the row."""

    crashes = 1

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        message_id = await super().publish(topic, event_id, payload, key=key, reply_to=reply_to)
        if self.crashes:
            self.crashes -= 1
            raise SystemError("test: the relay died between publish and mark")
        return message_id


class PausingBus(WrappedBus):
    """The first publication waits for :attr:`resume` after setting :attr:`paused`."""

    def __init__(self, inner: EventBus) -> None:
        super().__init__(inner)
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        if not self.paused.is_set():
            self.paused.set()
            await self.resume.wait()
        return await super().publish(topic, event_id, payload, key=key, reply_to=reply_to)


class HangBeforeAckBus(WrappedBus):
    """Acknowledges nothing: the ``hang_at``-th ack (from 1) never returns, as a process
    frozen (then killed) after committing its effect; ``hung`` is set when it happens."""

    def __init__(self, inner: EventBus, *, hang_at: int = 1) -> None:
        super().__init__(inner)
        self.hang_at = hang_at
        self.acks = 0
        self.hung = asyncio.Event()
        self.hung_on = ""

    async def ack(self, delivery: Delivery) -> None:
        self.acks += 1
        if self.acks >= self.hang_at:
            if not self.hung.is_set():
                self.hung_on = delivery.event.id
            self.hung.set()
            await asyncio.Event().wait()  # until cancelled
        await super().ack(delivery)
