"""The outbox: an event commits or rolls back with the business transaction that adds it."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from subgraphs.common.events import add_event, outbox_table
from subgraphs.common.events.outbox import OutboxEvent
from tandem_shared.db import transaction
from tests.events.conftest import MakeDatabase
from tests.events.shop import OUTBOX, TOPIC, approve

pytestmark = pytest.mark.anyio


async def outbox_rows(make_sessions: object) -> list[OutboxEvent]:
    table = outbox_table(OUTBOX)
    async with transaction(make_sessions) as session:  # type: ignore[arg-type]
        rows = (await session.execute(select(table).order_by(table.c.created_at))).all()
    return [OutboxEvent.from_row(row) for row in rows]


async def test_the_migration_helper_creates_the_named_table(make_database: MakeDatabase) -> None:
    database = await make_database()
    async with database.engine.connect() as connection:
        columns, indexes = await connection.run_sync(
            lambda sync: (
                {c["name"] for c in inspect(sync).get_columns(OUTBOX)},
                {i["name"] for i in inspect(sync).get_indexes(OUTBOX)},
            )
        )
    assert columns == {
        "id",
        "topic",
        "key",
        "payload",
        "created_at",
        "published_at",
        "attempts",
        "next_attempt_at",
        "confirmed_at",
        "confirmed_by",
    }
    assert indexes == {f"ix_{OUTBOX}_due"}


async def test_an_added_event_waits_unpublished_in_the_outbox(make_database: MakeDatabase) -> None:
    database = await make_database()

    event_id = await approve(database.sessions, "PR-1")

    [row] = await outbox_rows(database.sessions)
    assert (row.id, row.topic, row.key) == (event_id, TOPIC, "PR-1")
    assert row.payload == {"request": "PR-1", "amount": "12.50"}
    assert (row.published_at, row.confirmed_at, row.attempts) == (None, None, 0)
    assert row.next_attempt_at == row.created_at
    assert row.created_at.utcoffset() is not None


async def test_a_rolled_back_transaction_leaves_no_event(make_database: MakeDatabase) -> None:
    database = await make_database()

    with pytest.raises(ZeroDivisionError):
        async with transaction(database.sessions) as session:
            await add_event(session, TOPIC, "PR-1", {"request": "PR-1"}, table=OUTBOX)
            raise ZeroDivisionError

    assert await outbox_rows(database.sessions) == []


async def test_events_keep_the_order_they_were_added_in(make_database: MakeDatabase) -> None:
    database = await make_database()
    async with transaction(database.sessions) as session:
        ids = [
            await add_event(session, TOPIC, f"PR-{n}", {"n": n}, table=OUTBOX) for n in range(20)
        ]

    rows = await outbox_rows(database.sessions)

    assert [row.id for row in rows] == ids
    assert len({row.created_at for row in rows}) == 20


@pytest.mark.parametrize(
    ("topic", "payload", "error"),
    [
        ("purchase approved", {"a": 1}, ValueError),
        ("", {"a": 1}, ValueError),
        (TOPIC, ["not", "an", "object"], TypeError),
        (TOPIC, {"amount": object()}, TypeError),
    ],
)
async def test_bad_events_are_refused_before_anything_is_written(
    topic: str, payload: object, error: type[Exception], make_database: MakeDatabase
) -> None:
    database = await make_database()
    async with transaction(database.sessions) as session:
        with pytest.raises(error):
            await add_event(session, topic, "PR-1", payload, table=OUTBOX)  # type: ignore[arg-type]

    assert await outbox_rows(database.sessions) == []
