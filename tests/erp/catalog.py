"""Fresh catalogue data for a test: a supplier, a warehouse and items, made through the API."""

from __future__ import annotations

from dataclasses import dataclass

from tests.erp.harness import ErpClient
from tests.erp.util import fresh, money

__all__ = ["Catalog", "make_catalog", "stock_up"]


@dataclass(frozen=True)
class Catalog:
    supplier: str
    warehouse: str
    skus: list[str]


async def make_catalog(erp: ErpClient, items: int = 2, *, cost: str = "10.00") -> Catalog:
    """A supplier, a warehouse and ``items`` items (preferring that supplier), all new."""
    supplier = await erp.data(
        "mutation ($i: CreateSupplierInput!) { createSupplier(input: $i) { id } }",
        {"i": {"name": fresh("Supplier"), "contact": "Ms Zhao", "bankAccount": "6222 0001",
               "rating": 4}},
    )  # fmt: skip
    supplier_id = supplier["createSupplier"]["id"]
    code = fresh("WH")
    warehouse = await erp.data(
        "mutation ($i: CreateWarehouseInput!) { createWarehouse(input: $i) { id } }",
        {"i": {"code": code, "name": code, "location": "Shanghai"}},
    )
    skus = []
    for _ in range(items):
        sku = fresh("SKU").upper()
        await erp.data(
            "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
            {"i": {"sku": sku, "name": f"Part {sku}", "category": "parts",
                   "standardCost": money(cost), "listPrice": money("25.00"),
                   "preferredSupplierId": supplier_id}},
        )  # fmt: skip
        skus.append(sku)
    return Catalog(supplier_id, warehouse["createWarehouse"]["id"], skus)


ADJUST = """
mutation ($i: AdjustStockInput!) {
  adjustStock(input: $i) { quantity reserved available warehouse { id } item { sku } }
}
"""


async def stock_up(erp: ErpClient, catalog: Catalog, quantity: int) -> None:
    """Put ``quantity`` of every catalogue item into its warehouse."""
    for sku in catalog.skus:
        change = {"sku": sku, "warehouseId": catalog.warehouse, "quantity": quantity}
        await erp.data(ADJUST, {"i": change | {"reason": "opening stock"}})
