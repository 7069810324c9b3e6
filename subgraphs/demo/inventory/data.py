"""The inventory subgraph's in-memory data: 40 stocked items, generated."""

from dataclasses import dataclass
from functools import cache

from subgraphs.demo.standards import ITEM_COUNT, item_sku

__all__ = ["InventoryStore", "ItemRecord", "inventory_store"]

_PRODUCTS = (
    "A4 Copy Paper, 500 sheets",
    "Ballpoint Pen, Blue",
    "Laptop 14in",
    "Monitor 27in",
    "Office Chair",
    "Steel Bolt M8",
    "Hex Nut M8",
    "Safety Gloves",
    "Toner Cartridge",
    "Network Switch 24-port",
)
_WAREHOUSES = ("Shanghai-01", "Suzhou-02", "Shenzhen-01")


@dataclass(frozen=True, slots=True)
class ItemRecord:
    sku: str
    name: str
    stock: int
    warehouse: str


@dataclass(frozen=True, slots=True)
class InventoryStore:
    items: tuple[ItemRecord, ...]

    def item(self, sku: str) -> ItemRecord | None:
        return next((i for i in self.items if i.sku == sku), None)


def _item(n: int) -> ItemRecord:
    product = _PRODUCTS[(n - 1) % len(_PRODUCTS)]
    batch = (n - 1) // len(_PRODUCTS) + 1
    return ItemRecord(
        sku=item_sku(n),
        name=f"{product} (lot {batch})",
        stock=0 if n % 7 == 0 else (n * 37) % 500,
        warehouse=_WAREHOUSES[n % len(_WAREHOUSES)],
    )


@cache
def inventory_store() -> InventoryStore:
    """The one store of this process, built on first use and the same every run."""
    return InventoryStore(items=tuple(_item(n) for n in range(1, ITEM_COUNT + 1)))
