"""Management overview figures, each computed by the database (issue 16, item 3).

Every figure is a SQL aggregate (``GROUP BY``, ``SUM``, ``COUNT``); Python only joins two
aggregates by key, divides one total by another, and finishes the sales forecast from the
three sums of its least-squares fit. Money is summed per currency (no conversion).

- **Sales against forecast** of a month, per item or customer: quantity, amount and orders
  of the orders created in the month and not cancelled; per item also the forecast the
  method of :mod:`subgraphs.erp.store.analytics` makes for that month from the ``history``
  months before it (a straight line through the monthly quantities fitted by least squares,
  months without sales count as 0, clamped at 0, rounded to 2 places). The fit needs only
  ``Σy`` and ``Σt·y`` per item (``t`` = 0 for the oldest month): one grouped query.
- **Budget use** of a month per department: amount, committed, spent and available
  (amount - committed - spent).
- **Stock value** per warehouse: units on hand times each item's standard cost; **items
  below their reorder level**: available units (on hand minus reserved, every warehouse)
  under the item's ``reorder_level``.
- **Production** of a month per item: work orders completed in it (planned and completed
  units) and quality inspections recorded in it (inspected, defects); yield is
  ``(inspected - defects) / inspected``, the defect rate ``defects / inspected``.
- **Open purchase orders** (``CREATED`` or ``SENT``) per supplier, and **late deliveries**:
  orders sent more than ``lead_time_days`` ago and not received yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput
from subgraphs.common.money import DecimalAmount
from subgraphs.erp.store.base import add_months, parse_period, period_bounds
from subgraphs.erp.store.models import (
    Budget,
    Customer,
    Item,
    PurchaseOrder,
    QualityInspection,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    Supplier,
    Warehouse,
    WorkOrder,
)
from subgraphs.erp.store.procurement import PurchaseOrderStatus
from subgraphs.erp.store.sales import SalesOrderStatus
from tandem_shared.timestamps import AwareDateTime, require_aware

__all__ = [
    "MAX_HISTORY",
    "MAX_LEAD_TIME_DAYS",
    "BudgetUse",
    "LateDelivery",
    "OpenOrders",
    "ProductionRow",
    "SalesGroup",
    "SalesRow",
    "Shortage",
    "StockValueRow",
    "budget_use",
    "items_below_reorder_level",
    "late_deliveries",
    "open_purchase_orders",
    "production_summary",
    "sales_against_forecast",
    "stock_value",
]

MAX_HISTORY: Final = 24
MAX_LEAD_TIME_DAYS: Final = 365
_CENT: Final = Decimal("0.01")
_OPEN_ORDERS: Final = (PurchaseOrderStatus.CREATED.value, PurchaseOrderStatus.SENT.value)


class SalesGroup(StrEnum):
    CUSTOMER = "CUSTOMER"
    ITEM = "ITEM"


@dataclass(frozen=True, slots=True)
class SalesRow:
    key: str
    label: str
    currency: str | None
    quantity: int
    amount: Decimal
    orders: int
    forecast: Decimal | None


@dataclass(frozen=True, slots=True)
class BudgetUse:
    department_id: str
    currency: str
    amount: Decimal
    committed: Decimal
    spent: Decimal
    available: Decimal


@dataclass(frozen=True, slots=True)
class StockValueRow:
    warehouse_id: str
    warehouse: str
    currency: str
    units: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class Shortage:
    item: Item
    reorder_level: int
    on_hand: int
    available: int


@dataclass(frozen=True, slots=True)
class ProductionRow:
    item: Item
    work_orders: int
    planned: int
    completed: int
    inspected: int
    defects: int

    @property
    def yield_rate(self) -> float | None:
        return None if not self.inspected else (self.inspected - self.defects) / self.inspected

    @property
    def defect_rate(self) -> float | None:
        return None if not self.inspected else self.defects / self.inspected


@dataclass(frozen=True, slots=True)
class OpenOrders:
    supplier: Supplier
    currency: str
    orders: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class LateDelivery:
    order: PurchaseOrder
    due_at: datetime


def _money_sum(expression: Any) -> Any:
    """``SUM`` of an amount expression read back as a ``Decimal`` (SQLite stores scaled
    integers: the type keeps the scale); NULL over no rows (:func:`_decimal` reads 0)."""
    return func.sum(type_coerce(expression, DecimalAmount()))


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0)


# --- sales -----------------------------------------------------------------------------------


async def sales_against_forecast(
    session: AsyncSession, period: str, group: SalesGroup, history: int
) -> list[SalesRow]:
    """Sales of ``period`` per item or customer, largest amount first; items with a
    forecast and no sales are listed too (quantity 0)."""
    period = parse_period(period)
    if not 1 <= history <= MAX_HISTORY:
        raise BadUserInput(f"`history` is 1 to {MAX_HISTORY} months.", field="history")
    start, end = period_bounds(period)
    joined: type[Item] | type[Customer]
    if group is SalesGroup.ITEM:
        key, label, joined = SalesOrderLine.sku, Item.name, Item
        on = Item.sku == SalesOrderLine.sku
    else:
        key, label, joined = SalesOrder.customer_id, Customer.name, Customer
        on = Customer.id == SalesOrder.customer_id
    statement = (
        select(
            key.label("key"),
            label.label("label"),
            SalesOrder.currency,
            func.sum(SalesOrderLine.quantity).label("quantity"),
            _money_sum(SalesOrderLine.amount).label("amount"),
            func.count(func.distinct(SalesOrder.id)).label("orders"),
        )
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(joined, on)
        .where(*_sold_between(start, end))
        .group_by(key, label, SalesOrder.currency)
    )
    rows = [
        SalesRow(row.key, row.label, row.currency, int(row.quantity), _decimal(row.amount),
                 int(row.orders), None)
        for row in await session.execute(statement)
    ]  # fmt: skip
    if group is SalesGroup.ITEM:
        forecasts = await _forecasts(session, period, history)
        rows = [
            SalesRow(r.key, r.label, r.currency, r.quantity, r.amount, r.orders,
                     forecasts.pop(r.key, (None, Decimal(0)))[1])
            for r in rows
        ]  # fmt: skip
        rows += [
            SalesRow(sku, name or sku, None, 0, Decimal(0), 0, forecast)
            for sku, (name, forecast) in sorted(forecasts.items())
            if forecast > 0
        ]
    return sorted(rows, key=lambda row: (-row.amount, -(row.forecast or 0), row.key))


def _sold_between(start: datetime, end: datetime) -> list[Any]:
    return [
        SalesOrder.created_at >= start,
        SalesOrder.created_at < end,
        SalesOrder.status != SalesOrderStatus.CANCELLED.value,
    ]


async def _forecasts(
    session: AsyncSession, period: str, history: int
) -> dict[str, tuple[str | None, Decimal]]:
    """sku -> (name, forecast of ``period``) from the ``history`` months before it."""
    months = [add_months(period, offset) for offset in range(-history, 0)]
    start, _ = period_bounds(months[0])
    _, end = period_bounds(months[-1])
    # t: how many month starts after the first one the order is at or past
    t = sum(
        (case((SalesOrder.created_at >= period_bounds(m)[0], 1), else_=0) for m in months[1:]),
        literal(0),
    )
    statement = (
        select(
            SalesOrderLine.sku,
            Item.name,
            func.sum(SalesOrderLine.quantity).label("sy"),
            func.sum(t * SalesOrderLine.quantity).label("sty"),
        )
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .join(Item, Item.sku == SalesOrderLine.sku)
        .where(*_sold_between(start, end))
        .group_by(SalesOrderLine.sku, Item.name)
    )
    return {
        row.sku: (row.name, _line_at(history, Decimal(int(row.sy)), Decimal(int(row.sty))))
        for row in await session.execute(statement)
    }


def _line_at(n: int, sy: Decimal, sty: Decimal) -> Decimal:
    """The least-squares line through ``n`` monthly values (sums ``Σy``, ``Σt·y``), at
    ``t = n``: the month after them; clamped at 0, rounded to 2 places."""
    if n < 2:
        value = sy / n
    else:
        st = Decimal(n * (n - 1)) / 2
        stt = Decimal((n - 1) * n * (2 * n - 1)) / 6
        slope = (n * sty - st * sy) / (n * stt - st * st)
        value = (sy - slope * st) / n + slope * n
    return max(value, Decimal(0)).quantize(_CENT, rounding=ROUND_HALF_UP)


# --- budgets ---------------------------------------------------------------------------------


async def budget_use(session: AsyncSession, period: str) -> list[BudgetUse]:
    """Each department's budget of ``period``, by department."""
    period = parse_period(period)
    amount, committed, spent = (
        _money_sum(Budget.amount),
        _money_sum(Budget.committed),
        _money_sum(Budget.spent),
    )
    available = _money_sum(Budget.amount - Budget.committed - Budget.spent)
    statement = (
        select(Budget.department_id, Budget.currency, amount, committed, spent, available)
        .where(Budget.period == period)
        .group_by(Budget.department_id, Budget.currency)
        .order_by(Budget.department_id, Budget.currency)
    )
    return [
        BudgetUse(row[0], row[1], *(_decimal(value) for value in row[2:]))
        for row in await session.execute(statement)
    ]


# --- stock -----------------------------------------------------------------------------------


async def stock_value(session: AsyncSession) -> list[StockValueRow]:
    """Units on hand and their value at standard cost per warehouse, by warehouse code."""
    statement = (
        select(
            Warehouse.id,
            Warehouse.name,
            Item.currency,
            func.sum(StockLevel.quantity).label("units"),
            _money_sum(StockLevel.quantity * Item.standard_cost).label("value"),
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Item, Item.sku == StockLevel.sku)
        .group_by(Warehouse.id, Warehouse.name, Warehouse.code, Item.currency)
        .order_by(Warehouse.code, Item.currency)
    )
    return [
        StockValueRow(row.id, row.name, row.currency, int(row.units or 0), _decimal(row.value))
        for row in await session.execute(statement)
    ]


async def items_below_reorder_level(session: AsyncSession) -> list[Shortage]:
    """Items whose available units are under their reorder level, largest shortfall first."""
    on_hand = func.coalesce(func.sum(StockLevel.quantity), 0)
    available = func.coalesce(func.sum(StockLevel.quantity - StockLevel.reserved), 0)
    statement = (
        select(Item.sku, Item.reorder_level, on_hand.label("on_hand"), available.label("available"))
        .outerjoin(StockLevel, StockLevel.sku == Item.sku)
        .where(Item.reorder_level.is_not(None))
        .group_by(Item.sku, Item.reorder_level)
        .having(available < Item.reorder_level)
        .order_by((Item.reorder_level - available).desc(), Item.sku)
    )
    rows = (await session.execute(statement)).all()
    items = await _items(session, [row.sku for row in rows])
    return [
        Shortage(items[row.sku], int(row.reorder_level), int(row.on_hand), int(row.available))
        for row in rows
    ]


async def _items(session: AsyncSession, skus: list[str]) -> dict[str, Item]:
    """The items of ``skus`` in one query (the rows' GraphQL fields need them)."""
    if not skus:
        return {}
    return {
        item.sku: item for item in await session.scalars(select(Item).where(Item.sku.in_(skus)))
    }


# --- production ------------------------------------------------------------------------------


async def production_summary(session: AsyncSession, period: str) -> list[ProductionRow]:
    """Per item: work orders completed in ``period`` and inspections recorded in it."""
    start, end = period_bounds(parse_period(period))
    output = (
        select(
            WorkOrder.sku,
            func.count().label("orders"),
            func.sum(WorkOrder.quantity).label("planned"),
            func.sum(WorkOrder.completed).label("completed"),
        )
        .where(WorkOrder.completed_at >= start, WorkOrder.completed_at < end)
        .group_by(WorkOrder.sku)
    )
    quality = (
        select(
            WorkOrder.sku,
            func.sum(QualityInspection.inspected).label("inspected"),
            func.sum(QualityInspection.defects).label("defects"),
        )
        .join(WorkOrder, WorkOrder.id == QualityInspection.work_order_id)
        .where(QualityInspection.inspected_at >= start, QualityInspection.inspected_at < end)
        .group_by(WorkOrder.sku)
    )
    made = {row.sku: row for row in await session.execute(output)}
    checked = {row.sku: row for row in await session.execute(quality)}
    items = await _items(session, sorted(made.keys() | checked.keys()))
    return [
        ProductionRow(
            item=items[sku],
            work_orders=int(made[sku].orders) if sku in made else 0,
            planned=int(made[sku].planned) if sku in made else 0,
            completed=int(made[sku].completed) if sku in made else 0,
            inspected=int(checked[sku].inspected) if sku in checked else 0,
            defects=int(checked[sku].defects) if sku in checked else 0,
        )
        for sku in sorted(made.keys() | checked.keys())
    ]


# --- purchasing ------------------------------------------------------------------------------


async def open_purchase_orders(session: AsyncSession) -> list[OpenOrders]:
    """Orders created or sent, not yet received, per supplier; largest value first."""
    value = _money_sum(PurchaseOrder.total)
    statement = (
        select(
            Supplier.id,
            PurchaseOrder.currency,
            func.count().label("orders"),
            value.label("value"),
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.status.in_(_OPEN_ORDERS))
        .group_by(Supplier.id, PurchaseOrder.currency)
    )
    found = (await session.execute(statement)).all()
    ids = [row.id for row in found]
    suppliers = {
        supplier.id: supplier
        for supplier in await session.scalars(select(Supplier).where(Supplier.id.in_(ids)))
    }
    rows = [
        OpenOrders(suppliers[row.id], row.currency, int(row.orders), _decimal(row.value))
        for row in found
    ]
    return sorted(rows, key=lambda row: (-row.value, row.supplier.id))


async def late_deliveries(
    session: AsyncSession, lead_time_days: int, now: datetime
) -> list[LateDelivery]:
    """Orders sent more than ``lead_time_days`` before ``now`` and not received, oldest
    first."""
    if not 0 <= lead_time_days <= MAX_LEAD_TIME_DAYS:
        raise BadUserInput(f"`leadTimeDays` is 0 to {MAX_LEAD_TIME_DAYS}.", field="leadTimeDays")
    lead = timedelta(days=lead_time_days)
    cutoff = literal(require_aware(now) - lead, AwareDateTime())
    statement = (
        select(PurchaseOrder)
        .where(
            PurchaseOrder.status == PurchaseOrderStatus.SENT.value,
            PurchaseOrder.sent_at < cutoff,
        )
        .order_by(PurchaseOrder.sent_at, PurchaseOrder.id)
    )
    return [
        LateDelivery(order, order.sent_at + lead)
        for order in (await session.scalars(statement)).unique()
        if order.sent_at is not None
    ]
