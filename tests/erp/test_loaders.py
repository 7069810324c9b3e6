"""Per-request loaders: a listed page reads each relation in one statement, however many
rows it lists, and a mutation's result never shows what an earlier mutation's cached."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.erp.catalog import ADJUST, make_catalog
from tests.erp.harness import ErpClient
from tests.erp.util import fresh, money

pytestmark = pytest.mark.anyio

ITEMS = """
query ($search: String!) {
  items(filter: {search: $search}, first: 100) {
    edges { node { sku onHand available preferredSupplier { id }
                   stockLevels { quantity available warehouse { id } } } }
  }
}
"""
CUSTOMERS = """
query ($search: String!) {
  customers(search: $search, first: 100) {
    edges { node { name openBalance { amount } availableCredit { amount } } }
  }
}
"""


@contextmanager
def statements_on(erp: ErpClient, table: str) -> Iterator[list[str]]:
    """The SQL statements reading ``FROM table`` that the app's real engine runs meanwhile."""
    engine = erp.sessions.kw["bind"].sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def items_named(erp: ErpClient, prefix: str, count: int, supplier: str) -> None:
    for n in range(count):
        sku = f"{prefix}-{n}"
        await erp.data(
            "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
            {"i": {"sku": sku, "name": sku, "category": "parts", "standardCost": money("1.00"),
                   "listPrice": money("2.00"), "preferredSupplierId": supplier}},
        )  # fmt: skip


@pytest.mark.parametrize("count", [2, 12])
async def test_a_page_of_items_reads_stock_levels_in_one_statement(
    erp: ErpClient, count: int
) -> None:
    catalog = await make_catalog(erp, items=0)
    prefix = fresh("LOAD").upper()
    await items_named(erp, prefix, count, catalog.supplier)
    for n in range(0, count, 2):  # every other item has stock
        change = {"sku": f"{prefix}-{n}", "warehouseId": catalog.warehouse, "quantity": n + 1}
        await erp.data(ADJUST, {"i": change | {"reason": "count"}})
    with (
        statements_on(erp, "erp_stock_levels") as levels,
        statements_on(erp, "erp_suppliers") as suppliers,
    ):
        data = await erp.data(ITEMS, {"search": prefix})
    nodes = {edge["node"]["sku"]: edge["node"] for edge in data["items"]["edges"]}
    assert len(nodes) == count
    for n in range(count):
        stocked = n % 2 == 0
        level = [{"quantity": n + 1, "available": n + 1, "warehouse": {"id": catalog.warehouse}}]
        assert nodes[f"{prefix}-{n}"] == {
            "sku": f"{prefix}-{n}",
            "onHand": n + 1 if stocked else 0,
            "available": n + 1 if stocked else 0,
            "preferredSupplier": {"id": catalog.supplier},
            "stockLevels": level if stocked else [],
        }
    assert len(levels) == 1, levels
    assert len(suppliers) == 1, suppliers


async def test_customers_open_balances_are_read_in_one_statement(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    change = {"sku": catalog.skus[0], "warehouseId": catalog.warehouse, "quantity": 20}
    await erp.data(ADJUST, {"i": change | {"reason": "count"}})
    prefix = fresh("Buyer")
    for n in range(4):
        created = await erp.data(
            "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            {"i": {"name": f"{prefix} {n}", "creditLimit": money("1000.00")}},
        )
        for _ in range(n):  # customer n owes n orders of one unit at the list price, 25.00
            line = {"sku": catalog.skus[0], "quantity": 1}
            await erp.data(
                "mutation ($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { id } }",
                {"i": {"customerId": created["createCustomer"]["id"], "lines": [line]}},
            )
    with statements_on(erp, "erp_sales_orders") as orders:
        data = await erp.data(CUSTOMERS, {"search": prefix})
    assert [edge["node"] for edge in data["customers"]["edges"]] == [
        {"name": f"{prefix} {n}", "openBalance": {"amount": f"{25 * n}.00"},
         "availableCredit": {"amount": f"{1000 - 25 * n}.00"}}
        for n in range(4)
    ]  # fmt: skip
    assert len(orders) == 1, orders


async def test_each_mutation_of_an_operation_reads_stock_after_itself(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    change = {"sku": catalog.skus[0], "warehouseId": catalog.warehouse, "reason": "count"}
    data = await erp.data(
        """mutation ($a: AdjustStockInput!, $b: AdjustStockInput!) {
             a: adjustStock(input: $a) { item { onHand } }
             b: adjustStock(input: $b) { item { onHand } }
           }""",
        {"a": change | {"quantity": 5}, "b": change | {"quantity": 2}},
    )
    assert data == {"a": {"item": {"onHand": 5}}, "b": {"item": {"onHand": 7}}}
