"""The relay: publishes in order, marks, retries when the bus is down, re-publishes what is
not confirmed, and on PostgreSQL never publishes a row twice at once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from subgraphs.common.events import (
    BusUnavailable,
    EventConsumer,
    InProcessBus,
    OutboxRelay,
    Receipt,
    RedisStreamBus,
    add_event,
    outbox_table,
)
from subgraphs.common.events.outbox import OutboxEvent
from tandem_shared.db import transaction
from tandem_shared.timestamps import utc_now
from tests.events.buses import CrashAfterPublishBus, DownBus, PausingBus, RecordingBus
from tests.events.conftest import Database, MakeDatabase
from tests.events.shop import (
    GROUP,
    OUTBOX,
    SUBSCRIBERS,
    TOPIC,
    approve_many,
    create_order,
    order_counts,
    unconfirmed,
    wait_until,
)

pytestmark = pytest.mark.anyio


def relay(database: Database, bus: object, **options: object) -> OutboxRelay:
    options.setdefault("subscribers", SUBSCRIBERS)
    options.setdefault("redelivery_after", 0.3)
    options.setdefault("receipt_block", 0.1)
    return OutboxRelay(database.sessions, bus, table=OUTBOX, name="relay-1", **options)  # type: ignore[arg-type]


async def rows(database: Database) -> list[OutboxEvent]:
    table = outbox_table(OUTBOX)
    async with transaction(database.sessions) as session:
        found = (await session.execute(select(table).order_by(table.c.created_at))).all()
    return [OutboxEvent.from_row(row) for row in found]


async def test_due_events_are_published_in_order_and_marked(make_database: MakeDatabase) -> None:
    database = await make_database()
    requests = await approve_many(database.sessions, 5)
    bus = RecordingBus(InProcessBus())

    assert await relay(database, bus).relay_once() == 5
    assert await relay(database, bus).relay_once() == 0

    marked = await rows(database)
    assert [event_id for _, event_id in bus.published] == [row.id for row in marked]
    assert [row.key for row in marked] == requests
    assert all(row.published_at is not None and row.attempts == 1 for row in marked)
    assert all(row.confirmed_at is None for row in marked)  # until the consumer confirms
    deliveries = await bus.read(TOPIC, GROUP, "c1", block=0.05)
    assert {d.event.reply_to for d in deliveries} == {f"{OUTBOX}.receipts"}


async def test_events_of_a_topic_without_subscribers_are_done_once_published(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()
    await approve_many(database.sessions, 3)
    bus = InProcessBus()

    await relay(database, bus, subscribers={}).relay_once()

    assert all(row.confirmed_at is not None for row in await rows(database))
    deliveries = await bus.read(TOPIC, GROUP, "c1", block=0.05)
    assert {d.event.reply_to for d in deliveries} == {None}


async def test_a_batch_is_at_most_batch_size(make_database: MakeDatabase) -> None:
    database = await make_database()
    await approve_many(database.sessions, 7)
    relaying = relay(database, InProcessBus(), batch_size=3)

    assert [await relaying.relay_once() for _ in range(4)] == [3, 3, 1, 0]


async def test_an_unconfirmed_event_is_published_again_later_until_confirmed(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()
    await approve_many(database.sessions, 1)
    bus = RecordingBus(InProcessBus())
    relaying = relay(database, bus, redelivery_after=0.2)

    await relaying.relay_once()
    assert await relaying.relay_once() == 0  # not yet due again
    [row] = await rows(database)
    await relay_until(relaying, lambda: bus.counts(TOPIC)[row.id] == 2)  # due again: 0.2 s
    assert await relaying.confirm(Receipt(row.id, GROUP)) == 1

    # a control, never confirmed: by its third publication (0.2 s, then 0.4 s after its
    # first, which came after the confirmed row's second) the confirmed row was due again
    # (0.4 s) had it not been confirmed
    await approve_many(database.sessions, 1, start=1)
    await relaying.relay_once()
    control = next(r.id for r in await rows(database) if r.id != row.id)
    await relay_until(relaying, lambda: bus.counts(TOPIC)[control] == 3)
    assert bus.counts(TOPIC)[row.id] == 2
    [row] = [r for r in await rows(database) if r.id == row.id]
    assert (row.attempts, row.confirmed_by) == (2, (GROUP,))
    assert row.confirmed_at is not None


def test_re_publication_intervals_double_up_to_the_maximum() -> None:
    relaying = OutboxRelay(
        None,  # type: ignore[arg-type]
        InProcessBus(),
        table=OUTBOX,
        redelivery_after=30,
        max_redelivery_interval=200,
    )

    delays = [relaying.redelivery_delay(n) for n in range(1, 6)]

    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 200, 200)]


async def test_every_declared_group_must_confirm(make_database: MakeDatabase) -> None:
    database = await make_database()
    await approve_many(database.sessions, 1)
    relaying = relay(database, InProcessBus(), subscribers={TOPIC: ["erp", "audit"]})
    await relaying.relay_once()
    [row] = await rows(database)

    assert await relaying.confirm(Receipt(row.id, "erp")) == 1
    assert await relaying.confirm(Receipt(row.id, "erp")) == 0  # a duplicate receipt
    assert (await rows(database))[0].confirmed_at is None
    assert await relaying.confirm(Receipt(row.id, "audit"), Receipt("not-a-uuid", "erp")) == 1
    assert (await rows(database))[0].confirmed_at is not None
    assert await relaying.confirm(Receipt(str(uuid.uuid4()), "erp")) == 0  # pruned, unknown


async def test_receipts_from_the_bus_confirm_events(make_database: MakeDatabase) -> None:
    producer, consumer_db = await make_database(), await make_database()
    await approve_many(producer.sessions, 4)
    bus = InProcessBus()
    relaying = relay(producer, bus)
    consumer = EventConsumer(
        consumer_db.sessions, bus, topic=TOPIC, group=GROUP, handler=create_order, name="c1"
    )

    await relaying.relay_once()
    await consumer.consume_once(block=0.05)
    assert await relaying.collect_receipts(block=0.05) == 4

    assert await unconfirmed(producer.sessions) == 0
    assert await bus.pending_count(relaying.receipts_topic, relaying.receipts_group) == 0


async def test_a_bus_that_goes_down_mid_batch_keeps_what_went_through(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()
    await approve_many(database.sessions, 5)
    bus = DownBus(InProcessBus(), publishes_left=2)
    relaying = relay(database, bus)

    with pytest.raises(BusUnavailable):
        await relaying.relay_once()

    assert [row.attempts for row in await rows(database)] == [1, 1, 0, 0, 0]
    bus.publishes_left = None  # back up
    assert await relaying.relay_once() == 3


async def test_a_relay_that_dies_between_publish_and_mark_publishes_again_harmlessly(
    make_database: MakeDatabase,
) -> None:
    producer, consumer_db = await make_database(), await make_database()
    [request] = await approve_many(producer.sessions, 1)
    bus = RecordingBus(InProcessBus())
    consumer = EventConsumer(
        consumer_db.sessions, bus, topic=TOPIC, group=GROUP, handler=create_order, name="c1"
    )

    with pytest.raises(SystemError):
        await relay(producer, CrashAfterPublishBus(bus)).relay_once()
    assert [row.published_at for row in await rows(producer)] == [None]
    assert await relay(producer, bus).relay_once() == 1
    assert await consumer.consume_once(block=0.05) == 2

    assert list(bus.counts(TOPIC).values()) == [2]  # published twice ...
    assert await order_counts(consumer_db.sessions) == {request: 1}  # ... applied once


async def test_the_relay_loop_rides_out_an_outage_and_wakes_on_notify(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()
    bus = DownBus(InProcessBus(), publishes_left=0)
    relaying = relay(database, bus, poll_interval=30, subscribers={})
    relaying.backoff.initial, relaying.backoff.maximum = 0.02, 0.05
    stop = asyncio.Event()
    running = asyncio.create_task(relaying.run(stop))
    try:
        await approve_many(database.sessions, 3)
        relaying.notify()
        await wait_until(_true(lambda: bus.refused >= 2), what="a publication refused twice")
        assert [row.attempts for row in await rows(database)] == [0, 0, 0]
        bus.publishes_left = None

        async def attempts(wanted: list[int]) -> bool:
            return [row.attempts for row in await rows(database)] == wanted

        # retried after the backoff, though the poll is 30 s
        await wait_until(lambda: attempts([1, 1, 1]), timeout=10, what="a retry")

        await approve_many(database.sessions, 1, start=3)
        relaying.notify()

        async def confirmed() -> bool:
            return len([row for row in await rows(database) if row.confirmed_at]) == 4

        await wait_until(confirmed, timeout=10, what="the notified row published")
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


async def test_two_relays_on_postgresql_skip_the_rows_the_other_is_publishing(
    make_postgres: MakeDatabase,
) -> None:
    database = await make_postgres()
    await approve_many(database.sessions, 10)
    bus = RecordingBus(InProcessBus())
    paused = PausingBus(bus)
    first = asyncio.create_task(relay(database, paused, batch_size=4).relay_once())
    await asyncio.wait_for(paused.paused.wait(), 5)  # holding 4 locked rows, mid-publish

    assert await relay(database, bus, batch_size=100).relay_once() == 6
    paused.resume.set()
    assert await first == 4

    assert sorted(bus.counts(TOPIC).values()) == [1] * 10


async def test_racing_relays_on_postgresql_publish_each_row_once(
    make_postgres: MakeDatabase, make_redis_bus: Callable[..., RedisStreamBus]
) -> None:
    database = await make_postgres()
    async with transaction(database.sessions) as session:
        for n in range(300):
            await add_event(session, TOPIC, f"PR-{n}", {"request": f"PR-{n}"}, table=OUTBOX)
    redis = make_redis_bus()
    buses = [RecordingBus(redis, delay=0.0005) for _ in range(3)]

    async def drain(bus: RecordingBus) -> None:
        relaying = relay(database, bus, batch_size=10, subscribers={})
        while await relaying.relay_once():
            pass

    await asyncio.gather(*(drain(bus) for bus in buses))

    per_relay = [len(bus.published) for bus in buses]
    assert sum(per_relay) == 300 and min(per_relay) > 0, per_relay
    published = Counter(event_id for bus in buses for _, event_id in bus.published)
    assert set(published.values()) == {1}
    stream = await redis._redis.xrange(redis.stream(TOPIC))  # what Redis really holds
    assert sorted(fields["id"] for _, fields in stream) == sorted(published)


async def test_pruning_deletes_only_confirmed_events(make_database: MakeDatabase) -> None:
    database = await make_database()
    await approve_many(database.sessions, 4)
    relaying = relay(database, InProcessBus())
    await relaying.relay_once()
    confirmed = [row.id for row in await rows(database)][:3]
    await relaying.confirm(*(Receipt(event_id, GROUP) for event_id in confirmed))
    await approve_many(database.sessions, 1, start=4)  # not even published yet

    assert await relaying.prune(utc_now() - timedelta(hours=1)) == 0
    assert await relaying.prune(utc_now() + timedelta(seconds=1)) == 3

    assert [row.key for row in await rows(database)] == ["PR-00003", "PR-00004"]
    assert await relaying.unconfirmed_count() == 2


async def relay_until(relaying: OutboxRelay, condition: Callable[[], bool]) -> None:
    """Run relay passes until ``condition`` holds (what comes due, comes due in time)."""
    deadline = asyncio.get_running_loop().time() + 15
    await relaying.relay_once()
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not published in 15 s"
        await asyncio.sleep(0.02)
        await relaying.relay_once()


def _true(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    """``condition`` as the awaitable check ``wait_until`` polls."""

    async def check() -> bool:
        return condition()

    return check
