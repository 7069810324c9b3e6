"""Sales analytics: summaries by customer, item or month, and a linear-trend forecast.

Forecast method (documented in the API too): take the item's shipped-or-open sales
quantity per month for the ``history`` complete months before the current month (months
without sales count as 0), fit a straight line ``q = a + b·t`` by ordinary least squares,
and extend it over the current month and the months after it. Forecasts are clamped at 0
and rounded to 2 places. With fewer than two months of history it repeats the average.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput
from subgraphs.erp.store.base import (
    add_months,
    parse_period,
    period_bounds,
    period_of,
)
from subgraphs.erp.store.models import Customer, Item, SalesOrder, SalesOrderLine
from subgraphs.erp.store.sales import SalesOrderStatus

__all__ = [
    "FORECAST_METHOD",
    "Forecast",
    "GroupBy",
    "SummaryRow",
    "monthly_quantities",
    "parse_summary_period",
    "sales_forecast",
    "sales_summary",
]

FORECAST_METHOD = (
    "Linear trend: ordinary least squares over monthly quantities of the `history` "
    "complete months before this month (months without sales count as 0), extended over "
    "this month and the following ones; clamped at 0, rounded to 2 places."
)
_CENT = Decimal("0.01")


class GroupBy(StrEnum):
    """What a sales summary's rows are."""

    CUSTOMER = "CUSTOMER"
    ITEM = "ITEM"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Sales of one customer, item or month."""

    key: str
    label: str
    currency: str
    quantity: int
    amount: Decimal
    order_count: int


@dataclass(slots=True)
class _Group:
    label: str
    quantity: int = 0
    amount: Decimal = Decimal(0)
    orders: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Actual monthly quantities, and the forecast ones after them."""

    history: list[tuple[str, Decimal]]
    forecast: list[tuple[str, Decimal]]


def parse_summary_period(text: str, *, field: str = "period") -> tuple[datetime, datetime]:
    """A year ``YYYY`` or a month ``YYYY-MM`` as the instants it starts and ends."""
    if isinstance(text, str) and len(text) == 4 and text.isdigit() and text != "0000":
        start, _ = period_bounds(f"{text}-01")
        _, end = period_bounds(f"{text}-12")
        return start, end
    message = "A period is a year YYYY or a month YYYY-MM."
    try:
        return period_bounds(parse_period(text, field=field))
    except BadUserInput:
        raise BadUserInput(message, field=field) from None


async def sales_summary(
    session: AsyncSession, start: datetime, end: datetime, group_by: GroupBy
) -> list[SummaryRow]:
    """Sales (orders not cancelled) created in [start, end), grouped, largest amount first."""
    statement = (
        select(SalesOrderLine, SalesOrder, Customer.name, Item.name)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .join(Item, Item.sku == SalesOrderLine.sku)
        .where(
            SalesOrder.created_at >= start,
            SalesOrder.created_at < end,
            SalesOrder.status != SalesOrderStatus.CANCELLED.value,
        )
    )
    groups: dict[tuple[str, str], _Group] = {}
    for line, order, customer_name, item_name in (await session.execute(statement)).all():
        match group_by:
            case GroupBy.CUSTOMER:
                key, label = order.customer_id, customer_name
            case GroupBy.ITEM:
                key, label = line.sku, item_name
            case GroupBy.MONTH:
                key = label = period_of(order.created_at)
        group = groups.setdefault((key, order.currency), _Group(label))
        group.quantity += line.quantity
        group.amount += line.amount
        group.orders.add(order.id)
    rows = [
        SummaryRow(key, group.label, currency, group.quantity, group.amount, len(group.orders))
        for (key, currency), group in groups.items()
    ]
    if group_by is GroupBy.MONTH:
        return sorted(rows, key=lambda row: row.key)
    return sorted(rows, key=lambda row: (-row.amount, row.key))


async def monthly_quantities(
    session: AsyncSession, sku: str, first: str, last: str
) -> dict[str, int]:
    """Units of ``sku`` sold (orders not cancelled) per month from ``first`` to ``last``."""
    start, _ = period_bounds(first)
    _, end = period_bounds(last)
    statement = (
        select(SalesOrder.created_at, SalesOrderLine.quantity)
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(
            SalesOrderLine.sku == sku,
            SalesOrder.created_at >= start,
            SalesOrder.created_at < end,
            SalesOrder.status != SalesOrderStatus.CANCELLED.value,
        )
    )
    totals: dict[str, int] = defaultdict(int)
    for created_at, quantity in (await session.execute(statement)).all():
        totals[period_of(created_at)] += quantity
    return totals


async def sales_forecast(
    session: AsyncSession, sku: str, periods: int, history: int, now: datetime
) -> Forecast:
    """The linear-trend forecast of ``sku`` for ``periods`` months from ``now``'s month."""
    current = period_of(now)
    months = [add_months(current, offset) for offset in range(-history, 0)]
    totals = await monthly_quantities(session, sku, months[0], months[-1])
    actual = [Decimal(totals.get(month, 0)) for month in months]
    intercept, slope = _least_squares(actual)
    forecast = []
    for step in range(periods):
        value = intercept + slope * (history + step)
        forecast.append((add_months(current, step), _round(max(value, Decimal(0)))))
    return Forecast(list(zip(months, actual, strict=True)), forecast)


def _least_squares(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """``(a, b)`` of the line ``a + b·t`` through ``values`` at t = 0, 1, ..."""
    n = len(values)
    mean_y = sum(values, Decimal(0)) / n
    if n < 2:
        return mean_y, Decimal(0)
    mean_t = Decimal(n - 1) / 2
    covariance = sum(((t - mean_t) * (y - mean_y) for t, y in enumerate(values)), Decimal(0))
    variance = sum(((t - mean_t) ** 2 for t in range(n)), Decimal(0))
    slope = covariance / variance
    return mean_y - slope * mean_t, slope


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)
