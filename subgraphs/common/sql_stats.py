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
  final division by ``den``, so both dialects answer the same float. PostgreSQL may instead
  use its ordered-set aggregate ``percentile_cont`` (``ordered=True``,
  :func:`ordered_stats_columns`): one sort per group rather than two window passes over
  every row (about 40 % less time for the step figures at 10 000 approval steps:
  ``benchmarks/approval_analytics.py``); rounded to the places ``den`` needs,
  it answers the same float.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Float, Integer, Numeric, String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, FromClause, Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = [
    "MEDIAN",
    "P90",
    "DurationStats",
    "duration_stats",
    "elapsed_seconds",
    "ordered_stats_columns",
    "rank_columns",
    "stats_columns",
    "week_starting",
]

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
    def of(cls, row: Any, measure: str = "seconds") -> DurationStats:
        """From a row holding the :func:`stats_columns` of ``measure``."""
        median, p90, longest = (row._mapping[f"{measure}_{part}"] for part in _PARTS[1:])
        return cls(
            count=int(row._mapping[f"{measure}_count"] or 0),
            median=None if median is None else float(median),
            p90=None if p90 is None else float(p90),
            max=None if longest is None else int(longest),
        )


_PARTS: Final = ("count", "median", "p90", "max")


def rank_columns(measure: ColumnElement[Any], name: str, group: Sequence[Any]) -> list[Any]:
    """Window columns to add to the rows of ``group``: ``<name>_rn``, the rank of the row's
    ``measure`` among the group's non-NULL ones, and ``<name>_n``, how many there are.

    NULLs form a partition of their own, so ranks of the values start at 1 whichever end
    of the order a dialect puts NULLs at; :func:`stats_columns` ignores NULL values.
    """
    return [
        func.row_number()
        .over(partition_by=[*group, measure.is_(None)], order_by=measure)
        .label(f"{name}_rn"),
        func.count(measure).over(partition_by=list(group)).label(f"{name}_n"),
    ]


def stats_columns(ranked: FromClause, name: str) -> list[Any]:
    """Aggregates over rows carrying :func:`rank_columns` of ``name`` (the measure itself
    in column ``name``): ``<name>_count``, ``_median``, ``_p90`` and ``_max``, for a
    ``GROUP BY`` of the same group."""
    value = ranked.c[name]
    return [
        func.count(value).label(f"{name}_count"),
        _percentile(ranked, name, MEDIAN).label(f"{name}_median"),
        _percentile(ranked, name, P90).label(f"{name}_p90"),
        func.max(value).label(f"{name}_max"),
    ]


def ordered_stats_columns(values: FromClause, name: str) -> list[Any]:
    """The :func:`stats_columns` of the column ``name`` of ``values``, for PostgreSQL only,
    straight from the rows (no :func:`rank_columns`): ``percentile_cont`` rounded to the
    places the fraction's denominator needs, so the float is the one the integer
    interpolation gives."""
    value = values.c[name]
    return [
        func.count(value).label(f"{name}_count"),
        _ordered_percentile(value, MEDIAN).label(f"{name}_median"),
        _ordered_percentile(value, P90).label(f"{name}_p90"),
        func.max(value).label(f"{name}_max"),
    ]


def duration_stats(
    values: FromClause, keys: Sequence[str], value: str = "seconds", *, ordered: bool = False
) -> Select[Any]:
    """``SELECT keys..., <value>_count, _median, _p90, _max FROM values GROUP BY keys``:
    the statistics of one integer column of a subquery (NULLs left out); ``ordered``: with
    PostgreSQL's ``percentile_cont`` (:func:`ordered_stats_columns`)."""
    group = [values.c[key] for key in keys]
    if ordered:
        return select(*group, *ordered_stats_columns(values, value)).group_by(*group)
    ranked = select(*group, values.c[value], *rank_columns(values.c[value], value, group))
    inner = ranked.subquery("ranked")
    return select(*(inner.c[key] for key in keys), *stats_columns(inner, value)).group_by(
        *(inner.c[key] for key in keys)
    )


def _ordered_percentile(value: ColumnElement[Any], fraction: tuple[int, int]) -> ColumnElement[Any]:
    """``percentile_cont(num/den)`` rounded to the decimal places of a multiple of ``1/den``
    (the exact answer is one), as a float."""
    num, den = fraction
    places = next(p for p in range(1, 10) if 10**p % den == 0)
    exact = func.percentile_cont(num / den).within_group(value)
    return cast(func.round(cast(exact, Numeric), places), Float)


def _percentile(ranked: FromClause, name: str, fraction: tuple[int, int]) -> ColumnElement[Any]:
    """``percentile_cont(num/den)`` of the column ``name`` in integers, one division at the
    end (NULL for a group without values: every term is NULL then)."""
    num, den = fraction
    value, rank, count = ranked.c[name], ranked.c[f"{name}_rn"] - 1, ranked.c[f"{name}_n"]
    scaled = (count - 1) * num  # h·den
    lower = scaled // den  # ⌊h⌋ (integer division in both dialects)
    weight = scaled % den  # (h - ⌊h⌋)·den
    term = case(
        (rank == lower, value * (den - weight)),
        (rank == lower + 1, value * weight),
        else_=None,
    )
    return cast(func.sum(term), Float) / den
