"""The inventory subgraph's schema: the ``Item`` entity, keyed by ``sku``."""

from typing import Self

import strawberry
from strawberry.federation import Schema

from subgraphs.demo.inventory.data import ItemRecord, inventory_store
from subgraphs.demo.standards import FEDERATION_VERSION

__all__ = ["Item", "Query", "schema"]


@strawberry.federation.type(keys=["sku"], description="A stocked article.")
class Item:
    sku: strawberry.ID
    name: str
    stock: int
    warehouse: str

    @strawberry.field
    def in_stock(self) -> bool:
        return self.stock > 0

    @classmethod
    def from_record(cls, record: ItemRecord) -> Self:
        return cls(
            sku=strawberry.ID(record.sku),
            name=record.name,
            stock=record.stock,
            warehouse=record.warehouse,
        )

    @classmethod
    def resolve_reference(cls, sku: strawberry.ID) -> Self | None:
        record = inventory_store().item(sku)
        return None if record is None else cls.from_record(record)


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int | None = 20) -> list[Item]:
        records = inventory_store().items[: max(first if first is not None else 20, 0)]
        return [Item.from_record(r) for r in records]


schema = Schema(query=Query, federation_version=FEDERATION_VERSION)
