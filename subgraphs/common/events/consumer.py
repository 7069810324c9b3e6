"""A consumer group's loop: read a topic, apply each event once, confirm it, acknowledge it.

For each delivery, in this order:

1. :func:`~subgraphs.common.events.inbox.handle_once`: the handler's effect and the
   ``processed_events`` record commit in one transaction (a duplicate only finds the record);
2. a :class:`~subgraphs.common.events.bus.Receipt` to the event's ``reply_to`` topic, so
   the producer's relay stops re-publishing it (sent for duplicates too: an earlier
   receipt may have been lost);
3. :meth:`~subgraphs.common.events.bus.EventBus.ack`.

A consumer killed anywhere in between leaves the delivery pending: it is delivered again
(to the restarted consumer, or to another after the visibility timeout) and steps 2 and 3
are repeated without a second effect. A handler that raises leaves its delivery pending
too: it is retried after the visibility timeout, while the other events go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.audit import AuditContext, acting_as
from subgraphs.common.events.bus import (
    Delivery,
    Event,
    EventBus,
    Receipt,
    check_name,
    default_consumer_name,
)
from subgraphs.common.events.inbox import PROCESSED_EVENTS_TABLE, handle_once
from subgraphs.common.events.loops import UNAVAILABLE, Backoff, repeat
from subgraphs.common.telemetry import observe_event_lag

__all__ = ["EventConsumer", "Handler"]

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
"""Applies one event, changing the database only through the session it is given (inside
the transaction that also records the event as processed)."""


class EventConsumer:
    """Consumer ``name`` of ``group`` on ``topic``, applying ``handler``; see the docstring.

    The group name is also the consumer's name in ``processed_events``: the replicas of a
    service share it, so an event is applied once per group whichever replica gets it.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        topic: str,
        group: str,
        handler: Handler,
        name: str | None = None,
        inbox_table: str = PROCESSED_EVENTS_TABLE,
        batch_size: int = 16,
        block: float = 1.0,
        backoff: Backoff | None = None,
    ) -> None:
        if batch_size < 1 or block <= 0:
            raise ValueError("batch_size and block must be positive")
        self.sessions = sessions
        self.bus = bus
        self.topic = check_name("topic", topic)
        self.group = check_name("group", group)
        self.handler = handler
        self.name = check_name("consumer", name or default_consumer_name())
        self.inbox_table = inbox_table
        self.batch_size = batch_size
        self.block = block
        self.backoff = backoff or Backoff()

    async def process(self, delivery: Delivery) -> bool:
        """Apply, confirm and acknowledge one delivery; True if the handler ran (False for
        a duplicate). Raises what the handler, the database or the bus raised, unacknowledged.
        """
        event = delivery.event

        async def effect(session: AsyncSession) -> None:
            # audited as this consumer's: the topic as the operation, the event id as request
            audit = AuditContext(f"system:{self.group}", None, str(event.id), self.topic)
            with acting_as(audit):
                await self.handler(session, event)

        ran = await handle_once(self.sessions, self.group, event.id, effect, table=self.inbox_table)
        if ran:
            observe_event_lag(self.topic, self.group, delivery.message_id)  # /metrics
        if event.reply_to is not None:
            receipt = Receipt(event.id, self.group)
            await self.bus.publish(event.reply_to, receipt.id, receipt.to_payload(), key=event.id)
        await self.bus.ack(delivery)
        return ran

    async def consume_once(self, *, block: float | None = None) -> int:
        """Read one batch and process it; the number of deliveries read.

        A delivery whose handler fails is logged and left pending; an unavailable bus or
        database ends the batch with the exception (the rest stays pending too).
        """
        deliveries = await self.bus.read(
            self.topic,
            self.group,
            self.name,
            count=self.batch_size,
            block=self.block if block is None else block,
        )
        for delivery in deliveries:
            try:
                await self.process(delivery)
            except UNAVAILABLE:
                raise
            except Exception:
                logger.exception(
                    "%s: event %s on %s failed; it will be delivered again",
                    self.group,
                    delivery.event.id,
                    self.topic,
                )
        return len(deliveries)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, riding out outages of the bus and the database."""

        async def step() -> bool:
            await self.consume_once()
            return True

        await repeat(f"consumer {self.group} on {self.topic}", step, stop, backoff=self.backoff)
