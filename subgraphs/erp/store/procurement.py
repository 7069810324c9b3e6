"""Procurement rules: suppliers, purchase orders and their life, goods receipt.

A purchase order goes CREATED -> SENT -> RECEIVED -> CLOSED, or to CANCELLED before it is
received. An order for a department's budget commits its total on creation; receipt moves
it from committed to spent; cancellation releases it. At most one order exists per OA
approval request (a unique ``approval_request_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common import crypto_formats
from subgraphs.common.codes import PURCHASE_ORDER, next_code
from subgraphs.common.errors import BadUserInput, Conflict, InputChecks, NotFound
from subgraphs.erp.store import events, finance, inventory, postings, reference
from subgraphs.erp.store.base import code_period, current_period, new_id
from subgraphs.erp.store.checks import require_positive, require_text
from subgraphs.erp.store.models import Item, PurchaseOrder, PurchaseOrderLine, Supplier
from tandem_shared.timestamps import utc_now

__all__ = [
    "GoodsReceipt",
    "OrderLineSpec",
    "PurchaseOrderStatus",
    "cancel_purchase_order",
    "close_purchase_order",
    "create_purchase_order",
    "create_supplier",
    "get_purchase_order",
    "purchase_order_for_request",
    "receive_goods",
    "send_purchase_order",
]


class PurchaseOrderStatus(StrEnum):
    """Where a purchase order stands."""

    CREATED = "CREATED"
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class OrderLineSpec:
    """A line to order: ``quantity`` of ``sku`` at ``unit_price`` (the order's currency)."""

    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class GoodsReceipt:
    """What a receipt produced: the order, and whom to notify (the applicant, if any)."""

    order: PurchaseOrder
    order_no: str
    applicant_id: str | None
    request_id: str | None


async def create_supplier(
    session: AsyncSession,
    *,
    name: str,
    contact: str,
    phone: str | None,
    bank_account: str | None,
    rating: int,
) -> Supplier:
    """Add a supplier; ``rating`` is 1 to 5. Every invalid field is reported at once."""
    checks = InputChecks()
    if not 1 <= rating <= 5:
        checks.fail("A rating is from 1 to 5.", field="input.rating")
    checked_name = checks(require_text, name, "input.name")
    checked_contact = checks(require_text, contact, "input.contact")
    if phone is not None:
        phone = checks(require_text, phone, "input.phone", max_length=40)
    if bank_account is not None:
        bank_account = checks(crypto_formats.bank_account, bank_account, "input.bankAccount")
    checks.done()
    assert checked_name is not None and checked_contact is not None
    supplier = Supplier(
        id=new_id("sup"),
        name=checked_name,
        contact=checked_contact,
        phone=phone,
        bank_account=bank_account,
        rating=rating,
        created_at=utc_now(),
    )
    session.add(supplier)
    await session.flush()
    await reference.supplier_changed(session, supplier)
    return supplier


async def get_purchase_order(
    session: AsyncSession, id: str, *, lock: bool = False
) -> PurchaseOrder:
    """The order ``id`` with its lines (row-locked if ``lock``); ``NOT_FOUND`` if none."""
    statement = (
        select(PurchaseOrder)
        .where(PurchaseOrder.id == id)
        .execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=PurchaseOrder)
    order = (await session.scalars(statement)).one_or_none()
    if order is None:
        raise NotFound(f"No purchase order {id!r}.")
    return order


async def purchase_order_for_request(
    session: AsyncSession, request_id: str
) -> PurchaseOrder | None:
    """The order created for an OA approval request, if there is one."""
    statement = (
        select(PurchaseOrder)
        .where(PurchaseOrder.approval_request_id == request_id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()


async def create_purchase_order(
    session: AsyncSession,
    *,
    supplier_id: str,
    lines: Sequence[OrderLineSpec],
    currency: str,
    actor: str,
    requested_by: str | None = None,
    department_id: str | None = None,
    budget_period: str | None = None,
    approval_request_id: str | None = None,
    field: str = "input",
    checks: InputChecks | None = None,
) -> tuple[PurchaseOrder, bool]:
    """Create an order; returns it and whether it was created now (False: the request's).

    With ``approval_request_id`` the call is idempotent, also under concurrency: the order
    is inserted in a savepoint, and a unique violation on the request id (another
    transaction created it first) rolls the savepoint back and returns that order instead.
    With ``department_id`` and ``budget_period`` the total is committed against the budget
    (see :func:`subgraphs.erp.store.finance.commit_budget` for overruns). Every invalid
    field of the lines is reported at once, with those of ``checks`` (the caller's: prices it
    could not read are not checked again); unknown suppliers and items after them.
    """
    checks = checks or InputChecks()
    unreadable = {error.field.rsplit(".", 1)[0] for error in checks.errors}
    if not lines:
        checks.fail("An order has at least one line.", field=f"{field}.lines")
    for index, line in enumerate(lines):
        line_field = f"{field}.lines.{index}"
        checks(require_positive, line.quantity, f"{line_field}.quantity")
        if f"{line_field}.unitPrice" not in unreadable and line.unit_price <= 0:
            checks.fail("A price is positive.", field=f"{line_field}.unitPrice.amount")
    checks.done()
    if approval_request_id is not None:
        existing = await purchase_order_for_request(session, approval_request_id)
        if existing is not None:
            return existing, False
    supplier = await session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("No such supplier.", extensions={"field": f"{field}.supplierId"})
    if not lines:
        raise BadUserInput("An order has at least one line.", field=f"{field}.lines")
    order_lines = []
    for index, line in enumerate(lines):
        line_field = f"{field}.lines.{index}"
        if await session.get(Item, line.sku) is None:
            raise NotFound(f"No item {line.sku!r}.", extensions={"field": f"{line_field}.sku"})
        quantity = require_positive(line.quantity, f"{line_field}.quantity")
        if line.unit_price <= 0:
            raise BadUserInput("A price is positive.", field=f"{line_field}.unitPrice.amount")
        order_lines.append(
            PurchaseOrderLine(
                line_no=index + 1,
                sku=line.sku,
                quantity=quantity,
                unit_price=line.unit_price,
                amount=quantity * line.unit_price,
            )
        )
    total = sum((line.amount for line in order_lines), Decimal(0))
    order = PurchaseOrder(
        id=new_id("po"),
        supplier_id=supplier_id,
        status=PurchaseOrderStatus.CREATED.value,
        currency=currency,
        total=total,
        department_id=department_id,
        budget_period=budget_period if department_id else None,
        budget_exceeded=False,
        requested_by=requested_by,
        approval_request_id=approval_request_id,
        created_by=actor,
        created_at=utc_now(),
        lines=order_lines,
    )
    try:
        async with session.begin_nested():
            order.order_no = await next_code(session, PURCHASE_ORDER, code_period(current_period()))
            session.add(order)
            await session.flush()
    except IntegrityError:
        if approval_request_id is None:
            raise
        existing = await purchase_order_for_request(session, approval_request_id)
        if existing is None:
            raise
        return existing, False
    if department_id is not None and budget_period is not None:
        _, exceeded = await finance.commit_budget(
            session, department_id, budget_period, total, currency, field=f"{field}.currency"
        )
        order.budget_exceeded = exceeded
        await session.flush()
    await _status_changed(session, order, None)
    return order, True


async def send_purchase_order(session: AsyncSession, id: str) -> PurchaseOrder:
    """CREATED -> SENT (the order went to the supplier); ``CONFLICT`` from any other status."""
    await _transition(session, id, PurchaseOrderStatus.CREATED, PurchaseOrderStatus.SENT)
    return await get_purchase_order(session, id)


async def receive_goods(
    session: AsyncSession, id: str, warehouse_id: str, actor: str
) -> GoodsReceipt:
    """SENT -> RECEIVED: every line's goods into ``warehouse_id``, budget committed -> spent.

    Posts the receipt's journal entry (inventory against payables, ``store/postings.py``).

    Records ``erp.goods.received`` in the outbox when the order has an applicant, and
    returns what the applicant's notification needs.
    """
    await inventory.get_warehouse(session, warehouse_id, field="input.warehouseId")
    order = await _transition(session, id, PurchaseOrderStatus.SENT, PurchaseOrderStatus.RECEIVED)
    for line in sorted(order.lines, key=lambda line: line.sku):
        await inventory.move_stock(
            session,
            sku=line.sku,
            warehouse_id=warehouse_id,
            quantity=line.quantity,
            kind=inventory.MovementKind.RECEIPT,
            actor=actor,
            reference=order.order_no,
        )
    order.received_warehouse_id = warehouse_id
    order.received_at = utc_now()
    await postings.post_goods_receipt(session, order, actor)
    if order.department_id is not None and order.budget_period is not None:
        await finance.spend_budget(
            session,
            order.department_id,
            order.budget_period,
            order.total,
            order.currency,
            release_committed=order.total,
        )
    if order.requested_by is not None:
        await events.record_event(
            session,
            events.GOODS_RECEIVED,
            order.order_no,
            {
                "orderNo": order.order_no,
                "applicantId": order.requested_by,
                "requestId": order.approval_request_id,
                "purchaseOrderId": order.id,
                "warehouseId": warehouse_id,
            },
        )
    await session.flush()
    return GoodsReceipt(order, order.order_no, order.requested_by, order.approval_request_id)


async def cancel_purchase_order(session: AsyncSession, id: str) -> PurchaseOrder:
    """CREATED or SENT -> CANCELLED; the committed budget is released."""
    order = await get_purchase_order(session, id, lock=True)
    if order.status not in (PurchaseOrderStatus.CREATED, PurchaseOrderStatus.SENT):
        raise Conflict(f"A {order.status} purchase order cannot be cancelled.")
    previous = order.status
    order.status = PurchaseOrderStatus.CANCELLED.value
    if order.department_id is not None and order.budget_period is not None:
        await finance.spend_budget(
            session,
            order.department_id,
            order.budget_period,
            Decimal(0),
            order.currency,
            release_committed=order.total,
        )
    await session.flush()
    await _status_changed(session, order, previous)
    return order


async def close_purchase_order(session: AsyncSession, id: str) -> PurchaseOrder:
    """RECEIVED -> CLOSED (invoiced and settled)."""
    await _transition(session, id, PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.CLOSED)
    return await get_purchase_order(session, id)


async def _transition(
    session: AsyncSession,
    id: str,
    source: PurchaseOrderStatus,
    target: PurchaseOrderStatus,
) -> PurchaseOrder:
    """Move the order from ``source`` to ``target`` atomically, or ``CONFLICT``/``NOT_FOUND``."""
    now = utc_now()
    values: dict[str, object] = {"status": target.value}
    if target is PurchaseOrderStatus.SENT:
        values["sent_at"] = now
    changed = await session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == id, PurchaseOrder.status == source.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    order = await get_purchase_order(session, id)
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"Purchase order {order.order_no} is {order.status}, not {source.value}.",
            extensions={"status": order.status},
        )
    await _status_changed(session, order, source.value)
    return order


async def _status_changed(
    session: AsyncSession, order: PurchaseOrder, previous: str | None
) -> None:
    await events.purchase_order_status_changed(
        session,
        order_id=order.id,
        order_no=order.order_no,
        status=order.status,
        previous=previous,
        requested_by=order.requested_by,
    )
