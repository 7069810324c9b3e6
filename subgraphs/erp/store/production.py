"""Production rules: bills of materials, plans, work orders, progress, inspections and cost.

A work order goes PLANNED -> RELEASED (its components are issued from a warehouse, all or
nothing) -> IN_PROGRESS (some output reported) -> COMPLETED (all of it), and its finished
goods go into the same warehouse as they are reported. Work orders are numbered
``WO-YYYYMM-NNNN``.

Production cost = materials (each component's quantity per unit x the order's quantity x
the component's standard cost) + labour (the BOM's hours per unit x quantity x the hourly
rate), rounded to the currency's places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.codes import next_code
from subgraphs.common.errors import BadUserInput, Conflict, InputChecks, NotFound
from subgraphs.common.money import round_amount
from subgraphs.erp.store import inventory
from subgraphs.erp.store.base import code_period, current_period, new_id
from subgraphs.erp.store.checks import require_positive, require_text
from subgraphs.erp.store.models import (
    BillOfMaterials,
    BomComponent,
    Item,
    ProductionPlan,
    QualityInspection,
    WorkOrder,
)
from tandem_shared.timestamps import utc_now

__all__ = [
    "WORK_ORDER",
    "CostLine",
    "ProductionCost",
    "WorkOrderStatus",
    "create_production_plan",
    "create_work_order",
    "get_bom",
    "get_work_order",
    "production_cost",
    "record_inspection",
    "release_work_order",
    "report_progress",
    "set_bom",
]

WORK_ORDER: Final = "WO"


class WorkOrderStatus(StrEnum):
    """Where a work order stands."""

    PLANNED = "PLANNED"
    RELEASED = "RELEASED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class CostLine:
    """The material cost of one component for the whole order."""

    item: Item
    quantity: int
    unit_cost: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ProductionCost:
    """What a work order costs: materials, labour, total, and per unit."""

    currency: str
    lines: list[CostLine]
    materials: Decimal
    labour: Decimal
    total: Decimal
    per_unit: Decimal


async def set_bom(
    session: AsyncSession,
    *,
    product_sku: str,
    components: Sequence[tuple[str, int]],
    labour_hours: Decimal,
    labour_rate: Decimal,
    currency: str,
    checks: InputChecks | None = None,
) -> BillOfMaterials:
    """Create or replace the bill of materials of ``product_sku``. Every invalid field is
    reported at once, with those of ``checks`` (the caller's); unknown items after them."""
    checks = checks or InputChecks()
    if not components:
        checks.fail("A bill of materials has components.", field="input.components")
    seen = set()
    for index, (sku, quantity) in enumerate(components):
        field = f"input.components.{index}"
        if sku == product_sku or sku in seen:
            checks.fail("A component appears once and is not the product.", field=field)
        checks(require_positive, quantity, f"{field}.quantity")
        seen.add(sku)
    if labour_hours < 0:
        checks.fail("Hours are not negative.", field="input.labourHours")
    checks.done()
    product = await inventory.get_item(session, product_sku, field="input.sku")
    for index, (sku, _) in enumerate(components):
        await inventory.get_item(session, sku, field=f"input.components.{index}.sku")
    bom = await get_bom(session, product.sku)
    if bom is None:
        bom = BillOfMaterials(id=new_id("bom"), product_sku=product.sku)
        session.add(bom)
    bom.labour_hours, bom.labour_rate, bom.currency = labour_hours, labour_rate, currency
    bom.components = [BomComponent(component_sku=sku, quantity=qty) for sku, qty in components]
    await session.flush()
    return bom


async def get_bom(session: AsyncSession, product_sku: str) -> BillOfMaterials | None:
    """The bill of materials of ``product_sku``, if it has one."""
    statement = (
        select(BillOfMaterials)
        .where(BillOfMaterials.product_sku == product_sku)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()


async def create_work_order(
    session: AsyncSession, sku: str, quantity: int, *, plan_id: str | None = None, field: str
) -> WorkOrder:
    """A PLANNED work order to make ``quantity`` of ``sku``."""
    await inventory.get_item(session, sku, field=f"{field}.sku")
    order = WorkOrder(
        id=new_id("wo"),
        order_no=await next_code(session, WORK_ORDER, code_period(current_period())),
        plan_id=plan_id,
        sku=sku,
        quantity=require_positive(quantity, f"{field}.quantity"),
        completed=0,
        status=WorkOrderStatus.PLANNED.value,
        created_at=utc_now(),
    )
    session.add(order)
    await session.flush()
    return order


async def create_production_plan(
    session: AsyncSession,
    *,
    name: str,
    period: str,
    lines: Sequence[tuple[str, int]],
    actor: str,
    checks: InputChecks | None = None,
) -> ProductionPlan:
    """A plan for ``period`` with one PLANNED work order per line. Every invalid field is
    reported at once, with those of ``checks`` (the caller's); unknown items after them."""
    checks = checks or InputChecks()
    if not lines:
        checks.fail("A plan makes something.", field="input.lines")
    name = checks(require_text, name, "input.name") or ""
    for index, (_, quantity) in enumerate(lines):
        checks(require_positive, quantity, f"input.lines.{index}.quantity")
    checks.done()
    plan = ProductionPlan(
        id=new_id("plan"),
        name=name,
        period=period,
        created_by=actor,
        created_at=utc_now(),
    )
    session.add(plan)
    await session.flush()
    for index, (sku, quantity) in enumerate(lines):
        field = f"input.lines.{index}"
        await create_work_order(session, sku, quantity, plan_id=plan.id, field=field)
    return plan


async def get_work_order(session: AsyncSession, id: str, *, lock: bool = False) -> WorkOrder:
    """The work order ``id`` as stored now (row-locked if ``lock``); ``NOT_FOUND`` if none."""
    statement = select(WorkOrder).where(WorkOrder.id == id)
    statement = statement.execution_options(populate_existing=True)
    if lock:
        statement = statement.with_for_update(of=WorkOrder)
    order = (await session.scalars(statement)).one_or_none()
    if order is None:
        raise NotFound(f"No work order {id!r}.")
    return order


async def release_work_order(
    session: AsyncSession, id: str, warehouse_id: str, actor: str
) -> WorkOrder:
    """PLANNED -> RELEASED: issue every component from ``warehouse_id`` (``CONFLICT`` if short)."""
    order = await get_work_order(session, id, lock=True)
    if order.status != WorkOrderStatus.PLANNED:
        raise Conflict(f"Work order {order.order_no} is {order.status}, not PLANNED.")
    await inventory.get_warehouse(session, warehouse_id)
    bom = await get_bom(session, order.sku)
    if bom is None:
        raise Conflict(f"{order.sku} has no bill of materials.")
    for component in sorted(bom.components, key=lambda c: c.component_sku):
        await inventory.move_stock(
            session,
            sku=component.component_sku,
            warehouse_id=warehouse_id,
            quantity=-component.quantity * order.quantity,
            kind=inventory.MovementKind.PRODUCTION_ISSUE,
            actor=actor,
            reference=order.order_no,
            field="warehouseId",  # a shortage there: the argument the caller can change
        )
    order.status, order.warehouse_id = WorkOrderStatus.RELEASED.value, warehouse_id
    order.released_at = utc_now()
    await session.flush()
    return order


async def report_progress(session: AsyncSession, id: str, quantity: int, actor: str) -> WorkOrder:
    """``quantity`` more units made: into the warehouse; COMPLETED when all are made."""
    order = await get_work_order(session, id, lock=True)
    if order.status not in (WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS):
        raise Conflict(f"Work order {order.order_no} is {order.status}, not released.")
    remaining = order.quantity - order.completed
    quantity = require_positive(quantity, "quantity")
    if quantity > remaining:
        raise BadUserInput(f"Only {remaining} remain to be made.", field="quantity")
    assert order.warehouse_id is not None
    await inventory.move_stock(
        session,
        sku=order.sku,
        warehouse_id=order.warehouse_id,
        quantity=quantity,
        kind=inventory.MovementKind.PRODUCTION_RECEIPT,
        actor=actor,
        reference=order.order_no,
    )
    order.completed += quantity
    if order.completed == order.quantity:
        order.status, order.completed_at = WorkOrderStatus.COMPLETED.value, utc_now()
    else:
        order.status = WorkOrderStatus.IN_PROGRESS.value
    await session.flush()
    return order


async def record_inspection(
    session: AsyncSession,
    *,
    work_order_id: str,
    inspected: int,
    defects: int,
    passed: bool | None,
    notes: str | None,
    actor: str,
) -> QualityInspection:
    """Record an inspection of made units; passes by default only without defects."""
    order = await get_work_order(session, work_order_id, lock=True)
    if order.completed == 0:
        raise Conflict(f"Work order {order.order_no} has made nothing to inspect yet.")
    checks = InputChecks()  # every invalid field at once
    counted = checks(require_positive, inspected, "input.inspected", maximum=order.completed)
    if defects < 0 or (counted is not None and defects > counted):
        checks.fail("Defects are between 0 and the units inspected.", field="input.defects")
    checks.done()
    assert counted is not None
    inspected = counted
    inspection = QualityInspection(
        id=new_id("qi"),
        work_order_id=order.id,
        inspected=inspected,
        defects=defects,
        passed=defects == 0 if passed is None else passed,
        notes=None if notes is None else notes.strip()[:1000] or None,
        inspector=actor,
        inspected_at=utc_now(),
    )
    session.add(inspection)
    await session.flush()
    return inspection


async def production_cost(session: AsyncSession, work_order_id: str) -> ProductionCost:
    """Materials from the BOM x standard costs, plus labour; ``CONFLICT`` without a BOM."""
    order = await get_work_order(session, work_order_id)
    bom = await get_bom(session, order.sku)
    if bom is None:
        raise Conflict(f"{order.sku} has no bill of materials.")
    lines = []
    for component in bom.components:
        quantity = component.quantity * order.quantity
        cost = component.item.standard_cost
        lines.append(CostLine(component.item, quantity, cost, quantity * cost))
    currency = bom.currency
    materials = round_amount(sum((line.amount for line in lines), Decimal(0)), currency)
    labour = round_amount(bom.labour_hours * order.quantity * bom.labour_rate, currency)
    total = materials + labour
    per_unit = round_amount(total / order.quantity, currency)
    return ProductionCost(currency, lines, materials, labour, total, per_unit)
