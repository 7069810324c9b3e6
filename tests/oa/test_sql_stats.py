"""The database-side statistics of ``subgraphs/common/sql_stats.py`` answer alike on SQLite
and PostgreSQL (run here on the OA test databases of both), and as ``percentile_cont`` would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Integer, String, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.sql_stats import (
    DurationStats,
    duration_stats,
    elapsed_seconds,
    week_starting,
)
from tandem_shared.db import transaction
from tandem_shared.timestamps import AwareDateTime

pytestmark = pytest.mark.anyio

CST = timezone(timedelta(hours=8))


def _moment(value: datetime) -> Any:
    return literal(value, AwareDateTime())


async def _scalar(sessions: async_sessionmaker[AsyncSession], expression: Any) -> Any:
    async with transaction(sessions) as session:
        return await session.scalar(select(expression))


@pytest.mark.parametrize(
    ("moment", "monday"),
    [
        (datetime(2026, 11, 8, 23, 30, tzinfo=CST), "2026-11-02"),  # Sunday night
        (datetime(2026, 11, 9, 0, 30, tzinfo=CST), "2026-11-09"),  # Monday, 00:30 at +08:00
        (datetime(2026, 11, 8, 17, 0, tzinfo=UTC), "2026-11-09"),  # the same Monday 01:00
        (datetime(2026, 11, 15, 12, 0, tzinfo=CST), "2026-11-09"),  # Sunday noon
    ],
)
async def test_a_week_starts_on_monday_at_the_companys_midnight(
    sessions: async_sessionmaker[AsyncSession], moment: datetime, monday: str
) -> None:
    assert await _scalar(sessions, week_starting(_moment(moment))) == monday


async def test_elapsed_seconds_are_whole_seconds_between_instants(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = datetime(2026, 11, 2, 1, 0, 0, 900_000, tzinfo=UTC)
    end = datetime(2026, 11, 2, 10, 0, 2, 100_000, tzinfo=CST)  # 3,601.2 s later
    # each end truncated to its second first: 10:00:02 - 09:00:00 at +08:00
    assert await _scalar(sessions, elapsed_seconds(_moment(start), _moment(end))) == 3602


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ([7], DurationStats(1, 7.0, 7.0, 7)),
        ([1, 2], DurationStats(2, 1.5, 1.9, 2)),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], DurationStats(10, 55.0, 91.0, 100)),
        ([5, 1, 4, 2, 3], DurationStats(5, 3.0, 4.6, 5)),
    ],
)
async def test_median_and_p90_interpolate_as_percentile_cont(
    sessions: async_sessionmaker[AsyncSession], numbers: list[int], expected: DurationStats
) -> None:
    # one SELECT per value (SQLite names no VALUES columns): group "a", and "b" with no value
    rows = [select(literal("a", String).label("g"), literal(n, Integer).label("seconds"))
            for n in numbers]  # fmt: skip
    rows.append(select(literal("b", String).label("g"), cast(null(), Integer).label("seconds")))
    table = union_all(*rows).subquery("v")
    async with transaction(sessions) as session:
        found = {row.g: DurationStats.of(row) for row in await session.execute(
            duration_stats(table, ["g"])
        )}  # fmt: skip
    assert found == {"a": expected, "b": DurationStats.empty()}


async def test_postgresqls_percentile_cont_gives_the_same_floats(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """``ordered=True`` (PostgreSQL's ``percentile_cont``, rounded) answers exactly what the
    ranked interpolation does, also where the unrounded one is off in the last bit (the
    p90 of 0 and 13: 11.700000000000001)."""
    groups = {"a": [1309, 3159, 2843, 7, 3160, 5800, 6444, 11], "b": [4, 4, 4], "c": [1, 2],
              "e": [13, 0]}  # fmt: skip
    rows = [select(literal(g, String).label("g"), literal(n, Integer).label("seconds"))
            for g, numbers in groups.items() for n in numbers]  # fmt: skip
    rows.append(select(literal("d", String).label("g"), cast(null(), Integer).label("seconds")))
    table = union_all(*rows).subquery("v")
    async with transaction(sessions) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("percentile_cont is PostgreSQL's")
        answers = [
            {row.g: DurationStats.of(row)
             for row in await session.execute(duration_stats(table, ["g"], ordered=ordered))}
            for ordered in (False, True)
        ]  # fmt: skip
    assert answers[0] == answers[1]
    assert answers[1]["e"] == DurationStats(2, 6.5, 11.7, 13) and answers[1]["d"].count == 0
