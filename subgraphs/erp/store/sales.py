"""Sales rules: customers with credit limits, sales orders that check credit and reserve stock.

A sales order goes CONFIRMED (stock reserved) -> SHIPPED (stock issued) -> CLOSED (paid),
or CONFIRMED -> CANCELLED (reservation released). A customer's exposure is the total of
its CONFIRMED and SHIPPED orders; a new order is accepted only if exposure + its total
stays within the credit limit. The customer's row is locked while that is checked, so
concurrent orders of one customer are judged one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common import crypto_formats
from subgraphs.common.codes import CUSTOMER, SALES_ORDER, next_code
from subgraphs.common.errors import BadUserInput, Conflict, InputChecks, NotFound
from subgraphs.common.money import format_amount
from subgraphs.erp.store import inventory, postings
from subgraphs.erp.store.base import code_period, new_id, period_of
from subgraphs.erp.store.checks import require_positive, require_text
from subgraphs.erp.store.models import Customer, Item, SalesOrder, SalesOrderLine, StockLevel
from tandem_shared.timestamps import utc_now

__all__ = [
    "OPEN_STATUSES",
    "SalesLineSpec",
    "SalesOrderStatus",
    "cancel_sales_order",
    "close_sales_order",
    "create_customer",
    "create_sales_order",
    "exposure",
    "get_customer",
    "get_sales_order",
    "ship_sales_order",
]


class SalesOrderStatus(StrEnum):
    """Where a sales order stands."""

    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


OPEN_STATUSES = (SalesOrderStatus.CONFIRMED.value, SalesOrderStatus.SHIPPED.value)
"""Orders that count against the customer's credit (not yet paid)."""


@dataclass(frozen=True, slots=True)
class SalesLineSpec:
    """A line to sell; ``unit_price`` None means the item's list price."""

    sku: str
    quantity: int
    unit_price: Decimal | None = None


async def create_customer(
    session: AsyncSession,
    *,
    name: str,
    phone: str | None,
    credit_limit: Decimal,
    currency: str,
    checks: InputChecks | None = None,
) -> Customer:
    """Add a customer numbered ``CUS-NNNNNN``. Every invalid field is reported at once, with
    those of ``checks`` (the caller's, e.g. the credit limit it read)."""
    checks = checks or InputChecks()
    name = checks(require_text, name, "input.name") or ""
    if phone is not None:
        phone = checks(crypto_formats.phone_number, phone, "input.phone")
    checks.done()
    customer = Customer(
        id=new_id("cus"),
        customer_no=await next_code(session, CUSTOMER),
        name=name,
        phone=phone,
        currency=currency,
        credit_limit=credit_limit,
        created_at=utc_now(),
    )
    session.add(customer)
    await session.flush()
    return customer


async def get_customer(
    session: AsyncSession, id: str, *, lock: bool = False, field: str = "id"
) -> Customer:
    """The customer ``id`` (row-locked if ``lock``); ``NOT_FOUND`` naming ``field`` if none."""
    statement = select(Customer).where(Customer.id == id)
    if lock:
        statement = statement.with_for_update()
    customer = (await session.scalars(statement)).one_or_none()
    if customer is None:
        raise NotFound(f"No customer {id!r}.", extensions={"field": field})
    return customer


async def exposure(session: AsyncSession, customer_id: str) -> Decimal:
    """The total of the customer's unpaid (CONFIRMED or SHIPPED) orders."""
    total = await session.scalar(
        select(func.sum(SalesOrder.total)).where(
            SalesOrder.customer_id == customer_id, SalesOrder.status.in_(OPEN_STATUSES)
        )
    )
    return Decimal(0) if total is None else Decimal(total)


async def get_sales_order(session: AsyncSession, id: str, *, lock: bool = False) -> SalesOrder:
    """The order ``id`` with its lines, as stored now; ``NOT_FOUND`` if none."""
    statement = (
        select(SalesOrder).where(SalesOrder.id == id).execution_options(populate_existing=True)
    )
    if lock:
        statement = statement.with_for_update(of=SalesOrder)
    order = (await session.scalars(statement)).one_or_none()
    if order is None:
        raise NotFound(f"No sales order {id!r}.")
    return order


async def create_sales_order(
    session: AsyncSession,
    *,
    customer_id: str,
    lines: Sequence[SalesLineSpec],
    warehouse_id: str | None,
    actor: str,
    at: datetime | None = None,
    checks: InputChecks | None = None,
) -> SalesOrder:
    """Check credit and stock, reserve the stock, and confirm the order (``SO-YYYYMM-NNNN``).

    Over the credit limit, or not enough stock available: ``CONFLICT``. Without a
    warehouse, each line reserves from the warehouse with the most available stock.
    ``at`` back-dates the order (demo data, history for forecasts). Every invalid field of
    the lines is reported at once, with those of ``checks`` (the caller's); unknown
    customers, warehouses and items after them.
    """
    checks = checks or InputChecks()
    if not lines:
        checks.fail("An order has at least one line.", field="input.lines")
    for index, line in enumerate(lines):
        checks(require_positive, line.quantity, f"input.lines.{index}.quantity")
        if line.unit_price is not None and line.unit_price <= 0:
            checks.fail("A price is positive.", field=f"input.lines.{index}.unitPrice.amount")
    checks.done()
    customer = await get_customer(session, customer_id, lock=True, field="input.customerId")
    if warehouse_id is not None:
        await inventory.get_warehouse(session, warehouse_id, field="input.warehouseId")
    if not lines:
        raise BadUserInput("An order has at least one line.", field="input.lines")
    order_lines = []
    for index, line in enumerate(lines):
        field = f"input.lines.{index}"
        item = await session.get(Item, line.sku)
        if item is None:
            raise NotFound(f"No item {line.sku!r}.", extensions={"field": f"{field}.sku"})
        quantity = require_positive(line.quantity, f"{field}.quantity")
        price = item.list_price if line.unit_price is None else line.unit_price
        if line.unit_price is not None and line.unit_price <= 0:
            raise BadUserInput("A price is positive.", field=f"{field}.unitPrice.amount")
        if item.currency != customer.currency:
            raise BadUserInput(
                f"The customer buys in {customer.currency}.", field=f"{field}.unitPrice.currency"
            )
        source = warehouse_id or await _best_warehouse(session, line.sku, quantity)
        order_lines.append(
            SalesOrderLine(
                line_no=index + 1,
                sku=line.sku,
                warehouse_id=source,
                quantity=quantity,
                unit_price=price,
                amount=quantity * price,
            )
        )
    total = sum((line.amount for line in order_lines), Decimal(0))
    owed = await exposure(session, customer.id)
    if owed + total > customer.credit_limit:
        currency = customer.currency
        raise Conflict(
            f"Credit limit exceeded: {format_amount(owed, currency)} open + "
            f"{format_amount(total, currency)} > {format_amount(customer.credit_limit, currency)}.",
            extensions={
                "field": "input.customerId",
                "creditLimit": format_amount(customer.credit_limit, currency),
                "openBalance": format_amount(owed, currency),
                "orderTotal": format_amount(total, currency),
            },
        )
    for taken in sorted(order_lines, key=lambda line: (line.sku, line.warehouse_id)):
        field = f"input.lines.{taken.line_no - 1}.quantity"
        await inventory.reserve(session, taken.sku, taken.warehouse_id, taken.quantity, field=field)
    moment = at or utc_now()
    order = SalesOrder(
        id=new_id("so"),
        order_no=await next_code(session, SALES_ORDER, code_period(period_of(moment))),
        customer_id=customer.id,
        status=SalesOrderStatus.CONFIRMED.value,
        currency=customer.currency,
        total=total,
        created_by=actor,
        created_at=moment,
        lines=order_lines,
    )
    session.add(order)
    await session.flush()
    return order


async def ship_sales_order(session: AsyncSession, id: str, actor: str) -> SalesOrder:
    """CONFIRMED -> SHIPPED: the reserved stock leaves the warehouses; revenue and cost posted."""
    order = await _transition(session, id, SalesOrderStatus.CONFIRMED, SalesOrderStatus.SHIPPED)
    for line in sorted(order.lines, key=lambda line: (line.sku, line.warehouse_id)):
        await inventory.issue_reserved(
            session,
            sku=line.sku,
            warehouse_id=line.warehouse_id,
            quantity=line.quantity,
            actor=actor,
            reference=order.order_no,
        )
    order.shipped_at = utc_now()
    await postings.post_shipment(session, order, actor)
    await session.flush()
    return order


async def close_sales_order(session: AsyncSession, id: str) -> SalesOrder:
    """SHIPPED -> CLOSED: paid; it no longer counts against the credit limit."""
    order = await _transition(session, id, SalesOrderStatus.SHIPPED, SalesOrderStatus.CLOSED)
    order.closed_at = utc_now()
    await session.flush()
    return order


async def cancel_sales_order(session: AsyncSession, id: str) -> SalesOrder:
    """CONFIRMED -> CANCELLED: the reservations are released."""
    order = await _transition(session, id, SalesOrderStatus.CONFIRMED, SalesOrderStatus.CANCELLED)
    for line in sorted(order.lines, key=lambda line: (line.sku, line.warehouse_id)):
        await inventory.release(session, line.sku, line.warehouse_id, line.quantity)
    order.closed_at = utc_now()
    await session.flush()
    return order


async def _best_warehouse(session: AsyncSession, sku: str, quantity: int) -> str:
    statement = (
        select(StockLevel.warehouse_id)
        .where(StockLevel.sku == sku)
        .order_by((StockLevel.quantity - StockLevel.reserved).desc(), StockLevel.warehouse_id)
        .limit(1)
    )
    found = await session.scalar(statement)
    if found is None:
        raise Conflict(
            f"No stock of {sku}.",
            extensions={"sku": sku, "available": 0, "requested": quantity},
        )
    return found


async def _transition(
    session: AsyncSession, id: str, source: SalesOrderStatus, target: SalesOrderStatus
) -> SalesOrder:
    changed = await session.execute(
        update(SalesOrder)
        .where(SalesOrder.id == id, SalesOrder.status == source.value)
        .values(status=target.value)
        .execution_options(synchronize_session=False)
    )
    order = await get_sales_order(session, id)
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"Sales order {order.order_no} is {order.status}, not {source.value}.",
            extensions={"status": order.status},
        )
    return order
