"""Business codes: formats, and numbers that stay unique under concurrency on both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from subgraphs.common.codes import (
    CODE_PATTERN,
    ParsedCode,
    format_code,
    next_code,
    parse_code,
)
from tandem_shared.db import create_session_factory, transaction, upgrade_to_head

EXAMPLE = "tests.common.migrations_example"


@pytest.mark.parametrize(
    ("prefix", "period", "number", "code"),
    [
        ("PO", "202611", 1, "PO-202611-0001"),
        ("SO", "202612", 42, "SO-202612-0042"),
        ("PO", "202611", 10000, "PO-202611-10000"),
        ("EMP", None, 123, "EMP-000123"),
        ("CUS", "", 7, "CUS-000007"),
        ("EMP", None, 1234567, "EMP-1234567"),
    ],
)
def test_each_code_has_one_format(prefix: str, period: str | None, number: int, code: str) -> None:
    assert format_code(prefix, period, number) == code
    assert CODE_PATTERN.match(code)
    assert parse_code(code) == ParsedCode(prefix, period or None, number)


@pytest.mark.parametrize(
    ("prefix", "period", "number"),
    [
        ("po", "202611", 1),
        ("P", None, 1),
        ("PURCH", None, 1),
        ("PO", "202613", 1),
        ("PO", "2026-11", 1),
        ("PO", "202611", 0),
    ],
)
def test_invalid_parts_are_refused(prefix: str, period: str | None, number: int) -> None:
    with pytest.raises(ValueError):
        format_code(prefix, period, number)


@pytest.mark.parametrize(
    "text", ["PO-202611-001", "PO-202613-0001", "po-202611-0001", "EMP-12345", "EMP000123", ""]
)
def test_parse_code_refuses_what_is_not_a_code(text: str) -> None:
    assert parse_code(text) is None


@pytest.mark.anyio
async def test_numbers_count_per_prefix_and_period(database_url: str, engine: AsyncEngine) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    sessions = create_session_factory(engine)

    async with transaction(sessions) as session:
        codes = [
            await next_code(session, "PO", "202611"),
            await next_code(session, "PO", "202611"),
            await next_code(session, "PO", "202612"),
            await next_code(session, "SO", "202611"),
            await next_code(session, "EMP"),
            await next_code(session, "EMP"),
        ]

    assert codes == [
        "PO-202611-0001",
        "PO-202611-0002",
        "PO-202612-0001",
        "SO-202611-0001",
        "EMP-000001",
        "EMP-000002",
    ]


@pytest.mark.anyio
async def test_a_rolled_back_transaction_gives_its_number_back(
    database_url: str, engine: AsyncEngine
) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    sessions = create_session_factory(engine)

    with pytest.raises(LookupError):
        async with transaction(sessions) as session:
            assert await next_code(session, "PO", "202611") == "PO-202611-0001"
            raise LookupError
    async with transaction(sessions) as session:
        assert await next_code(session, "PO", "202611") == "PO-202611-0001"


@pytest.mark.anyio
async def test_concurrent_transactions_get_distinct_consecutive_numbers(
    database_url: str, engine: AsyncEngine
) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    sessions = create_session_factory(engine)
    workers = 40

    async def take() -> str:
        async with transaction(sessions) as session:
            code = await next_code(session, "PO", "202611")
            await asyncio.sleep(0.002)  # hold the row lock while others queue for it
            return code

    codes = await asyncio.gather(*(take() for _ in range(workers)))

    assert sorted(codes) == [format_code("PO", "202611", n) for n in range(1, workers + 1)]
