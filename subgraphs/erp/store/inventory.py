"""Inventory rules: items, warehouses, and stock that never goes negative, even concurrently.

Every change of a stock level is one conditional ``UPDATE`` (or an upsert when stock comes
in), so two concurrent adjustments cannot both pass a check made on a stale read: on
PostgreSQL the second waits for the first's row lock and re-checks its condition against
the new row; on SQLite writers are serialized. The table's CHECK constraints
(``quantity >= 0``, ``0 <= reserved <= quantity``) are the last line of defence.

Callers that change several levels in one transaction do it in (sku, warehouse) order,
so two transactions never wait for each other's rows in opposite orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Conflict, InputChecks, NotFound
from subgraphs.erp.store import events, reference
from subgraphs.erp.store.base import new_id
from subgraphs.erp.store.checks import MAX_QUANTITY, require_positive, require_text
from subgraphs.erp.store.models import Item, StockLevel, StockMovement, Supplier, Warehouse
from tandem_shared.timestamps import utc_now

__all__ = [
    "MovementKind",
    "create_item",
    "create_warehouse",
    "get_item",
    "get_warehouse",
    "issue_reserved",
    "move_stock",
    "release",
    "reserve",
    "stock_levels",
]


class MovementKind(StrEnum):
    """Why on-hand stock changed."""

    RECEIPT = "RECEIPT"
    """Goods of a purchase order arrived."""
    SHIPMENT = "SHIPMENT"
    """Goods of a sales order left."""
    ADJUSTMENT = "ADJUSTMENT"
    """A count, a loss, a correction."""
    PRODUCTION_ISSUE = "PRODUCTION_ISSUE"
    """Components issued to a work order."""
    PRODUCTION_RECEIPT = "PRODUCTION_RECEIPT"
    """Finished goods of a work order."""


async def create_warehouse(session: AsyncSession, code: str, name: str, location: str) -> Warehouse:
    """Add a warehouse; ``CONFLICT`` if the code is taken."""
    checks = InputChecks()
    checked_code = checks(require_text, code, "input.code", max_length=20)
    checked_name = checks(require_text, name, "input.name")
    checked_location = checks(require_text, location, "input.location")
    checks.done()
    assert checked_code is not None and checked_name is not None and checked_location is not None
    code = checked_code
    taken = await session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if taken is not None:
        raise Conflict(f"Warehouse {code} already exists.")
    warehouse = Warehouse(id=new_id("wh"), code=code, name=checked_name, location=checked_location)
    session.add(warehouse)
    await session.flush()
    return warehouse


async def create_item(
    session: AsyncSession,
    *,
    sku: str,
    name: str,
    unit: str,
    category: str,
    currency: str,
    standard_cost: Decimal,
    list_price: Decimal,
    preferred_supplier_id: str | None = None,
    reorder_level: int | None = None,
    checks: InputChecks | None = None,
) -> Item:
    """Add an item; ``CONFLICT`` if the sku is taken. Every invalid field is reported at
    once, with those of ``checks`` (the caller's, e.g. the prices it read)."""
    checks = checks or InputChecks()
    if reorder_level is not None and not 0 <= reorder_level <= MAX_QUANTITY:
        checks.fail("A reorder level is 0 or more.", field="input.reorderLevel")
    checked_sku = checks(require_text, sku, "input.sku", max_length=40)
    name = checks(require_text, name, "input.name") or ""
    unit = checks(require_text, unit, "input.unit", max_length=20) or ""
    category = checks(require_text, category, "input.category", max_length=100) or ""
    checks.done()
    assert checked_sku is not None
    sku = checked_sku
    if await session.get(Item, sku) is not None:
        raise Conflict(f"Item {sku} already exists.")
    if (
        preferred_supplier_id is not None
        and await session.get(Supplier, preferred_supplier_id) is None
    ):
        raise NotFound("No such supplier.", extensions={"field": "input.preferredSupplierId"})
    item = Item(
        sku=sku,
        name=name,
        unit=unit,
        category=category,
        currency=currency,
        standard_cost=standard_cost,
        list_price=list_price,
        preferred_supplier_id=preferred_supplier_id,
        reorder_level=reorder_level,
    )
    session.add(item)
    await session.flush()
    await reference.item_changed(session, item)
    return item


async def get_item(session: AsyncSession, sku: str, *, field: str = "sku") -> Item:
    """The item ``sku``; ``NOT_FOUND`` (naming ``field``) if there is none."""
    item = await session.get(Item, sku)
    if item is None:
        raise NotFound(f"No item {sku!r}.", extensions={"field": field})
    return item


async def get_warehouse(session: AsyncSession, id: str, *, field: str = "warehouseId") -> Warehouse:
    """The warehouse ``id``; ``NOT_FOUND`` (naming ``field``) if there is none."""
    warehouse = await session.get(Warehouse, id)
    if warehouse is None:
        raise NotFound(f"No warehouse {id!r}.", extensions={"field": field})
    return warehouse


async def stock_levels(session: AsyncSession, sku: str) -> Sequence[StockLevel]:
    """The item's stock in every warehouse that ever held it, by warehouse code."""
    statement = (
        select(StockLevel)
        .join(Warehouse)
        .where(StockLevel.sku == sku)
        .order_by(Warehouse.code)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).all()


async def move_stock(
    session: AsyncSession,
    *,
    sku: str,
    warehouse_id: str,
    quantity: int,
    kind: MovementKind,
    actor: str,
    reference: str | None = None,
    reason: str | None = None,
    field: str = "quantity",
) -> StockLevel:
    """Add ``quantity`` (negative: remove) to on-hand stock and record the movement.

    Removing more than is on hand and not reserved is ``CONFLICT``; stock never goes
    negative, and reserved stock stays in the warehouse for its sales order.
    """
    if quantity == 0 or abs(quantity) > MAX_QUANTITY:
        require_positive(abs(quantity), field)
    await get_item(session, sku)
    await get_warehouse(session, warehouse_id)
    now = utc_now()
    if quantity > 0:
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StockLevel)
        await session.execute(
            insert.values(
                sku=sku, warehouse_id=warehouse_id, quantity=quantity, reserved=0, updated_at=now
            ).on_conflict_do_update(
                index_elements=[StockLevel.sku, StockLevel.warehouse_id],
                set_={"quantity": StockLevel.quantity + quantity, "updated_at": now},
            )
        )
    else:
        changed = await session.execute(
            update(StockLevel)
            .where(
                StockLevel.sku == sku,
                StockLevel.warehouse_id == warehouse_id,
                StockLevel.quantity + quantity >= StockLevel.reserved,
            )
            .values(quantity=StockLevel.quantity + quantity, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            await _refuse(session, sku, warehouse_id, -quantity, field)
    session.add(
        StockMovement(
            id=new_id("mv"),
            sku=sku,
            warehouse_id=warehouse_id,
            quantity=quantity,
            kind=kind.value,
            reference=reference,
            reason=reason,
            actor=actor,
            occurred_at=now,
        )
    )
    await session.flush()
    await events.stock_changed(session, sku, warehouse_id, kind.value)
    return await _level(session, sku, warehouse_id)


async def reserve(
    session: AsyncSession, sku: str, warehouse_id: str, quantity: int, *, field: str
) -> None:
    """Set ``quantity`` units aside for a sales order; ``CONFLICT`` if not that many available."""
    changed = await session.execute(
        update(StockLevel)
        .where(
            StockLevel.sku == sku,
            StockLevel.warehouse_id == warehouse_id,
            StockLevel.quantity - StockLevel.reserved >= quantity,
        )
        .values(reserved=StockLevel.reserved + quantity, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        await _refuse(session, sku, warehouse_id, quantity, field)
    await events.stock_changed(session, sku, warehouse_id, "RESERVED")


async def release(session: AsyncSession, sku: str, warehouse_id: str, quantity: int) -> None:
    """Give back a reservation (a cancelled sales order)."""
    await session.execute(
        update(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.warehouse_id == warehouse_id)
        .values(reserved=StockLevel.reserved - quantity, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    await events.stock_changed(session, sku, warehouse_id, "RELEASED")


async def issue_reserved(
    session: AsyncSession,
    *,
    sku: str,
    warehouse_id: str,
    quantity: int,
    actor: str,
    reference: str,
) -> None:
    """Ship reserved units: on hand and reserved both drop by ``quantity``; a movement."""
    now = utc_now()
    await session.execute(
        update(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.warehouse_id == warehouse_id)
        .values(
            quantity=StockLevel.quantity - quantity,
            reserved=StockLevel.reserved - quantity,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.add(
        StockMovement(
            id=new_id("mv"),
            sku=sku,
            warehouse_id=warehouse_id,
            quantity=-quantity,
            kind=MovementKind.SHIPMENT.value,
            reference=reference,
            reason=None,
            actor=actor,
            occurred_at=now,
        )
    )
    await session.flush()
    await events.stock_changed(session, sku, warehouse_id, MovementKind.SHIPMENT.value)


async def _level(session: AsyncSession, sku: str, warehouse_id: str) -> StockLevel:
    statement = (
        select(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.warehouse_id == warehouse_id)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def _refuse(
    session: AsyncSession, sku: str, warehouse_id: str, wanted: int, field: str
) -> None:
    await get_item(session, sku)
    await get_warehouse(session, warehouse_id)
    level = await session.scalar(
        select(StockLevel)
        .where(StockLevel.sku == sku, StockLevel.warehouse_id == warehouse_id)
        .execution_options(populate_existing=True)
    )
    available = 0 if level is None else level.quantity - level.reserved
    raise Conflict(
        f"Not enough stock of {sku}: {wanted} wanted, {available} available.",
        extensions={"field": field, "sku": sku, "available": available, "requested": wanted},
    )
