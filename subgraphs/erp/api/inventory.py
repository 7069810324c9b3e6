"""Inventory API: items (an entity keyed by ``sku``), warehouses, stock levels and movements."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Self

import strawberry
from sqlalchemy import func, or_, select
from strawberry.types import Info

from subgraphs.common.errors import InputChecks
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
from subgraphs.erp.api.loaders import loaders
from subgraphs.erp.store import inventory
from subgraphs.erp.store import models as m
from subgraphs.erp.store.checks import require_positive, require_text

if TYPE_CHECKING:
    from subgraphs.erp.api.actors import Actor
    from subgraphs.erp.api.procurement import Supplier

__all__ = ["Item", "Mutation", "Query", "StockLevel", "StockMovement", "Warehouse"]


@strawberry.type(description="A place stock is kept.")
class Warehouse:
    id: strawberry.ID
    code: str
    name: str
    location: str

    @classmethod
    def of(cls, row: m.Warehouse) -> Self:
        return cls(id=strawberry.ID(row.id), code=row.code, name=row.name, location=row.location)


@strawberry.federation.type(keys=["sku"], description="An article bought, sold or made.")
class Item:
    sku: strawberry.ID
    name: str
    unit: str
    category: str
    standard_cost: Money = strawberry.field(description="Cost of one unit (production costing).")
    list_price: Money = strawberry.field(description="Default sales price of one unit.")
    reorder_level: int | None = strawberry.field(
        description="Order again when fewer units than this are available; null: not managed."
    )
    preferred_supplier_id: strawberry.Private[str | None]

    @strawberry.field
    async def preferred_supplier(
        self, info: Info
    ) -> Annotated[Supplier, strawberry.lazy("subgraphs.erp.api.procurement")] | None:
        from subgraphs.erp.api.procurement import Supplier

        if self.preferred_supplier_id is None:
            return None
        row = await loaders(info).supplier.load(self.preferred_supplier_id)
        return None if row is None else Supplier.of(row)

    @strawberry.field(description="Stock per warehouse.")
    async def stock_levels(self, info: Info) -> list[StockLevel]:
        rows = await loaders(info).stock_levels.load(str(self.sku))
        return [StockLevel.of(row, self) for row in rows]

    @strawberry.field(description="Units on hand in every warehouse.")
    async def on_hand(self, info: Info) -> int:
        return sum(level.quantity for level in await self.stock_levels(info))

    @strawberry.field(description="Units on hand and not reserved for sales orders.")
    async def available(self, info: Info) -> int:
        return sum(level.available for level in await self.stock_levels(info))

    @classmethod
    def of(cls, row: m.Item) -> Self:
        return cls(
            sku=strawberry.ID(row.sku),
            name=row.name,
            unit=row.unit,
            category=row.category,
            standard_cost=money(row.standard_cost, row.currency),
            reorder_level=row.reorder_level,
            list_price=money(row.list_price, row.currency),
            preferred_supplier_id=row.preferred_supplier_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, sku: strawberry.ID) -> Self | None:
        row = await loaders(info).item.load(str(sku))
        return None if row is None else cls.of(row)


@strawberry.type(description="An item's stock in one warehouse.")
class StockLevel:
    item: Item
    warehouse: Warehouse
    quantity: int = strawberry.field(description="Units on hand; never negative.")
    reserved: int = strawberry.field(description="Units set aside for open sales orders.")
    available: int = strawberry.field(description="quantity - reserved.")
    updated_at: datetime

    @classmethod
    def of(cls, row: m.StockLevel, item: Item) -> Self:
        return cls(
            item=item,
            warehouse=Warehouse.of(row.warehouse),
            quantity=row.quantity,
            reserved=row.reserved,
            available=row.quantity - row.reserved,
            updated_at=row.updated_at,
        )


@strawberry.enum(description="Why on-hand stock changed.")
class StockMovementKind(Enum):
    RECEIPT = "RECEIPT"
    SHIPMENT = "SHIPMENT"
    ADJUSTMENT = "ADJUSTMENT"
    PRODUCTION_ISSUE = "PRODUCTION_ISSUE"
    PRODUCTION_RECEIPT = "PRODUCTION_RECEIPT"


@strawberry.type(description="One change of on-hand stock.")
class StockMovement:
    id: strawberry.ID
    sku: strawberry.ID
    warehouse: Warehouse
    quantity: int = strawberry.field(description="Positive: in; negative: out.")
    kind: StockMovementKind
    reference: str | None = strawberry.field(description="An order number, if any.")
    reason: str | None
    actor_subject: strawberry.Private[str]
    occurred_at: datetime

    @strawberry.field(description="Who moved it: an employee, or the system.")
    def actor(self) -> Annotated[Actor, strawberry.lazy("subgraphs.erp.api.actors")]:
        from subgraphs.erp.api.actors import actor_of

        return actor_of(self.actor_subject)

    @strawberry.field
    async def item(self, info: Info) -> Item | None:
        return await Item.resolve_reference(info, self.sku)

    @classmethod
    def of(cls, row: m.StockMovement) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            sku=strawberry.ID(row.sku),
            warehouse=Warehouse.of(row.warehouse),
            quantity=row.quantity,
            kind=StockMovementKind(row.kind),
            reference=row.reference,
            reason=row.reason,
            actor_subject=row.actor,
            occurred_at=row.occurred_at,
        )


@strawberry.input
class ItemFilter:
    search: str | None = strawberry.field(default=None, description="In sku or name.")
    category: str | None = None


@strawberry.input
class StockMovementFilter:
    sku: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None


@strawberry.input
class CreateItemInput:
    sku: str
    name: str
    unit: str = "pcs"
    category: str
    standard_cost: MoneyInput
    list_price: MoneyInput
    preferred_supplier_id: strawberry.ID | None = None
    reorder_level: int | None = strawberry.field(
        default=None, description="Order again when fewer units are available (0 or more)."
    )


@strawberry.input
class CreateWarehouseInput:
    code: str
    name: str
    location: str


@strawberry.input(description="Change on-hand stock by `quantity` (negative: remove).")
class AdjustStockInput:
    sku: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int
    reason: str


@strawberry.type
class Query:
    @strawberry.field
    async def item(self, info: Info, sku: strawberry.ID) -> Item | None:
        return found(await Item.resolve_reference(info, sku), "item", str(sku), field="sku")

    @strawberry.field(description="Items by sku.")
    async def items(
        self,
        info: Info,
        filter: ItemFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Item]:
        statement = select(m.Item)
        if filter is not None and filter.search:
            pattern = f"%{filter.search.strip().lower()}%"
            statement = statement.where(
                or_(func.lower(m.Item.sku).like(pattern), func.lower(m.Item.name).like(pattern))
            )
        if filter is not None and filter.category:
            statement = statement.where(m.Item.category == filter.category)
        async with session(info) as db:
            return await connection(db, statement, [m.Item.sku], Item.of, first=first, after=after)

    @strawberry.field(description="Warehouses by code.")
    async def warehouses(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Warehouse]:
        async with session(info) as db:
            return await connection(
                db, select(m.Warehouse), [m.Warehouse.code], Warehouse.of, first=first, after=after
            )

    @strawberry.field(description="An item's stock per warehouse; NOT_FOUND for an unknown sku.")
    async def stock(self, info: Info, sku: strawberry.ID) -> list[StockLevel]:
        async with session(info) as db:
            item = Item.of(await inventory.get_item(db, str(sku)))
            return [StockLevel.of(row, item) for row in await inventory.stock_levels(db, item.sku)]

    @strawberry.field(description="Stock movements, newest first.")
    async def stock_movements(
        self,
        info: Info,
        filter: StockMovementFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockMovement]:
        statement = select(m.StockMovement)
        if filter is not None and filter.sku is not None:
            statement = statement.where(m.StockMovement.sku == str(filter.sku))
        if filter is not None and filter.warehouse_id is not None:
            statement = statement.where(m.StockMovement.warehouse_id == str(filter.warehouse_id))
        order = [m.StockMovement.seq.desc()]
        async with session(info) as db:
            return await connection(
                db, statement, order, StockMovement.of, first=first, after=after
            )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_item(self, info: Info, input: CreateItemInput) -> Item:
        checks = InputChecks()  # with the item's own checks: every invalid field at once
        read = checks(money_input, input.standard_cost, "input.standardCost")
        cost, currency = read or UNREAD
        price, _ = checks(money_input, input.list_price, "input.listPrice",
                          currency=read and currency) or UNREAD  # fmt: skip
        async with session(info) as db:
            row = await inventory.create_item(
                db,
                sku=input.sku,
                name=input.name,
                unit=input.unit,
                category=input.category,
                currency=currency,
                standard_cost=cost,
                list_price=price,
                preferred_supplier_id=None
                if input.preferred_supplier_id is None
                else str(input.preferred_supplier_id),
                reorder_level=input.reorder_level,
                checks=checks,
            )
            return Item.of(row)

    @strawberry.mutation
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> Warehouse:
        async with session(info) as db:
            row = await inventory.create_warehouse(db, input.code, input.name, input.location)
            return Warehouse.of(row)

    @strawberry.mutation(description="Count, loss or correction; stock never goes negative.")
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockLevel:
        checks = InputChecks()  # every invalid field at once, before looking anything up
        reason = checks(require_text, input.reason, "input.reason", max_length=500)
        checks(require_positive, abs(input.quantity), "input.quantity")
        checks.done()
        assert reason is not None
        async with session(info) as db:
            item = Item.of(await inventory.get_item(db, str(input.sku), field="input.sku"))
            await inventory.get_warehouse(db, str(input.warehouse_id), field="input.warehouseId")
            level = await inventory.move_stock(
                db,
                sku=str(input.sku),
                warehouse_id=str(input.warehouse_id),
                quantity=input.quantity,
                kind=inventory.MovementKind.ADJUSTMENT,
                actor=actor(info),
                reason=reason,
                field="input.quantity",
            )
            return StockLevel.of(level, item)
