# mypy: disable-error-code="untyped-decorator"
"""Management overview: sales against forecast, budget use, stock value and shortages,
production output and quality, open purchase orders and late deliveries (one root field
each; :mod:`subgraphs.erp.store.dashboards` computes them in SQL). Who may ask is the
gateway's policy (``policies/policy.csv``, "management overview")."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from subgraphs.common.money import Money
from subgraphs.erp.api.context import money, session
from subgraphs.erp.api.inventory import Item
from subgraphs.erp.api.procurement import PurchaseOrder, Supplier
from subgraphs.erp.store import dashboards
from tandem_shared.timestamps import utc_now

if TYPE_CHECKING:
    from subgraphs.erp.api.entities import Department

__all__ = ["Query"]

DAY_SECONDS = 86_400


@strawberry.enum(description="What the rows of a sales overview are.")
class SalesOverviewGroup(Enum):
    CUSTOMER = "CUSTOMER"
    ITEM = "ITEM"


@strawberry.type(description="One item's or customer's sales of a month, against the forecast.")
class SalesAgainstForecast:
    key: str = strawberry.field(description="The sku or the customer id.")
    label: str = strawberry.field(description="The item's or customer's name.")
    quantity: int = strawberry.field(description="Units sold (orders not cancelled).")
    amount: Money | None = strawberry.field(description="Their total; null if nothing sold.")
    orders: int
    forecast_quantity: str | None = strawberry.field(
        description='The linear-trend forecast of the month, a decimal string ("12.50"); '
        "ITEM rows only."
    )


@strawberry.type(description="A department's budget of a month and how much of it is used.")
class DepartmentBudgetUse:
    amount: Money
    committed: Money = strawberry.field(description="Ordered, not yet received.")
    spent: Money
    available: Money = strawberry.field(description="amount - committed - spent; may be < 0.")
    exceeded: bool
    department_id: strawberry.Private[str]

    @strawberry.field
    def department(self) -> Annotated[Department, strawberry.lazy("subgraphs.erp.api.entities")]:
        from subgraphs.erp.api.entities import Department

        return Department(id=strawberry.ID(self.department_id))


@strawberry.type(description="Units on hand in a warehouse and their value at standard cost.")
class WarehouseStockValue:
    warehouse_id: strawberry.ID
    warehouse_name: str
    units: int
    value: Money


@strawberry.type(description="An item with fewer units available than its reorder level.")
class ReorderAlert:
    reorder_level: int
    on_hand: int = strawberry.field(description="Units on hand, every warehouse.")
    available: int = strawberry.field(description="On hand and not reserved.")
    shortfall: int = strawberry.field(description="reorderLevel - available.")
    item: Item


@strawberry.type(description="One item's production of a month: output and quality.")
class ProductionOutput:
    work_orders: int = strawberry.field(description="Work orders completed in the month.")
    planned: int = strawberry.field(description="Their planned units.")
    completed: int = strawberry.field(description="Their completed units (the output).")
    inspected: int = strawberry.field(description="Units inspected in the month.")
    defects: int
    yield_rate: float | None = strawberry.field(
        description="(inspected - defects) / inspected; null if none inspected."
    )
    defect_rate: float | None = strawberry.field(description="defects / inspected.")
    item: Item


@strawberry.type(description="Purchase orders of a supplier created or sent, not received.")
class OpenPurchaseOrders:
    orders: int
    value: Money
    supplier: Supplier


@strawberry.type(description="A purchase order sent and not received within the lead time.")
class LateDelivery:
    order: PurchaseOrder
    due_at: datetime = strawberry.field(description="Sent + the lead time.")
    days_late: int = strawberry.field(description="Whole days past dueAt.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Sales of a month (YYYY-MM) per item or customer, largest amount first; "
        "per item also the forecast of the month (the method of salesForecast, from the "
        "`history` months before it), items forecast but not sold included."
    )
    async def sales_against_forecast(
        self,
        info: Info,
        period: str,
        group_by: SalesOverviewGroup = SalesOverviewGroup.ITEM,
        history: int = 6,
    ) -> list[SalesAgainstForecast]:
        group = dashboards.SalesGroup(group_by.value)
        async with session(info) as db:
            rows = await dashboards.sales_against_forecast(db, period, group, history)
        return [
            SalesAgainstForecast(
                key=row.key,
                label=row.label,
                quantity=row.quantity,
                amount=None if row.currency is None else money(row.amount, row.currency),
                orders=row.orders,
                forecast_quantity=None if row.forecast is None else str(row.forecast),
            )
            for row in rows
        ]

    @strawberry.field(
        description="Every department's budget of a month (YYYY-MM) and its use, by department "
        "id. A row the caller may not read (another department's) is null, with an error."
    )
    async def budget_use(self, info: Info, period: str) -> list[DepartmentBudgetUse | None]:
        async with session(info) as db:
            rows = await dashboards.budget_use(db, period)
        return [
            DepartmentBudgetUse(
                amount=money(row.amount, row.currency),
                committed=money(row.committed, row.currency),
                spent=money(row.spent, row.currency),
                available=money(row.available, row.currency),
                exceeded=row.available < 0,
                department_id=row.department_id,
            )
            for row in rows
        ]

    @strawberry.field(description="Stock on hand valued at standard cost, per warehouse.")
    async def stock_value(self, info: Info) -> list[WarehouseStockValue]:
        async with session(info) as db:
            rows = await dashboards.stock_value(db)
        return [
            WarehouseStockValue(
                warehouse_id=strawberry.ID(row.warehouse_id),
                warehouse_name=row.warehouse,
                units=row.units,
                value=money(row.value, row.currency),
            )
            for row in rows
        ]

    @strawberry.field(description="Items with fewer units available than their reorder level.")
    async def items_below_reorder_level(self, info: Info) -> list[ReorderAlert]:
        async with session(info) as db:
            rows = await dashboards.items_below_reorder_level(db)
        return [
            ReorderAlert(
                reorder_level=row.reorder_level,
                on_hand=row.on_hand,
                available=row.available,
                shortfall=row.reorder_level - row.available,
                item=Item.of(row.item),
            )
            for row in rows
        ]

    @strawberry.field(description="Output, yield and defect rate per item of a month (YYYY-MM).")
    async def production_summary(self, info: Info, period: str) -> list[ProductionOutput]:
        async with session(info) as db:
            rows = await dashboards.production_summary(db, period)
        return [
            ProductionOutput(
                work_orders=row.work_orders,
                planned=row.planned,
                completed=row.completed,
                inspected=row.inspected,
                defects=row.defects,
                yield_rate=row.yield_rate,
                defect_rate=row.defect_rate,
                item=Item.of(row.item),
            )
            for row in rows
        ]

    @strawberry.field(description="Open purchase orders per supplier, largest value first.")
    async def open_purchase_orders(self, info: Info) -> list[OpenPurchaseOrders]:
        async with session(info) as db:
            rows = await dashboards.open_purchase_orders(db)
        return [
            OpenPurchaseOrders(
                orders=row.orders,
                value=money(row.value, row.currency),
                supplier=Supplier.of(row.supplier),
            )
            for row in rows
        ]

    @strawberry.field(
        description="Purchase orders sent more than `leadTimeDays` ago and not received, "
        "oldest first."
    )
    async def late_deliveries(self, info: Info, lead_time_days: int = 14) -> list[LateDelivery]:
        now = utc_now()
        async with session(info) as db:
            rows = await dashboards.late_deliveries(db, lead_time_days, now)
            return [
                LateDelivery(
                    order=PurchaseOrder.of(row.order),
                    due_at=row.due_at,
                    days_late=int((now - row.due_at).total_seconds() // DAY_SECONDS),
                )
                for row in rows
            ]
