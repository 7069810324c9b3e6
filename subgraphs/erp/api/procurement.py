"""Procurement API: suppliers and purchase orders (entities), sending and goods receipt."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Self, TypeVar

import strawberry
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from subgraphs.common.crypto_schema import Encrypted, EncryptedInput
from subgraphs.common.errors import InputChecks
from subgraphs.common.money import DEFAULT_CURRENCY, Money, MoneyInput
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
from subgraphs.erp.api.entities import ApprovalRequest, Department, Employee
from subgraphs.erp.api.inventory import Item, Warehouse
from subgraphs.erp.api.loaders import loaders
from subgraphs.erp.store import models as m
from subgraphs.erp.store import procurement
from subgraphs.erp.store.base import parse_period
from subgraphs.erp.store.checks import require_id

__all__ = ["Mutation", "PurchaseOrder", "PurchaseOrderStatus", "Query", "Supplier"]

RefT = TypeVar("RefT")


@strawberry.federation.type(keys=["id"], description="A company the ERP buys from.")
class Supplier:
    id: strawberry.ID
    name: str
    contact: str
    phone: str | None
    bank_account: str | None = strawberry.field(
        description="The account orders are paid to.", directives=[Encrypted(mask="LAST4")]
    )
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")

    @classmethod
    def of(cls, row: m.Supplier) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            contact=row.contact,
            phone=row.phone,
            bank_account=row.bank_account,
            rating=row.rating,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await loaders(info).supplier.load(str(id))
        return None if row is None else cls.of(row)


@strawberry.enum
class PurchaseOrderStatus(Enum):
    CREATED = "CREATED"
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="`quantity` units of an item at `unitPrice`.")
class PurchaseOrderLine:
    line_no: int
    item: Item
    quantity: int
    unit_price: Money
    amount: Money


@strawberry.federation.type(keys=["id"], description="An order placed with a supplier.")
class PurchaseOrder:
    id: strawberry.ID
    order_no: str = strawberry.field(description="PO-YYYYMM-NNNN, e.g. PO-202611-0001.")
    supplier: Supplier
    lines: list[PurchaseOrderLine]
    total: Money
    status: PurchaseOrderStatus
    approval_request: ApprovalRequest | None = strawberry.field(
        description="The OA approval request this order was created for."
    )
    requested_by: Employee | None = strawberry.field(description="The applicant.")
    department: Department | None = strawberry.field(description="Whose budget it commits.")
    budget_period: str | None
    budget_exceeded: bool = strawberry.field(
        description="True if committing this order took its budget past the amount."
    )
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None
    received_into: Warehouse | None

    @classmethod
    def of(cls, row: m.PurchaseOrder) -> Self:
        lines = [
            PurchaseOrderLine(
                line_no=line.line_no,
                item=Item.of(line.item),
                quantity=line.quantity,
                unit_price=money(line.unit_price, row.currency),
                amount=money(line.amount, row.currency),
            )
            for line in row.lines
        ]
        return cls(
            id=strawberry.ID(row.id),
            order_no=row.order_no,
            supplier=Supplier.of(row.supplier),
            lines=lines,
            total=money(row.total, row.currency),
            status=PurchaseOrderStatus(row.status),
            approval_request=_ref(ApprovalRequest, row.approval_request_id),
            requested_by=_ref(Employee, row.requested_by),
            department=_ref(Department, row.department_id),
            budget_period=row.budget_period,
            budget_exceeded=row.budget_exceeded,
            created_at=row.created_at,
            sent_at=row.sent_at,
            received_at=row.received_at,
            received_into=None if row.received_into is None else Warehouse.of(row.received_into),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        async with session(info) as db:
            row = await db.get(m.PurchaseOrder, str(id))
            return None if row is None else cls.of(row)


@strawberry.input
class PurchaseOrderFilter:
    status: PurchaseOrderStatus | None = None
    supplier_id: strawberry.ID | None = None
    requested_by: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    order_no: str | None = None


@strawberry.input
class CreateSupplierInput:
    name: str
    contact: str
    phone: str | None = None
    bank_account: str | None = strawberry.field(
        default=None, directives=[EncryptedInput(field="Supplier.bankAccount")]
    )
    rating: int = 3


@strawberry.input
class PurchaseOrderLineInput:
    sku: strawberry.ID
    quantity: int
    unit_price: MoneyInput


@strawberry.input(description="A purchase order; with a department, it commits its budget.")
class CreatePurchaseOrderInput:
    supplier_id: strawberry.ID
    lines: list[PurchaseOrderLineInput]
    department_id: strawberry.ID | None = None
    budget_period: str | None = None


@strawberry.input
class ReceiveGoodsInput:
    purchase_order_id: strawberry.ID
    warehouse_id: strawberry.ID


def filtered_orders(filter: PurchaseOrderFilter | None) -> Select[m.PurchaseOrder]:
    """Purchase orders matching ``filter``."""
    statement = select(m.PurchaseOrder)
    if filter is None:
        return statement
    if filter.status is not None:
        statement = statement.where(m.PurchaseOrder.status == filter.status.value)
    if filter.supplier_id is not None:
        statement = statement.where(m.PurchaseOrder.supplier_id == str(filter.supplier_id))
    if filter.requested_by is not None:
        statement = statement.where(m.PurchaseOrder.requested_by == str(filter.requested_by))
    if filter.department_id is not None:
        statement = statement.where(m.PurchaseOrder.department_id == str(filter.department_id))
    if filter.order_no is not None:
        statement = statement.where(m.PurchaseOrder.order_no == filter.order_no.strip())
    return statement


async def order_page(
    info: Info,
    statement: Select[m.PurchaseOrder],
    first: int | None,
    after: str | None,
) -> Connection[PurchaseOrder]:
    """One page of orders, newest first."""
    order = [m.PurchaseOrder.created_at.desc(), m.PurchaseOrder.id.desc()]
    async with session(info) as db:
        return await connection(db, statement, order, PurchaseOrder.of, first=first, after=after)


@strawberry.type
class Query:
    @strawberry.field
    async def supplier(self, info: Info, id: strawberry.ID) -> Supplier | None:
        return found(await Supplier.resolve_reference(info, id), "supplier", str(id))

    @strawberry.field(description="Suppliers by name.")
    async def suppliers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Supplier]:
        order = [m.Supplier.name, m.Supplier.id]
        async with session(info) as db:
            return await connection(
                db, select(m.Supplier), order, Supplier.of, first=first, after=after
            )

    @strawberry.field
    async def purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrder | None:
        return found(await PurchaseOrder.resolve_reference(info, id), "purchase order", str(id))

    @strawberry.field(description="Purchase orders, newest first.")
    async def purchase_orders(
        self,
        info: Info,
        filter: PurchaseOrderFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PurchaseOrder]:
        return await order_page(info, filtered_orders(filter), first, after)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_supplier(self, info: Info, input: CreateSupplierInput) -> Supplier:
        async with session(info) as db:
            row = await procurement.create_supplier(
                db,
                name=input.name,
                contact=input.contact,
                phone=input.phone,
                bank_account=input.bank_account,
                rating=input.rating,
            )
            return Supplier.of(row)

    @strawberry.mutation(description="A purchase order without an approval request.")
    async def create_purchase_order(
        self, info: Info, input: CreatePurchaseOrderInput
    ) -> PurchaseOrder:
        checks = InputChecks()  # with the order's own checks: every invalid field at once
        currencies, lines = set(), []
        for index, line in enumerate(input.lines):
            field = f"input.lines.{index}.unitPrice"
            price, currency = checks(money_input, line.unit_price, field) or UNREAD
            currencies.add(currency)
            lines.append(procurement.OrderLineSpec(str(line.sku), line.quantity, price))
        if len(currencies) > 1:
            checks.fail("All lines of an order use one currency.", field="input.lines")
        department = period = None
        if input.department_id is not None:
            department = checks(require_id, input.department_id, "input.departmentId")
            if input.budget_period is None:
                checks.fail("Name the budget's period.", field="input.budgetPeriod")
            else:
                period = checks(parse_period, input.budget_period, field="input.budgetPeriod")
        async with session(info) as db:
            row, _ = await procurement.create_purchase_order(
                db,
                supplier_id=str(input.supplier_id),
                lines=lines,
                currency=currencies.pop() if currencies else DEFAULT_CURRENCY,
                actor=actor(info),
                requested_by=actor(info),
                department_id=department,
                budget_period=period,
                checks=checks,
            )
            return await _order(db, row)

    @strawberry.mutation(description="CREATED -> SENT; CONFLICT from any other status.")
    async def send_purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrder:
        async with session(info) as db:
            return await _order(db, await procurement.send_purchase_order(db, str(id)))

    @strawberry.mutation(description="SENT -> RECEIVED: the goods go into the warehouse.")
    async def receive_goods(self, info: Info, input: ReceiveGoodsInput) -> PurchaseOrder:
        checks = InputChecks()  # every invalid id at once, before looking anything up
        order_id = checks(require_id, input.purchase_order_id, "input.purchaseOrderId")
        warehouse_id = checks(require_id, input.warehouse_id, "input.warehouseId")
        checks.done()
        assert order_id is not None and warehouse_id is not None
        async with session(info) as db:
            receipt = await procurement.receive_goods(db, order_id, warehouse_id, actor(info))
            return await _order(db, receipt.order)

    @strawberry.mutation(description="CREATED or SENT -> CANCELLED; releases the budget.")
    async def cancel_purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrder:
        async with session(info) as db:
            return await _order(db, await procurement.cancel_purchase_order(db, str(id)))

    @strawberry.mutation(description="RECEIVED -> CLOSED.")
    async def close_purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrder:
        async with session(info) as db:
            return await _order(db, await procurement.close_purchase_order(db, str(id)))


async def _order(db: AsyncSession, row: m.PurchaseOrder) -> PurchaseOrder:
    """``row`` as it is now in the database (after updates that bypassed the ORM)."""
    return PurchaseOrder.of(await procurement.get_purchase_order(db, row.id))


def _ref(kind: type[RefT], id: str | None) -> RefT | None:
    return None if id is None else kind(id=strawberry.ID(id))  # type: ignore[call-arg]
