"""The outbox relay: publishes outbox events, and re-publishes them until they are confirmed.

One pass (:meth:`OutboxRelay.relay_once`) takes the due rows of the outbox (not confirmed,
``next_attempt_at`` reached) in order, publishes each, then marks it: ``published_at``,
``attempts + 1``, and either ``confirmed_at`` (a topic without declared subscribers) or the
time of the next re-publication (``redelivery_after``, doubling per attempt up to
``max_redelivery_interval``). Consumers answer each event with a
:class:`~subgraphs.common.events.bus.Receipt` on the topic ``<table>.receipts``; the relay
reads them (:meth:`OutboxRelay.collect_receipts`) and sets ``confirmed_at`` once every
declared subscriber group has confirmed. So the outbox, not Redis, is the record of what
is still owed: whatever the bus loses (Redis restarted without persistence, an AOF tail
lost, a stream trimmed, a failover) is published again.

Publish, then mark: a relay that dies between the two publishes those rows again when it
(or another relay) runs next. That is a duplicate, never a loss, and consumers are
idempotent (:func:`~subgraphs.common.events.inbox.handle_once`).

Concurrency: on PostgreSQL a pass selects its rows ``FOR UPDATE SKIP LOCKED`` and holds
the locks while it publishes and marks them, so relays in several replicas share the work
and never publish the same row at the same time. On SQLite (the embedded default, one
process) run a single relay per database: a pass reads, publishes outside any transaction
(SQLite's lock would stall every writer meanwhile), then marks.

Order: rows are first published in ``created_at`` order (per relay). Re-publications,
redeliveries and several relays can overtake it: handlers must not rely on order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, delete, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events.bus import (
    BusUnavailable,
    EventBus,
    Receipt,
    check_name,
    default_consumer_name,
)
from subgraphs.common.events.loops import Backoff, repeat, sleep_until
from subgraphs.common.events.outbox import outbox_table
from tandem_shared.db import transaction
from tandem_shared.timestamps import AwareDateTime, utc_now

__all__ = ["OutboxRelay", "receipts_topic"]


def receipts_topic(table: str) -> str:
    """Where consumers send receipts for events of the outbox ``table``."""
    return f"{check_name('outbox table', table)}.receipts"


class OutboxRelay:
    """Publishes the events of one outbox table to ``bus``; see the module docstring.

    ``subscribers`` maps a topic to the consumer groups that must confirm each of its
    events; events of other topics are done once published (Redis's durability is then
    theirs). ``name`` is this relay's consumer name on the receipts topic.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        table: str,
        subscribers: Mapping[str, Iterable[str]] | None = None,
        name: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 0.5,
        redelivery_after: float = 30.0,
        max_redelivery_interval: float = 600.0,
        receipt_block: float = 1.0,
        backoff: Backoff | None = None,
    ) -> None:
        if batch_size < 1 or poll_interval <= 0 or redelivery_after <= 0:
            raise ValueError("batch_size, poll_interval and redelivery_after must be positive")
        self.sessions = sessions
        self.bus = bus
        self.table = table
        self.subscribers = {
            check_name("topic", topic): frozenset(check_name("group", g) for g in groups)
            for topic, groups in (subscribers or {}).items()
        }
        self.name = check_name("consumer", name or default_consumer_name())
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.redelivery_after = redelivery_after
        self.max_redelivery_interval = max(max_redelivery_interval, redelivery_after)
        self.receipt_block = receipt_block
        self.backoff = backoff or Backoff()
        self._outbox = outbox_table(table)
        self._wake = asyncio.Event()

    @property
    def receipts_topic(self) -> str:
        """The topic consumers send this outbox's receipts to."""
        return receipts_topic(self.table)

    @property
    def receipts_group(self) -> str:
        """The consumer group the relays of this outbox read receipts as."""
        return f"{self.table}.relay"

    def notify(self) -> None:
        """Publish soon: call after committing a transaction that added events."""
        self._wake.set()

    def redelivery_delay(self, attempts: int) -> timedelta:
        """How long after its ``attempts``-th publication an unconfirmed event is re-published."""
        seconds = self.redelivery_after * 2.0 ** min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(seconds, self.max_redelivery_interval))

    async def relay_once(self) -> int:
        """Publish and mark one batch of due rows; the number published.

        Raises :class:`~subgraphs.common.events.bus.BusUnavailable` when the bus fails,
        after marking the rows published before it did.
        """
        async with transaction(self.sessions) as session:
            locking = session.get_bind().dialect.name == "postgresql"
            rows = (await session.execute(self._due(locking))).all()
            if locking:  # publish while the rows stay locked, mark, commit
                published, error = await self._publish(rows)
                await self._mark(session, published)
        if not locking:  # SQLite: publish outside the transaction, then mark
            published, error = await self._publish(rows)
            if published:
                async with transaction(self.sessions) as session:
                    await self._mark(session, published)
        if error is not None:
            raise error
        return len(published)

    async def confirm(self, *receipts: Receipt) -> int:
        """Record ``receipts`` in one transaction; how many were new. An event gets
        ``confirmed_at`` once every declared subscriber group of its topic has confirmed it.
        """
        groups_by_event: dict[uuid.UUID, set[str]] = {}
        for receipt in receipts:
            try:
                event_id = uuid.UUID(receipt.event_id)
            except ValueError:
                continue  # not an event of an outbox
            groups_by_event.setdefault(event_id, set()).add(receipt.group)
        if not groups_by_event:
            return 0
        table = self._outbox
        new = 0
        async with transaction(self.sessions) as session:
            query = (
                select(table.c.id, table.c.topic, table.c.confirmed_at, table.c.confirmed_by)
                .where(table.c.id.in_(groups_by_event))
                .order_by(table.c.id)  # one lock order for every relay: no deadlock
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()  # receipts of two groups at once
            for row in (await session.execute(query)).all():
                groups = set(row.confirmed_by or ())
                added = groups_by_event[row.id] - groups
                if not added:
                    continue
                new += len(added)
                groups |= added
                values: dict[str, Any] = {"confirmed_by": sorted(groups)}
                required = self.subscribers.get(row.topic, frozenset())
                if row.confirmed_at is None and required <= groups:
                    values["confirmed_at"] = utc_now()
                await session.execute(update(table).where(table.c.id == row.id).values(**values))
        return new

    async def collect_receipts(self, *, block: float | None = None) -> int:
        """Read one batch of receipts, record them, acknowledge them; how many were read."""
        deliveries = await self.bus.read(
            self.receipts_topic,
            self.receipts_group,
            self.name,
            count=self.batch_size,
            block=self.receipt_block if block is None else block,
        )
        receipts = [Receipt.from_payload(delivery.event.payload) for delivery in deliveries]
        await self.confirm(*(receipt for receipt in receipts if receipt is not None))
        for delivery in deliveries:
            await self.bus.ack(delivery)
        return len(deliveries)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish and collect receipts until ``stop`` is set, riding out outages."""

        async def publish_step() -> bool:
            return await self.relay_once() == self.batch_size

        async def receipts_step() -> bool:
            await self.collect_receipts()
            return True

        async def idle() -> None:
            await sleep_until(self._wake, self.poll_interval)
            self._wake.clear()

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                repeat(f"relay {self.table}", publish_step, stop, idle=idle, backoff=self.backoff)
            )
            tasks.create_task(
                repeat(
                    f"receipts {self.table}",
                    receipts_step,
                    stop,
                    backoff=Backoff(self.backoff.initial, self.backoff.maximum),
                )
            )

    async def prune(self, confirmed_before: datetime) -> int:
        """Delete events confirmed before ``confirmed_before``; how many. Unconfirmed events
        are never deleted (they are what the relay still owes)."""
        table = self._outbox
        async with transaction(self.sessions) as session:
            result = await session.execute(
                delete(table).where(
                    table.c.confirmed_at.is_not(None), table.c.confirmed_at < confirmed_before
                )
            )
        deleted: int = result.rowcount  # type: ignore[attr-defined]
        return deleted

    async def unconfirmed_count(self) -> int:
        """How many events are not confirmed yet (what the relay still owes)."""
        table = self._outbox
        async with transaction(self.sessions) as session:
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c.confirmed_at.is_(None))
            )
        return int(count or 0)

    def _due(self, locking: bool) -> Select[Any]:
        table = self._outbox
        query = (
            select(table)
            .where(table.c.confirmed_at.is_(None), table.c.next_attempt_at <= utc_now())
            .order_by(table.c.next_attempt_at, table.c.created_at)
            .limit(self.batch_size)
        )
        return query.with_for_update(skip_locked=True) if locking else query

    async def _publish(
        self, rows: Sequence[Row[Any]]
    ) -> tuple[list[Row[Any]], BusUnavailable | None]:
        published: list[Row[Any]] = []
        for row in rows:
            confirmed_by_receipts = row.topic in self.subscribers
            try:
                await self.bus.publish(
                    row.topic,
                    str(row.id),
                    row.payload,
                    key=row.key,
                    reply_to=self.receipts_topic if confirmed_by_receipts else None,
                )
            except BusUnavailable as error:
                return published, error
            published.append(row)
        return published, None

    async def _mark(self, session: AsyncSession, rows: Sequence[Row[Any]]) -> None:
        """Mark ``rows`` published; one UPDATE per distinct outcome, not per row."""
        table = self._outbox
        now = utc_now()
        outcomes: dict[tuple[int, datetime | None], list[Any]] = {}
        for row in rows:
            attempts = row.attempts + 1
            retry_at = (
                now + self.redelivery_delay(attempts) if row.topic in self.subscribers else None
            )
            outcomes.setdefault((attempts, retry_at), []).append(row.id)
        for (attempts, retry_at), ids in outcomes.items():
            values: dict[str, Any] = {"published_at": now, "attempts": attempts}
            if retry_at is None:
                values["confirmed_at"] = func.coalesce(
                    table.c.confirmed_at, literal(now, AwareDateTime())
                )
            else:
                values["next_attempt_at"] = retry_at
            await session.execute(update(table).where(table.c.id.in_(ids)).values(**values))
