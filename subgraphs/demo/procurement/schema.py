"""The procurement subgraph's schema: suppliers, purchase orders, and their references.

``Employee`` (owned by people) gains ``purchaseOrders``; ``Item`` (owned by inventory)
is referenced by ``sku`` and gains ``reorderNeeded``, which ``@requires`` the
inventory's ``stock``: the one ``@requires`` in the demo supergraph.
"""

from enum import Enum
from typing import Self

import strawberry
from strawberry.federation import Schema

from subgraphs.demo.procurement.data import PurchaseOrderRecord, procurement_store
from subgraphs.demo.standards import CURRENCY, FEDERATION_VERSION, money_amount

__all__ = [
    "REORDER_POINT",
    "Employee",
    "Item",
    "Money",
    "OrderLine",
    "PurchaseOrder",
    "PurchaseOrderStatus",
    "Query",
    "Supplier",
    "schema",
]

REORDER_POINT = 20
"""An item with less stock than this needs reordering."""


@strawberry.federation.type(shareable=True, description="An amount of money, exactly.")
class Money:
    amount: str = strawberry.field(description='A decimal string, e.g. "123.45".')
    currency: str = strawberry.field(description='An ISO 4217 code, e.g. "CNY".')


@strawberry.enum
class PurchaseOrderStatus(Enum):
    CREATED = "CREATED"
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


@strawberry.federation.type(keys=["id"], description="A company we buy from.")
class Supplier:
    id: strawberry.ID
    name: str
    rating: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self | None:
        record = procurement_store().supplier(id)
        return None if record is None else cls(id=id, name=record.name, rating=record.rating)


@strawberry.federation.type(keys=["sku"])
class Item:
    """An article: owned by inventory, referenced here by ``sku``."""

    sku: strawberry.ID
    known_stock: strawberry.Private[int | None] = None

    @strawberry.federation.field(external=True)  # type: ignore[untyped-decorator]
    def stock(self) -> int:
        return self._stock()

    @strawberry.federation.field(requires=["stock"])  # type: ignore[untyped-decorator]
    def reorder_needed(self) -> bool:
        return self._stock() < REORDER_POINT

    def _stock(self) -> int:
        if self.known_stock is None:
            raise ValueError("Item.stock is resolved by the inventory subgraph")
        return self.known_stock

    @classmethod
    def resolve_reference(cls, sku: strawberry.ID, stock: int | None = None) -> Self:
        return cls(sku=sku, known_stock=stock)


@strawberry.type(description="One line of a purchase order.")
class OrderLine:
    item: Item
    quantity: int
    unit_price: Money


@strawberry.federation.type(keys=["id"], description="An order placed with a supplier.")
class PurchaseOrder:
    id: strawberry.ID
    order_no: str
    lines: list[OrderLine]
    total: Money
    status: PurchaseOrderStatus
    requested_by: "Employee"
    supplier_id: strawberry.Private[str]

    @strawberry.field
    def supplier(self) -> Supplier:
        supplier = Supplier.resolve_reference(strawberry.ID(self.supplier_id))
        assert supplier is not None, self.supplier_id
        return supplier

    @classmethod
    def from_record(cls, record: PurchaseOrderRecord) -> Self:
        lines = [
            OrderLine(
                item=Item(sku=strawberry.ID(line.sku)),
                quantity=line.quantity,
                unit_price=Money(amount=money_amount(line.unit_price), currency=CURRENCY),
            )
            for line in record.lines
        ]
        return cls(
            id=strawberry.ID(record.id),
            order_no=record.order_no,
            lines=lines,
            total=Money(amount=money_amount(record.total), currency=CURRENCY),
            status=PurchaseOrderStatus(record.status),
            requested_by=Employee(id=strawberry.ID(record.requested_by)),
            supplier_id=record.supplier_id,
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self | None:
        record = procurement_store().order(id)
        return None if record is None else cls.from_record(record)


@strawberry.federation.type(keys=["id"])
class Employee:
    """A person: owned by people, here with the orders they requested."""

    id: strawberry.ID

    @strawberry.field
    def purchase_orders(self) -> list[PurchaseOrder]:
        records = procurement_store().orders_requested_by(self.id)
        return [PurchaseOrder.from_record(r) for r in records]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def purchase_orders(self, first: int | None = 20) -> list[PurchaseOrder]:
        records = procurement_store().orders[: max(first if first is not None else 20, 0)]
        return [PurchaseOrder.from_record(r) for r in records]

    @strawberry.field
    def purchase_order(self, id: strawberry.ID) -> PurchaseOrder | None:
        return PurchaseOrder.resolve_reference(id)


schema = Schema(query=Query, federation_version=FEDERATION_VERSION)
