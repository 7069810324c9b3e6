"""A service's event machinery in one object: its outbox relay and its consumers, started and
stopped together (from the subgraph app's lifespan).

::

    bus = open_bus(settings.redis_url)                    # Redis, or in-process when None
    worker = EventWorker.for_service(
        sessions,
        bus,
        outbox_table="oa_outbox",
        subscribers={"purchase.approved": ["erp"]},       # who must confirm OA's events
        subscriptions=[Subscription("purchase-order.created", "oa", on_order_created)],
    )
    async with worker:                                    # start(); ...; stop()
        yield
    await bus.close()

Call :meth:`EventWorker.notify` after committing a transaction that added events, so the
relay publishes them now rather than at its next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events.bus import EventBus
from subgraphs.common.events.consumer import EventConsumer, Handler
from subgraphs.common.events.inbox import PROCESSED_EVENTS_TABLE
from subgraphs.common.events.memory_bus import InProcessBus
from subgraphs.common.events.redis_bus import DEFAULT_PREFIX, RedisStreamBus
from subgraphs.common.events.relay import OutboxRelay

__all__ = ["EventWorker", "Subscription", "open_bus"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    """Apply ``handler`` to every event of ``topic``, once for consumer group ``group``."""

    topic: str
    group: str
    handler: Handler


def open_bus(
    redis_url: str | None,
    *,
    prefix: str = DEFAULT_PREFIX,
    visibility_timeout: float = 30.0,
) -> EventBus:
    """A :class:`RedisStreamBus` on ``redis_url``, or an :class:`InProcessBus` when it is None
    (the embedded default: the producers and consumers must then live in this process)."""
    if redis_url is None:
        return InProcessBus(visibility_timeout=visibility_timeout)
    return RedisStreamBus(redis_url, prefix=prefix, visibility_timeout=visibility_timeout)


class EventWorker:
    """Runs a relay and consumers as background tasks; an async context manager."""

    def __init__(
        self, *, relay: OutboxRelay | None = None, consumers: Sequence[EventConsumer] = ()
    ) -> None:
        self.relay = relay
        self.consumers = tuple(consumers)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    def for_service(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        outbox_table: str | None = None,
        subscribers: Mapping[str, Iterable[str]] | None = None,
        subscriptions: Sequence[Subscription] = (),
        name: str | None = None,
        inbox_table: str = PROCESSED_EVENTS_TABLE,
        **relay_options: Any,
    ) -> Self:
        """A worker relaying ``outbox_table`` (if any) and consuming ``subscriptions``.

        ``relay_options`` go to :class:`OutboxRelay` (``poll_interval``, ``batch_size``,
        ``redelivery_after``, ...); ``name`` names this process to the bus (default
        ``<host>-<pid>``).
        """
        relay = None
        if outbox_table is not None:
            relay = OutboxRelay(
                sessions,
                bus,
                table=outbox_table,
                subscribers=subscribers,
                name=name,
                **relay_options,
            )
        consumers = [
            EventConsumer(
                sessions,
                bus,
                topic=subscription.topic,
                group=subscription.group,
                handler=subscription.handler,
                name=name,
                inbox_table=inbox_table,
            )
            for subscription in subscriptions
        ]
        return cls(relay=relay, consumers=consumers)

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return bool(self._tasks)

    def notify(self) -> None:
        """Wake the relay: events were just committed."""
        if self.relay is not None:
            self.relay.notify()

    async def start(self) -> None:
        """Start the relay's and the consumers' loops in the background (once)."""
        if self._tasks:
            return
        self._stop = asyncio.Event()
        if self.relay is not None:
            self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="relay"))
        for consumer in self.consumers:
            task = asyncio.create_task(consumer.run(self._stop), name=f"consumer {consumer.group}")
            self._tasks.append(task)

    async def stop(self, grace: float = 5.0) -> None:
        """Ask the loops to finish their current batch; cancel them after ``grace`` seconds.

        A handler cancelled mid-transaction is rolled back: its event stays pending and is
        delivered again.
        """
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if isinstance(result, Exception):
                logger.error("event loop %s ended with %r", task.get_name(), result)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        _kind: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.stop()
