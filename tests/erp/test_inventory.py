"""Inventory: items, warehouses, stock levels and movements; stock never goes negative."""

from __future__ import annotations

import asyncio

import pytest

from tests.erp.catalog import ADJUST, make_catalog
from tests.erp.harness import ErpClient
from tests.erp.util import ENTITIES, fresh, money

pytestmark = pytest.mark.anyio


def adjust(sku: str, warehouse: str, quantity: int) -> dict[str, object]:
    return {"i": {"sku": sku, "warehouseId": warehouse, "quantity": quantity, "reason": "count"}}


async def test_adjustments_move_stock_and_are_recorded(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    await erp.data(ADJUST, adjust(sku, catalog.warehouse, 10))
    level = (await erp.data(ADJUST, adjust(sku, catalog.warehouse, -3)))["adjustStock"]
    assert level == {"quantity": 7, "reserved": 0, "available": 7,
                     "warehouse": {"id": catalog.warehouse}, "item": {"sku": sku}}  # fmt: skip
    stock = await erp.data(
        "query ($sku: ID!) { stock(sku: $sku) { quantity warehouse { id } } }", {"sku": sku}
    )
    assert stock["stock"] == [{"quantity": 7, "warehouse": {"id": catalog.warehouse}}]
    movements = await erp.data(
        """query ($sku: ID!) { stockMovements(filter: {sku: $sku}) {
             edges { node { quantity kind reason actor { ... on Employee { id } } item { sku } }
             } } }""",
        {"sku": sku},
    )
    assert [e["node"] for e in movements["stockMovements"]["edges"]] == [
        {"quantity": -3, "kind": "ADJUSTMENT", "reason": "count", "actor": {"id": "emp-001"},
         "item": {"sku": sku}},
        {"quantity": 10, "kind": "ADJUSTMENT", "reason": "count", "actor": {"id": "emp-001"},
         "item": {"sku": sku}},
    ]  # fmt: skip


async def test_stock_cannot_go_negative(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    await erp.data(ADJUST, adjust(sku, catalog.warehouse, 2))
    error = await erp.error(ADJUST, adjust(sku, catalog.warehouse, -3))
    assert (error["code"], error["field"], error["available"]) == ("CONFLICT", "input.quantity", 2)
    error = await erp.error(ADJUST, adjust(catalog.skus[0], catalog.warehouse, 0))
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.quantity")
    error = await erp.error(ADJUST, adjust("NO-SUCH-SKU", catalog.warehouse, 1))
    assert (error["code"], error["field"]) == ("NOT_FOUND", "input.sku")
    error = await erp.error(ADJUST, adjust(sku, "wh-none", 1))
    assert (error["code"], error["field"]) == ("NOT_FOUND", "input.warehouseId")
    error = await erp.error('query { stock(sku: "NO-SUCH-SKU") { quantity } }')
    assert error["code"] == "NOT_FOUND"


async def test_concurrent_removals_never_take_stock_below_zero(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    await erp.data(ADJUST, adjust(sku, catalog.warehouse, 10))
    answers = await asyncio.gather(
        *(erp.post(ADJUST, adjust(sku, catalog.warehouse, -1)) for _ in range(16))
    )
    codes = sorted(a["errors"][0]["extensions"]["code"] if "errors" in a else "OK" for a in answers)
    assert codes == ["CONFLICT"] * 6 + ["OK"] * 10
    stock = await erp.data("query ($s: ID!) { stock(sku: $s) { quantity } }", {"s": sku})
    assert stock["stock"] == [{"quantity": 0}]


async def test_items_are_entities_keyed_by_sku(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    await erp.data(ADJUST, adjust(sku, catalog.warehouse, 4))
    found = await erp.data(
        ENTITIES % "... on Item { sku name listPrice { amount currency } onHand available "
        "preferredSupplier { id } }",
        {"representations": [{"__typename": "Item", "sku": sku},
                             {"__typename": "Item", "sku": "NO-SUCH-SKU"}]},
    )  # fmt: skip
    assert found["_entities"] == [
        {"__typename": "Item", "sku": sku, "name": f"Part {sku}", "listPrice": money("25.00"),
         "onHand": 4, "available": 4, "preferredSupplier": {"id": catalog.supplier}},
        None,
    ]  # fmt: skip


async def test_items_are_paginated_and_searchable(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=3)
    query = """query ($s: String, $after: String) {
      items(filter: {search: $s}, first: 2, after: $after) {
        edges { node { sku } } pageInfo { hasNextPage endCursor } } }"""
    prefix = catalog.skus[0][:4]
    seen, after = [], None
    while True:
        page = (await erp.data(query, {"s": prefix, "after": after}))["items"]
        seen += [e["node"]["sku"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert set(catalog.skus) <= set(seen)
    assert seen == sorted(seen)
    error = await erp.error(query, {"s": prefix, "after": "garbage"})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "after")


async def test_taken_sku_and_warehouse_code_are_conflicts(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    error = await erp.error(
        "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
        {"i": {"sku": catalog.skus[0], "name": "x", "category": "parts",
               "standardCost": money("1.00"), "listPrice": money("2.00")}},
    )  # fmt: skip
    assert error["code"] == "CONFLICT"


async def test_an_item_keeps_its_reorder_level_and_refuses_a_negative_one(erp: ErpClient) -> None:
    create = "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku reorderLevel } }"
    item = {"name": "Bolt", "category": "parts", "standardCost": money("1.00"),
            "listPrice": money("2.00")}  # fmt: skip
    sku = fresh("SKU").upper()
    made = await erp.data(create, {"i": {**item, "sku": sku, "reorderLevel": 40}})
    assert made["createItem"] == {"sku": sku, "reorderLevel": 40}
    unmanaged = await erp.data(create, {"i": {**item, "sku": fresh("SKU").upper()}})
    assert unmanaged["createItem"]["reorderLevel"] is None
    error = await erp.error(
        create, {"i": {**item, "sku": fresh("SKU").upper(), "reorderLevel": -1}}
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.reorderLevel")
