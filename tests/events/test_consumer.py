"""The consumer: a failing handler is retried later without holding up the others, and a
duplicate delivery is confirmed again (a lost receipt is repaired) but not applied again."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events import Event, EventConsumer, InProcessBus, OutboxRelay, Receipt
from tests.events.conftest import MakeDatabase
from tests.events.shop import (
    GROUP,
    OUTBOX,
    SUBSCRIBERS,
    TOPIC,
    approve_many,
    create_order,
    order_counts,
    unconfirmed,
)

pytestmark = pytest.mark.anyio


async def test_a_failing_handler_is_retried_later_and_the_others_go_on(
    make_database: MakeDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    producer, consumer_db = await make_database(), await make_database()
    requests = await approve_many(producer.sessions, 5)
    bus = InProcessBus(visibility_timeout=0.3)
    await OutboxRelay(producer.sessions, bus, table=OUTBOX, subscribers=SUBSCRIBERS).relay_once()
    failures = {requests[2]: 1}

    async def flaky(session: AsyncSession, event: Event) -> None:
        await create_order(session, event)
        if failures.get(event.key):
            failures[event.key] -= 1
            raise LookupError("no budget for the department")  # after the insert

    consumer = EventConsumer(
        consumer_db.sessions, bus, topic=TOPIC, group=GROUP, handler=flaky, name="c1"
    )
    with caplog.at_level(logging.ERROR):
        assert await consumer.consume_once(block=0.05) == 5

    assert set(await order_counts(consumer_db.sessions)) == set(requests) - {requests[2]}
    assert await bus.pending_count(TOPIC, GROUP) == 1
    assert requests[2] not in caplog.text  # the key is logged nowhere; the event id is
    assert "failed; it will be delivered again" in caplog.text
    handled = 0  # the failed one comes again once its visibility timeout (0.3 s) has passed
    deadline = asyncio.get_running_loop().time() + 15
    while not handled:
        assert asyncio.get_running_loop().time() < deadline, "never delivered again"
        handled = await consumer.consume_once(block=0.05)
    assert handled == 1
    assert await order_counts(consumer_db.sessions) == dict.fromkeys(requests, 1)
    assert await bus.pending_count(TOPIC, GROUP) == 0


async def test_a_duplicate_is_confirmed_again_but_not_applied_again(
    make_database: MakeDatabase,
) -> None:
    producer, consumer_db = await make_database(), await make_database()
    [request] = await approve_many(producer.sessions, 1)
    bus = InProcessBus()
    relay = OutboxRelay(producer.sessions, bus, table=OUTBOX, subscribers=SUBSCRIBERS)
    consumer = EventConsumer(
        consumer_db.sessions, bus, topic=TOPIC, group=GROUP, handler=create_order, name="c1"
    )
    await relay.relay_once()
    [delivery] = await bus.read(TOPIC, GROUP, "c1", block=0.05)
    assert await consumer.process(delivery) is True
    await bus.read(relay.receipts_topic, "lost", "x", block=0.05)  # ...the receipt is lost

    assert await consumer.process(delivery) is False  # a copy arrives again

    assert await order_counts(consumer_db.sessions) == {request: 1}
    receipts = await bus.read(relay.receipts_topic, relay.receipts_group, "r", block=0.05)
    assert [Receipt.from_payload(r.event.payload) for r in receipts] == [
        Receipt(delivery.event.id, GROUP)
    ] * 2
    assert await relay.collect_receipts(block=0.05) == 0  # (read above, by "r")
    assert await relay.confirm(Receipt(delivery.event.id, GROUP)) == 1
    assert await unconfirmed(producer.sessions) == 0
