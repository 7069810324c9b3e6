"""The tests' fake business: approving a request adds an event; its effect is one order row.

The ``orders`` table has no unique constraint on purpose: an event applied twice shows as
two orders, so "exactly one effect" is counted, not enforced by the table.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events import (
    Backoff,
    Event,
    EventBus,
    EventConsumer,
    EventWorker,
    OutboxRelay,
    add_event,
    outbox_table,
)
from subgraphs.common.events.inbox import processed_events_table
from tandem_shared.db import transaction

MIGRATIONS = "tests.events.migrations"
OUTBOX = "shop_outbox"
TOPIC = "purchase.approved"
GROUP = "erp"
SUBSCRIBERS = {TOPIC: [GROUP]}

orders = Table(
    "orders",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("event_id", String(64), nullable=False),
)

Sessions = async_sessionmaker[AsyncSession]


async def approve(sessions: Sessions, request_id: str) -> str:
    """Approve ``request_id``: one business transaction that adds one event; its id."""
    async with transaction(sessions) as session:
        return await add_event(
            session, TOPIC, request_id, {"request": request_id, "amount": "12.50"}, table=OUTBOX
        )


async def approve_many(sessions: Sessions, count: int, *, start: int = 0) -> list[str]:
    """Approve requests ``PR-<start>`` .. ``PR-<start+count-1>``; their request ids."""
    ids = [f"PR-{n:05d}" for n in range(start, start + count)]
    for request_id in ids:
        await approve(sessions, request_id)
    return ids


async def create_order(session: AsyncSession, event: Event) -> None:
    """The effect of an approval: one purchase order for the request."""
    await session.execute(
        insert(orders).values(request_id=event.payload["request"], event_id=event.id)
    )


async def order_counts(sessions: Sessions) -> Counter[str]:
    """How many orders each request has."""
    async with transaction(sessions) as session:
        rows = (await session.execute(select(orders.c.request_id))).scalars().all()
    return Counter(rows)


async def unconfirmed(sessions: Sessions) -> int:
    """Outbox events not confirmed yet."""
    table = outbox_table(OUTBOX)
    async with transaction(sessions) as session:
        count = await session.scalar(
            select(func.count()).select_from(table).where(table.c.confirmed_at.is_(None))
        )
    return int(count or 0)


async def processed(sessions: Sessions) -> int:
    """Processed-events records."""
    records = processed_events_table()
    async with transaction(sessions) as session:
        count = await session.scalar(select(func.count()).select_from(records))
    return int(count or 0)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``condition`` every 50 ms until it holds; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def exactly_once(counts: Counter[str], request_ids: list[str]) -> bool:
    """True when each request has exactly one order and there are no others."""
    return counts == Counter(request_ids)


def relay_worker(sessions: Sessions, bus: EventBus, **options: float) -> EventWorker:
    """The producer's side: its relay, with timings for tests (re-publication after 1 s)."""
    options.setdefault("redelivery_after", 1.0)
    relay = OutboxRelay(
        sessions,
        bus,
        table=OUTBOX,
        subscribers=SUBSCRIBERS,
        name="relay-1",
        poll_interval=0.05,
        receipt_block=0.1,
        backoff=Backoff(0.02, 0.3),
        **options,  # type: ignore[arg-type]
    )
    return EventWorker(relay=relay)


def consumer_worker(sessions: Sessions, bus: EventBus, name: str = "c1") -> EventWorker:
    """The consuming side: group ``erp`` creating orders, as consumer ``name``."""
    consumer = EventConsumer(
        sessions,
        bus,
        topic=TOPIC,
        group=GROUP,
        handler=create_order,
        name=name,
        block=0.1,
        backoff=Backoff(0.02, 0.3),
    )
    return EventWorker(consumers=[consumer])


async def wait_settled(
    producer: Sessions, consumer: Sessions, requests: list[str], *, timeout: float = 20.0
) -> None:
    """Wait until every request has exactly one order and the producer has no event left
    unconfirmed; fail with the counts otherwise (more than one order fails at once)."""

    async def settled() -> bool:
        counts = await order_counts(consumer)
        assert max(counts.values(), default=0) <= 1, "an event was applied twice"
        return exactly_once(counts, requests) and await unconfirmed(producer) == 0

    await wait_until(settled, timeout=timeout, what=f"{len(requests)} orders, all confirmed")
