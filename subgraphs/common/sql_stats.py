"""Duration statistics computed by the database, the same on SQLite and PostgreSQL.

Analytics and dashboards aggregate in SQL rather than in Python loops over rows. Three
pieces do not exist alike in both dialects, so they are spelled out here once:

- :class:`elapsed_seconds` — whole seconds from one timestamp to another (each truncated
  to its second first: ``strftime('%s', ...)`` on SQLite, ``floor(extract(epoch ...))`` on
  PostgreSQL), so both give the same integer.
- :class:`week_starting` — the Monday (``YYYY-MM-DD``) of a timestamp's week, on the
  company's clock (UTC+08:00, as the ERP's periods).
- :func:`duration_stats` — count, median, 90th percentile and maximum per group. SQLite has
  no ``percentile_cont``; both dialects have window functions, so each value is ranked
  (``row_number``) within its group and the percentile is interpolated linearly between the
  two ranks around it, exactly as ``percentile_cont`` does: for ``n`` values and fraction
  ``p = num/den`` the position is ``h = (n - 1)·p``, and the answer
  ``v[⌊h⌋] + (h - ⌊h⌋)·(v[⌊h⌋+1] - v[⌊h⌋])``. The arithmetic stays in integers until one
  final division by ``den``, so both dialects answer the same float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Float, Integer, String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["MEDIAN", "P90", "DurationStats", "duration_stats", "elapsed_seconds", "week_starting"]

MEDIAN: Final = (1, 2)
"""The median as a fraction (numerator, denominator)."""
P90: Final = (9, 10)
"""The 90th percentile as a fraction."""


class elapsed_seconds(FunctionElement[int]):
    """``elapsed_seconds(start, end)``: whole seconds from ``start`` to ``end`` (an integer)."""

    type = Integer()
    inherit_cache = True
    name = "elapsed_seconds"


@compiles(elapsed_seconds, "sqlite")
def _elapsed_sqlite(element: elapsed_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"(CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER))"


@compiles(elapsed_seconds, "postgresql")
def _elapsed_postgresql(element: elapsed_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"(CAST(floor(extract(epoch FROM {end})) AS BIGINT)"
        f" - CAST(floor(extract(epoch FROM {start})) AS BIGINT))"
    )


class week_starting(FunctionElement[str]):
    """``week_starting(moment)``: ``YYYY-MM-DD`` of the Monday of its week at UTC+08:00."""

    type = String()
    inherit_cache = True
    name = "week_starting"


@compiles(week_starting, "sqlite")
def _week_sqlite(element: week_starting, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(arg, **kw) for arg in element.clauses)
    # 'weekday 0' moves forward to the next Sunday (or stays on one): six days back is Monday
    return f"date({moment}, '+8 hours', 'weekday 0', '-6 days')"


@compiles(week_starting, "postgresql")
def _week_postgresql(element: week_starting, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return (
        f"to_char(date_trunc('week', ({moment} AT TIME ZONE 'UTC') + interval '8 hours'),"
        " 'YYYY-MM-DD')"
    )


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Statistics of a group's durations, in seconds (``None`` for an empty group)."""

    count: int
    median: float | None
    p90: float | None
    max: int | None

    @classmethod
    def empty(cls) -> DurationStats:
        return cls(count=0, median=None, p90=None, max=None)

    @classmethod
    def of(cls, row: Any) -> DurationStats:
        """From a row of :func:`duration_stats` (its ``n``, ``median``, ``p90``, ``longest``)."""
        return cls(
            count=int(row.n),
            median=None if row.median is None else float(row.median),
            p90=None if row.p90 is None else float(row.p90),
            max=None if row.longest is None else int(row.longest),
        )


def duration_stats(values: FromClause, keys: Sequence[str], value: str = "seconds") -> Select[Any]:
    """``SELECT keys..., n, median, p90, longest FROM values GROUP BY keys``.

    ``values`` is a subquery with the group columns ``keys`` and an integer column
    ``value`` (rows whose value is NULL are left out).
    """
    group = [values.c[key] for key in keys]
    measured = values.c[value]
    ranked = (
        select(
            *group,
            measured.label("v"),
            func.row_number().over(partition_by=group, order_by=measured).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(measured.is_not(None))
        .subquery("ranked")
    )
    ranked_keys = [ranked.c[key] for key in keys]
    return select(
        *ranked_keys,
        func.count().label("n"),
        _percentile(ranked, MEDIAN).label("median"),
        _percentile(ranked, P90).label("p90"),
        func.max(ranked.c.v).label("longest"),
    ).group_by(*ranked_keys)


def _percentile(ranked: FromClause, fraction: tuple[int, int]) -> ColumnElement[Any]:
    """``percentile_cont(num/den)`` over ``ranked.v`` in integers, one division at the end."""
    num, den = fraction
    scaled = (ranked.c.n - 1) * num  # h·den
    lower = scaled // den  # ⌊h⌋ (integer division in both dialects)
    weight = scaled % den  # (h - ⌊h⌋)·den
    rank = ranked.c.rn - 1
    term = case(
        (rank == lower, ranked.c.v * (den - weight)),
        (rank == lower + 1, ranked.c.v * weight),
        else_=0,
    )
    return cast(func.sum(term), Float) / den
