"""Time: ISO 8601 with an offset in, out, and through the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import strawberry
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from subgraphs.common.errors import BadUserInput
from subgraphs.common.schema import create_schema
from subgraphs.common.timestamps import parse_datetime
from tandem_shared.timestamps import (
    AwareDateTime,
    format_datetime,
    month_period,
    require_aware,
    utc_now,
)

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T09:30:00+08:00", datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)),
        ("2026-11-25T01:30:00Z", datetime(2026, 11, 25, 1, 30, tzinfo=UTC)),
        ("2026-11-25T01:30Z", datetime(2026, 11, 25, 1, 30, tzinfo=UTC)),
        ("2026-11-25T01:30:00.123456-05:00", datetime(2026, 11, 25, 6, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_offset_datetimes_parse(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text, field="start")
    assert parsed == expected
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T09:30:00",
        "2026-11-25 09:30:00+08:00",
        "2026-11-25",
        "2026-W48-3T09:30Z",
        "2026-13-01T00:00:00Z",
        "yesterday",
        "",
    ],
)
def test_datetimes_without_offset_or_malformed_are_bad_user_input(text: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        parse_datetime(text, field="input.start")
    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "field": "input.start"}


def test_outputs_keep_their_offset() -> None:
    moment = datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
    assert format_datetime(moment) == "2026-11-25T09:30:00+08:00"
    assert format_datetime(moment.astimezone(UTC)) == "2026-11-25T01:30:00+00:00"
    assert utc_now().utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 11, 25, 9, 30))


def test_month_period_uses_the_given_offset() -> None:
    moment = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert month_period(moment) == "202611"
    assert month_period(moment.astimezone(SHANGHAI)) == "202612"
    with pytest.raises(ValueError):
        require_aware(datetime(2026, 1, 1))


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, at: datetime) -> datetime:
        return at

    @strawberry.field
    def naive(self) -> datetime:
        return datetime(2026, 1, 1)


SCHEMA = create_schema(query=Query)


def test_the_datetime_scalar_requires_an_offset_both_ways() -> None:
    ok = SCHEMA.execute_sync(
        "query ($at: DateTime!) { echo(at: $at) }", {"at": "2026-11-25T09:30:00+08:00"}
    )
    assert ok.errors is None
    assert ok.data == {"echo": "2026-11-25T09:30:00+08:00"}

    naive_in = SCHEMA.execute_sync(
        "query ($at: DateTime!) { echo(at: $at) }", {"at": "2026-11-25T09:30:00"}
    )
    assert naive_in.errors and "offset" in naive_in.errors[0].message

    naive_out = SCHEMA.execute_sync("{ naive }")
    assert naive_out.errors
    assert naive_out.errors[0].extensions == {"code": "INTERNAL"}


@pytest.mark.anyio
async def test_the_column_type_stores_utc_and_reads_aware(engine: AsyncEngine) -> None:
    events = Table(
        "events", MetaData(), Column("id", Integer, primary_key=True), Column("at", AwareDateTime())
    )
    moment = datetime(2026, 11, 25, 9, 30, 15, 250000, tzinfo=SHANGHAI)
    async with engine.begin() as connection:
        await connection.run_sync(events.metadata.create_all)
        await connection.execute(insert(events).values(id=1, at=moment))
        stored = (await connection.execute(select(events.c.at))).scalar_one()
        later = (
            await connection.execute(
                select(events.c.id).where(events.c.at > moment - timedelta(seconds=1))
            )
        ).scalar_one()
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)
    assert later == 1

    with pytest.raises(Exception, match="naive"):
        async with engine.begin() as connection:
            await connection.execute(insert(events).values(id=2, at=datetime(2026, 1, 1)))
