"""Business codes: one documented format each, numbered race-free per prefix and period.

==================  ====================  ==================  ===========================
what                format                example             numbered per
==================  ====================  ==================  ===========================
purchase order      ``PO-YYYYMM-NNNN``    ``PO-202611-0001``  month the order was created
sales order         ``SO-YYYYMM-NNNN``    ``SO-202611-0001``  month the order was created
employee            ``EMP-NNNNNN``        ``EMP-000123``      ever (no period)
customer            ``CUS-NNNNNN``        ``CUS-000042``      ever (no period)
==================  ====================  ==================  ===========================

A prefix is 2-4 capital letters and a period is ``YYYYMM`` (see
:func:`subgraphs.common.timestamps.month_period`) or none. Numbers start at 1, are padded to
4 digits with a period and 6 without, and grow wider rather than wrap (``PO-202611-10000``).

:func:`next_code` takes the next number from the ``business_code_counters`` row of
(prefix, period) with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row
stays locked until the caller's transaction ends, so concurrent callers wait and get
distinct numbers, and a rolled-back transaction gives its number back (no gaps).
Each subgraph creates the table in one of its migrations with
:func:`create_code_counters_table`.
"""

from __future__ import annotations

import re
from typing import Any, Final, NamedTuple, cast

from sqlalchemy import BigInteger, Column, String, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "CODE_COUNTERS_TABLE",
    "CODE_PATTERN",
    "CUSTOMER",
    "EMPLOYEE",
    "PURCHASE_ORDER",
    "SALES_ORDER",
    "CodeCounter",
    "ParsedCode",
    "create_code_counters_table",
    "format_code",
    "next_code",
    "parse_code",
]

PURCHASE_ORDER: Final = "PO"
SALES_ORDER: Final = "SO"
EMPLOYEE: Final = "EMP"
CUSTOMER: Final = "CUS"
CODE_COUNTERS_TABLE: Final = "business_code_counters"

CODE_PATTERN: Final = re.compile(
    r"^(?P<prefix>[A-Z]{2,4})-(?:(?P<period>\d{6})-(?P<n>\d{4,})|(?P<plain>\d{6,}))$"
)
"""Every business code; groups ``prefix`` and either ``period`` + ``n`` or ``plain``."""

_PREFIX = re.compile(r"^[A-Z]{2,4}$")
_PERIOD = re.compile(r"^\d{4}(0[1-9]|1[0-2])$")


class ParsedCode(NamedTuple):
    """A business code's parts; ``period`` is None for codes numbered without a period."""

    prefix: str
    period: str | None
    number: int


class _StandardsBase(DeclarativeBase):
    pass


class CodeCounter(_StandardsBase):
    """The last number handed out for one (prefix, period); ``period`` is ``""`` when none."""

    __tablename__ = CODE_COUNTERS_TABLE

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    period: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, nullable=False)


_COUNTERS = cast(Table, CodeCounter.__table__)


def create_code_counters_table(op: Any) -> None:
    """Create the counters table from a migration: ``create_code_counters_table(op)``."""
    op.create_table(
        CODE_COUNTERS_TABLE,
        Column("prefix", String(4), primary_key=True),
        Column("period", String(6), primary_key=True),
        Column("last_value", BigInteger, nullable=False),
    )


def format_code(prefix: str, period: str | None, number: int) -> str:
    """The code numbered ``number`` (from 1) for ``prefix`` in ``period`` (or none)."""
    _check(prefix, period)
    if number < 1:
        raise ValueError("business code numbers start at 1")
    return f"{prefix}-{period}-{number:04d}" if period else f"{prefix}-{number:06d}"


def parse_code(code: str) -> ParsedCode | None:
    """The parts of ``code``, or None when it is not a business code."""
    match = CODE_PATTERN.match(code)
    if match is None:
        return None
    if match["plain"] is not None:
        return ParsedCode(match["prefix"], None, int(match["plain"]))
    if _PERIOD.match(match["period"]) is None:
        return None
    return ParsedCode(match["prefix"], match["period"], int(match["n"]))


async def next_code(session: AsyncSession, prefix: str, period: str | None = None) -> str:
    """Reserve the next code for ``prefix`` in ``period`` inside ``session``'s transaction."""
    _check(prefix, period)
    table = _COUNTERS
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise NotImplementedError(f"next_code supports PostgreSQL and SQLite, not {dialect}")
    statement = (
        insert.values(prefix=prefix, period=period or "", last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.prefix, table.c.period],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    number: int = (await session.execute(statement)).scalar_one()
    return format_code(prefix, period, number)


def _check(prefix: str, period: str | None) -> None:
    if _PREFIX.match(prefix) is None:
        raise ValueError(f"a code prefix is 2-4 capital letters, not {prefix!r}")
    if period is not None and period != "" and _PERIOD.match(period) is None:
        raise ValueError(f"a code period is YYYYMM, not {period!r}")
