"""handle_once: an effect and its processed record commit together; duplicates change nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events import Event, handle_once
from subgraphs.common.events.inbox import was_processed
from tandem_shared.db import transaction
from tests.events.conftest import MakeDatabase
from tests.events.shop import GROUP, TOPIC, create_order, order_counts, processed

pytestmark = pytest.mark.anyio

EVENT = Event(id="5b0e7c1e-0000-4000-8000-000000000001", topic=TOPIC, payload={"request": "PR-1"})


async def order(session: AsyncSession) -> None:
    await create_order(session, EVENT)


async def test_the_first_delivery_applies_the_effect_and_records_it(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()

    assert await handle_once(database.sessions, GROUP, EVENT.id, order) is True

    assert await order_counts(database.sessions) == {"PR-1": 1}
    async with transaction(database.sessions) as session:
        assert await was_processed(session, GROUP, EVENT.id)


async def test_a_duplicate_delivery_changes_nothing(make_database: MakeDatabase) -> None:
    database = await make_database()
    await handle_once(database.sessions, GROUP, EVENT.id, order)

    assert await handle_once(database.sessions, GROUP, EVENT.id, order) is False

    assert await order_counts(database.sessions) == {"PR-1": 1}
    assert await processed(database.sessions) == 1


async def test_each_consumer_applies_an_event_once(make_database: MakeDatabase) -> None:
    database = await make_database()

    ran = [await handle_once(database.sessions, name, EVENT.id, order) for name in ("erp", "oa")]

    assert ran == [True, True]
    assert await order_counts(database.sessions) == {"PR-1": 2}


async def test_a_failing_handler_leaves_neither_effect_nor_record(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()

    async def fail_after_effect(session: AsyncSession) -> None:
        await create_order(session, EVENT)
        raise LookupError("budget not found")

    with pytest.raises(LookupError):
        await handle_once(database.sessions, GROUP, EVENT.id, fail_after_effect)

    assert await order_counts(database.sessions) == {}
    assert await processed(database.sessions) == 0
    assert await handle_once(database.sessions, GROUP, EVENT.id, order) is True
    assert await order_counts(database.sessions) == {"PR-1": 1}


async def test_concurrent_deliveries_of_one_event_apply_it_once(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()

    async def slow_order(session: AsyncSession) -> None:
        await create_order(session, EVENT)
        await asyncio.sleep(0.05)  # the others arrive while this transaction is open

    ran = await asyncio.gather(
        *(handle_once(database.sessions, GROUP, EVENT.id, slow_order) for _ in range(6))
    )

    assert sorted(ran) == [False] * 5 + [True]
    assert await order_counts(database.sessions) == {"PR-1": 1}
