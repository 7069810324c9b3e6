"""Production API: bills of materials, plans, work orders, progress, inspections, cost."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput, InputChecks
from subgraphs.common.money import Money, MoneyInput
from subgraphs.common.pagination import Connection
from subgraphs.erp.api.context import (
    UNREAD,
    actor,
    connection,
    found,
    money,
    money_input,
    session,
)
from subgraphs.erp.api.inventory import Item, Warehouse
from subgraphs.erp.store import models as m
from subgraphs.erp.store import production
from subgraphs.erp.store.base import parse_period

if TYPE_CHECKING:
    from subgraphs.erp.api.actors import Actor

__all__ = ["BillOfMaterials", "Mutation", "ProductionPlan", "Query", "WorkOrder"]

_HOURS = re.compile(r"^\d{1,6}(\.\d{1,4})?$")


@strawberry.type(description="`quantity` units of a component per unit of the product.")
class BomComponent:
    item: Item
    quantity: int


@strawberry.type(description="What one unit of a product is made of, and its labour.")
class BillOfMaterials:
    id: strawberry.ID
    product: Item
    components: list[BomComponent]
    labour_hours: str = strawberry.field(description="Hours per unit, a decimal string.")
    labour_rate: Money = strawberry.field(description="Cost of one hour of labour.")

    @classmethod
    def of(cls, row: m.BillOfMaterials) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            product=Item.of(row.product),
            components=[
                BomComponent(item=Item.of(c.item), quantity=c.quantity) for c in row.components
            ],
            labour_hours=f"{row.labour_hours.normalize():f}",
            labour_rate=money(row.labour_rate, row.currency),
        )


@strawberry.enum
class WorkOrderStatus(Enum):
    PLANNED = "PLANNED"
    RELEASED = "RELEASED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="An inspection of a work order's output.")
class QualityInspection:
    id: strawberry.ID
    work_order_id: strawberry.ID
    inspected: int
    defects: int
    passed: bool
    notes: str | None
    inspector_subject: strawberry.Private[str]
    inspected_at: datetime

    @strawberry.field(description="Who inspected: an employee, or the system.")
    def inspector(self) -> Annotated[Actor, strawberry.lazy("subgraphs.erp.api.actors")]:
        from subgraphs.erp.api.actors import actor_of

        return actor_of(self.inspector_subject)

    @classmethod
    def of(cls, row: m.QualityInspection) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            work_order_id=strawberry.ID(row.work_order_id),
            inspected=row.inspected,
            defects=row.defects,
            passed=row.passed,
            notes=row.notes,
            inspector_subject=row.inspector,
            inspected_at=row.inspected_at,
        )


@strawberry.type(description="Material cost of one component for the whole order.")
class CostLine:
    item: Item
    quantity: int
    unit_cost: Money
    amount: Money


@strawberry.type(description="Materials from the BOM x standard cost, plus labour.")
class ProductionCost:
    work_order_id: strawberry.ID
    lines: list[CostLine]
    materials: Money
    labour: Money
    total: Money
    per_unit: Money


@strawberry.type(description="Make `quantity` units of an item.")
class WorkOrder:
    id: strawberry.ID
    order_no: str = strawberry.field(description="WO-YYYYMM-NNNN.")
    item: Item
    quantity: int
    completed: int = strawberry.field(description="Units made so far.")
    progress: int = strawberry.field(description="Percent made, 0 to 100.")
    status: WorkOrderStatus
    plan_id: strawberry.ID | None
    warehouse: Warehouse | None
    created_at: datetime
    released_at: datetime | None
    completed_at: datetime | None

    @strawberry.field
    async def inspections(self, info: Info) -> list[QualityInspection]:
        statement = (
            select(m.QualityInspection)
            .where(m.QualityInspection.work_order_id == str(self.id))
            .order_by(m.QualityInspection.inspected_at, m.QualityInspection.id)
        )
        async with session(info) as db:
            return [QualityInspection.of(row) for row in await db.scalars(statement)]

    @strawberry.field(description="What the order costs (null without a bill of materials).")
    async def cost(self, info: Info) -> ProductionCost | None:
        async with session(info) as db:
            if await production.get_bom(db, self.item.sku) is None:
                return None
            return _cost(self.id, await production.production_cost(db, str(self.id)))

    @classmethod
    def of(cls, row: m.WorkOrder) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            order_no=row.order_no,
            item=Item.of(row.item),
            quantity=row.quantity,
            completed=row.completed,
            progress=row.completed * 100 // row.quantity,
            status=WorkOrderStatus(row.status),
            plan_id=None if row.plan_id is None else strawberry.ID(row.plan_id),
            warehouse=None if row.warehouse is None else Warehouse.of(row.warehouse),
            created_at=row.created_at,
            released_at=row.released_at,
            completed_at=row.completed_at,
        )


@strawberry.type(description="A plan of what to make in a period.")
class ProductionPlan:
    id: strawberry.ID
    name: str
    period: str
    created_at: datetime

    @strawberry.field
    async def work_orders(self, info: Info) -> list[WorkOrder]:
        statement = (
            select(m.WorkOrder)
            .where(m.WorkOrder.plan_id == str(self.id))
            .order_by(m.WorkOrder.order_no)
        )
        async with session(info) as db:
            return [WorkOrder.of(row) for row in await db.scalars(statement)]

    @classmethod
    def of(cls, row: m.ProductionPlan) -> Self:
        return cls(
            id=strawberry.ID(row.id), name=row.name, period=row.period, created_at=row.created_at
        )


@strawberry.input
class BomComponentInput:
    sku: strawberry.ID
    quantity: int


@strawberry.input
class SetBillOfMaterialsInput:
    sku: strawberry.ID
    components: list[BomComponentInput]
    labour_hours: str = strawberry.field(description='Hours per unit, e.g. "1.5".')
    labour_rate: MoneyInput


@strawberry.input
class ProductionLineInput:
    sku: strawberry.ID
    quantity: int


@strawberry.input
class CreateProductionPlanInput:
    name: str
    period: str
    lines: list[ProductionLineInput]


@strawberry.input
class RecordInspectionInput:
    work_order_id: strawberry.ID
    inspected: int
    defects: int
    passed: bool | None = strawberry.field(default=None, description="Default: no defects.")
    notes: str | None = None


@strawberry.input
class WorkOrderFilter:
    status: WorkOrderStatus | None = None
    sku: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def bill_of_materials(self, info: Info, sku: strawberry.ID) -> BillOfMaterials | None:
        async with session(info) as db:
            row = await production.get_bom(db, str(sku))
            return BillOfMaterials.of(found(row, "bill of materials for", str(sku), field="sku"))

    @strawberry.field
    async def production_plan(self, info: Info, id: strawberry.ID) -> ProductionPlan | None:
        async with session(info) as db:
            row = await db.get(m.ProductionPlan, str(id))
        return ProductionPlan.of(found(row, "production plan", str(id)))

    @strawberry.field(description="Plans, newest first; `period` (YYYY-MM) narrows them.")
    async def production_plans(
        self,
        info: Info,
        period: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProductionPlan]:
        statement = select(m.ProductionPlan)
        if period is not None:
            statement = statement.where(m.ProductionPlan.period == parse_period(period))
        order = [m.ProductionPlan.created_at.desc(), m.ProductionPlan.id.desc()]
        async with session(info) as db:
            return await connection(
                db, statement, order, ProductionPlan.of, first=first, after=after
            )

    @strawberry.field
    async def work_order(self, info: Info, id: strawberry.ID) -> WorkOrder | None:
        async with session(info) as db:
            row = await db.get(m.WorkOrder, str(id))
            return WorkOrder.of(found(row, "work order", str(id)))

    @strawberry.field(description="Work orders by number.")
    async def work_orders(
        self,
        info: Info,
        filter: WorkOrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WorkOrder]:
        statement = select(m.WorkOrder)
        if filter is not None and filter.status is not None:
            statement = statement.where(m.WorkOrder.status == filter.status.value)
        if filter is not None and filter.sku is not None:
            statement = statement.where(m.WorkOrder.sku == str(filter.sku))
        if filter is not None and filter.plan_id is not None:
            statement = statement.where(m.WorkOrder.plan_id == str(filter.plan_id))
        order = [m.WorkOrder.order_no]
        async with session(info) as db:
            return await connection(db, statement, order, WorkOrder.of, first=first, after=after)

    @strawberry.field(description="Materials (BOM x item cost) plus labour of a work order.")
    async def production_cost(self, info: Info, work_order_id: strawberry.ID) -> ProductionCost:
        async with session(info) as db:
            return _cost(work_order_id, await production.production_cost(db, str(work_order_id)))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or replace the bill of materials of an item.")
    async def set_bill_of_materials(
        self, info: Info, input: SetBillOfMaterialsInput
    ) -> BillOfMaterials:
        checks = InputChecks()  # with the bill's own checks: every invalid field at once
        rate, currency = checks(money_input, input.labour_rate, "input.labourRate") or UNREAD
        hours = checks(_hours, input.labour_hours) or Decimal(0)
        components = [(str(c.sku), c.quantity) for c in input.components]
        async with session(info) as db:
            row = await production.set_bom(
                db,
                product_sku=str(input.sku),
                components=components,
                labour_hours=hours,
                labour_rate=rate,
                currency=currency,
                checks=checks,
            )
            fresh = await production.get_bom(db, row.product_sku)
            assert fresh is not None
            return BillOfMaterials.of(fresh)

    @strawberry.mutation(description="A plan with one PLANNED work order per line.")
    async def create_production_plan(
        self, info: Info, input: CreateProductionPlanInput
    ) -> ProductionPlan:
        checks = InputChecks()  # with the plan's own checks: every invalid field at once
        period = checks(parse_period, input.period, field="input.period") or ""
        lines = [(str(line.sku), line.quantity) for line in input.lines]
        async with session(info) as db:
            row = await production.create_production_plan(
                db, name=input.name, period=period, lines=lines, actor=actor(info), checks=checks
            )
        return ProductionPlan.of(row)

    @strawberry.mutation(description="PLANNED -> RELEASED: components leave the warehouse.")
    async def release_work_order(
        self, info: Info, id: strawberry.ID, warehouse_id: strawberry.ID
    ) -> WorkOrder:
        async with session(info) as db:
            row = await production.release_work_order(db, str(id), str(warehouse_id), actor(info))
            return WorkOrder.of(await production.get_work_order(db, row.id))

    @strawberry.mutation(description="`quantity` more units made; they enter the warehouse.")
    async def report_progress(
        self, info: Info, work_order_id: strawberry.ID, quantity: int
    ) -> WorkOrder:
        async with session(info) as db:
            row = await production.report_progress(db, str(work_order_id), quantity, actor(info))
            return WorkOrder.of(await production.get_work_order(db, row.id))

    @strawberry.mutation
    async def record_inspection(
        self, info: Info, input: RecordInspectionInput
    ) -> QualityInspection:
        async with session(info) as db:
            row = await production.record_inspection(
                db,
                work_order_id=str(input.work_order_id),
                inspected=input.inspected,
                defects=input.defects,
                passed=input.passed,
                notes=input.notes,
                actor=actor(info),
            )
            return QualityInspection.of(row)


def _hours(text: str) -> Decimal:
    if _HOURS.match(text) is None:
        raise BadUserInput('Hours are a decimal string, e.g. "1.5".', field="input.labourHours")
    return Decimal(text)


def _cost(work_order_id: str, cost: production.ProductionCost) -> ProductionCost:
    currency = cost.currency
    return ProductionCost(
        work_order_id=strawberry.ID(work_order_id),
        lines=[
            CostLine(
                item=Item.of(line.item),
                quantity=line.quantity,
                unit_cost=money(line.unit_cost, currency),
                amount=money(line.amount, currency),
            )
            for line in cost.lines
        ],
        materials=money(cost.materials, currency),
        labour=money(cost.labour, currency),
        total=money(cost.total, currency),
        per_unit=money(cost.per_unit, currency),
    )
