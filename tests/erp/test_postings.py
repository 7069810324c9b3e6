"""Goods receipt and shipment post balanced journal entries (stock, payables, revenue, cost)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from subgraphs.erp.store.models import JournalEntry
from tandem_shared.db import transaction
from tests.erp.catalog import make_catalog, stock_up
from tests.erp.harness import ALICE, ErpClient
from tests.erp.util import money

pytestmark = pytest.mark.anyio

ENTRY = """
query ($id: ID!) {
  journalEntry(id: $id) {
    memo total { amount currency } postedBy { ... on Employee { id } }
    lines { account { code type } debit { amount } credit { amount } }
  }
}
"""


async def entry_with_memo(erp: ErpClient, memo: str) -> dict[str, Any]:
    """The one entry whose memo is ``memo``, read through the API."""
    async with transaction(erp.sessions) as db:
        ids = (await db.scalars(select(JournalEntry.id).where(JournalEntry.memo == memo))).all()
    assert len(ids) == 1, ids
    entry = (await erp.data(ENTRY, {"id": ids[0]}))["journalEntry"]
    assert isinstance(entry, dict)
    return entry


def postings(entry: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (line["account"]["code"], line["account"]["type"], line["debit"]["amount"],
         line["credit"]["amount"])
        for line in entry["lines"]
    ]  # fmt: skip


async def test_goods_receipt_posts_inventory_against_payables(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    lines = [{"sku": catalog.skus[0], "quantity": 3, "unitPrice": money("10.50")},
             {"sku": catalog.skus[1], "quantity": 1, "unitPrice": money("100.00")}]  # fmt: skip
    created = await erp.data(
        "mutation ($i: CreatePurchaseOrderInput!) "
        "{ createPurchaseOrder(input: $i) { id orderNo } }",
        {"i": {"supplierId": catalog.supplier, "lines": lines}},
    )
    order = created["createPurchaseOrder"]
    await erp.data("mutation ($id: ID!) { sendPurchaseOrder(id: $id) { status } }", order)
    receive = """
    mutation ($id: ID!, $wh: ID!) {
      receiveGoods(input: {purchaseOrderId: $id, warehouseId: $wh}) { status }
    }"""
    await erp.data(receive, {"id": order["id"], "wh": catalog.warehouse})

    entry = await entry_with_memo(erp, f"Goods receipt {order['orderNo']}")
    assert entry["total"] == {"amount": "131.50", "currency": "CNY"}
    assert entry["postedBy"] == {"id": ALICE.subject}
    assert postings(entry) == [
        ("1405", "ASSET", "131.50", "0.00"),
        ("2202", "LIABILITY", "0.00", "131.50"),
    ]
    # a second receipt is refused, so nothing is posted twice
    assert (await erp.error(receive, {"id": order["id"], "wh": catalog.warehouse}))["code"] == (
        "CONFLICT"
    )
    await entry_with_memo(erp, f"Goods receipt {order['orderNo']}")


async def test_shipment_posts_revenue_and_cost_of_goods(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=2, cost="7.25")
    await stock_up(erp, catalog, 10)
    customer = await erp.data(
        "mutation ($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
        {"i": {"name": "Acme", "phone": "138 0000 0000", "creditLimit": money("1000.00")}},
    )
    lines = [{"sku": catalog.skus[0], "quantity": 4}, {"sku": catalog.skus[1], "quantity": 2}]
    created = await erp.data(
        "mutation ($i: CreateSalesOrderInput!) { createSalesOrder(input: $i) { id orderNo } }",
        {"i": {"customerId": customer["createCustomer"]["id"], "lines": lines}},
    )
    order = created["createSalesOrder"]
    ship = "mutation ($id: ID!) { shipSalesOrder(id: $id) { status } }"
    assert (await erp.data(ship, {"id": order["id"]}))["shipSalesOrder"]["status"] == "SHIPPED"

    entry = await entry_with_memo(erp, f"Shipment {order['orderNo']}")
    # 6 units at the list price 25.00 sold, at the standard cost 7.25 out of stock
    assert entry["total"] == {"amount": "193.50", "currency": "CNY"}
    assert postings(entry) == [
        ("1122", "ASSET", "150.00", "0.00"),
        ("6001", "REVENUE", "0.00", "150.00"),
        ("6401", "EXPENSE", "43.50", "0.00"),
        ("1405", "ASSET", "0.00", "43.50"),
    ]
    assert (await erp.error(ship, {"id": order["id"]}))["code"] == "CONFLICT"
    await entry_with_memo(erp, f"Shipment {order['orderNo']}")
