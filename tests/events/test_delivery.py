"""Outbox -> relay -> bus -> consumer, whole: N approvals make exactly N orders, on PostgreSQL
and SQLite, over the real Redis and the in-process bus; a consumer that starts late or
stops for a while misses nothing; an in-process bus lost with its process loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from subgraphs.common.events import (
    EventBus,
    EventWorker,
    InProcessBus,
    RedisStreamBus,
    Subscription,
    open_bus,
)
from tests.events.buses import HangBeforeAckBus
from tests.events.conftest import MakeDatabase
from tests.events.shop import (
    GROUP,
    OUTBOX,
    SUBSCRIBERS,
    TOPIC,
    approve_many,
    consumer_worker,
    create_order,
    order_counts,
    processed,
    relay_worker,
    unconfirmed,
    wait_settled,
    wait_until,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.anyio

N = 60


@pytest.fixture(params=["redis", "memory"])
def bus(request: pytest.FixtureRequest) -> EventBus:
    """The real Redis (under the test's prefix) or the in-process bus; 1 s visibility."""
    if request.param == "memory":
        return InProcessBus(visibility_timeout=1.0)
    make_redis_bus: Callable[..., RedisStreamBus] = request.getfixturevalue("make_redis_bus")
    return make_redis_bus(visibility_timeout=1.0)


async def test_n_events_make_exactly_n_effects(make_database: MakeDatabase, bus: EventBus) -> None:
    producer, consumer = await make_database(), await make_database()

    async with relay_worker(producer.sessions, bus), consumer_worker(consumer.sessions, bus):
        requests = await approve_many(producer.sessions, N)
        await wait_settled(producer.sessions, consumer.sessions, requests)

    assert await processed(consumer.sessions) == N
    assert await bus.pending_count(TOPIC, GROUP) == 0  # type: ignore[attr-defined]


async def test_a_consumer_started_after_the_events_misses_none(
    make_database: MakeDatabase, bus: EventBus
) -> None:
    producer, consumer = await make_database(), await make_database()

    async with relay_worker(producer.sessions, bus, redelivery_after=60):
        requests = await approve_many(producer.sessions, N)
        await wait_until(
            lambda: _all_published(producer.sessions), what="every event published once"
        )  # into a stream no consumer group reads yet
        async with consumer_worker(consumer.sessions, bus):
            await wait_settled(producer.sessions, consumer.sessions, requests)


async def test_a_consumer_down_for_a_while_catches_up(
    make_database: MakeDatabase, bus: EventBus
) -> None:
    producer, consumer = await make_database(), await make_database()

    async with relay_worker(producer.sessions, bus):
        async with consumer_worker(consumer.sessions, bus):
            first = await approve_many(producer.sessions, N // 2)
            await wait_settled(producer.sessions, consumer.sessions, first)
        second = await approve_many(producer.sessions, N // 2, start=N // 2)  # consumer down
        await wait_until(
            lambda: _all_published(producer.sessions), what="the second half published"
        )  # onto the bus while nobody reads it
        assert await order_counts(consumer.sessions) == {r: 1 for r in first}
        async with consumer_worker(consumer.sessions, bus):
            await wait_settled(producer.sessions, consumer.sessions, first + second)


async def test_an_in_process_consumer_cancelled_before_its_ack_is_replaced_by_another(
    make_database: MakeDatabase,
) -> None:
    producer, consumer = await make_database(), await make_database()
    bus = InProcessBus(visibility_timeout=0.5)
    hanging = HangBeforeAckBus(bus, hang_at=3)

    async with relay_worker(producer.sessions, bus):
        requests = await approve_many(producer.sessions, 20)
        frozen = consumer_worker(consumer.sessions, hanging, name="frozen")
        await frozen.start()
        await asyncio.wait_for(hanging.hung.wait(), 10)  # effect committed, ack never sent
        await frozen.stop(grace=0.1)  # the task is cancelled: what a crash leaves behind
        assert await bus.pending_count(TOPIC, GROUP) > 0
        async with consumer_worker(consumer.sessions, bus, name="other"):
            await wait_settled(producer.sessions, consumer.sessions, requests)


async def test_an_in_process_bus_lost_with_its_process_loses_no_event(
    make_database: MakeDatabase,
) -> None:
    producer, consumer = await make_database(), await make_database()
    before = InProcessBus(visibility_timeout=1.0)

    async with relay_worker(producer.sessions, before, redelivery_after=0.5):
        requests = await approve_many(producer.sessions, N)
        await wait_until(lambda: _all_published(producer.sessions), what="all published")
    await before.close()  # the process ends: every published event was in its memory only

    after = InProcessBus(visibility_timeout=1.0)  # the process starts again
    async with (
        relay_worker(producer.sessions, after, redelivery_after=0.5),
        consumer_worker(consumer.sessions, after),
    ):
        await wait_settled(producer.sessions, consumer.sessions, requests)


async def test_a_service_worker_from_its_settings_relays_and_consumes(
    make_database: MakeDatabase,
) -> None:
    producer, consumer = await make_database(), await make_database()
    bus = open_bus(None)  # no TANDEM_REDIS_URL: the in-process bus
    producing = EventWorker.for_service(
        producer.sessions,
        bus,
        outbox_table=OUTBOX,
        subscribers=SUBSCRIBERS,
        poll_interval=30,  # only notify() wakes it in time
        receipt_block=0.1,
    )
    consuming = EventWorker.for_service(
        consumer.sessions, bus, subscriptions=[Subscription(TOPIC, GROUP, create_order)]
    )

    async with producing, consuming:
        assert producing.running and consuming.running
        requests = await approve_many(producer.sessions, 10)
        producing.notify()
        await wait_settled(producer.sessions, consumer.sessions, requests, timeout=5)

    assert not producing.running and not consuming.running
    assert await unconfirmed(producer.sessions) == 0


async def _all_published(sessions: object) -> bool:
    from sqlalchemy import func, select

    from subgraphs.common.events import outbox_table
    from tandem_shared.db import transaction

    table = outbox_table(OUTBOX)
    async with transaction(sessions) as session:  # type: ignore[arg-type]
        waiting = await session.scalar(
            select(func.count()).select_from(table).where(table.c.published_at.is_(None))
        )
    return waiting == 0


@pytest.mark.parametrize("kind", ["redis", "memory"])
async def test_events_trimmed_from_the_bus_before_anyone_read_them_are_not_lost(
    kind: str, make_database: MakeDatabase, private_redis: Callable[..., RedisServer]
) -> None:
    producer, consumer = await make_database(), await make_database()
    bus: InProcessBus | RedisStreamBus
    if kind == "memory":
        bus = InProcessBus(visibility_timeout=1.0, max_length=10)
    else:  # small stream nodes, so that MAXLEN ~ 10 really trims at this scale
        server = private_redis(False, "--stream-node-max-entries", "4")
        bus = RedisStreamBus(server.url, prefix="t:", visibility_timeout=1.0, max_length=10)
    try:
        relaying = relay_worker(
            producer.sessions, bus, redelivery_after=0.3, max_redelivery_interval=0.3
        )  # a stream of 10 holds a tenth of a re-published batch: rounds must come quickly
        async with relaying:
            requests = await approve_many(producer.sessions, N)
            await wait_until(lambda: _all_published(producer.sessions), what="all published")
            async with consumer_worker(consumer.sessions, bus):
                await wait_settled(producer.sessions, consumer.sessions, requests)
    finally:
        await bus.close()
