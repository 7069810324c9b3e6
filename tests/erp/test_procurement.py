"""Procurement: suppliers, purchase orders (numbers, budget, status), goods receipt."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from subgraphs.erp.store import events as erp_events
from tandem_shared.db import transaction
from tests.crypto.opener import opened
from tests.erp.catalog import Catalog, make_catalog
from tests.erp.harness import ALICE, ErpClient
from tests.erp.util import ENTITIES, fresh, money

pytestmark = pytest.mark.anyio

ORDER_FIELDS = """
  id orderNo status total { amount currency } budgetExceeded budgetPeriod
  supplier { id } requestedBy { id } department { id } receivedInto { id }
  lines { lineNo item { sku } quantity unitPrice { amount } amount { amount } }
"""
CREATE = (
    "mutation ($i: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $i) { "
    + ORDER_FIELDS
    + " } }"
)
SEND = "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { status } }"
RECEIVE = """
mutation ($id: ID!, $wh: ID!) {
  receiveGoods(input: {purchaseOrderId: $id, warehouseId: $wh}) { status receivedInto { id } }
}
"""
BUDGET = """
query ($d: ID!) {
  _entities(representations: [{__typename: "Department", id: $d}]) {
    ... on Department { budget(period: "2031-05") { committed { amount } spent { amount } } }
  }
}
"""


def order_input(catalog: Catalog, department: str | None = None, **changes: Any) -> dict[str, Any]:
    lines = [{"sku": catalog.skus[0], "quantity": 3, "unitPrice": money("10.50")},
             {"sku": catalog.skus[1], "quantity": 1, "unitPrice": money("100.00")}]  # fmt: skip
    value: dict[str, Any] = {"supplierId": catalog.supplier, "lines": lines}
    if department is not None:
        value |= {"departmentId": department, "budgetPeriod": "2031-05"}
    return {"i": value | changes}


async def budget(erp: ErpClient, department: str) -> tuple[str, str]:
    found = (await erp.data(BUDGET, {"d": department}))["_entities"][0]["budget"]
    return found["committed"]["amount"], found["spent"]["amount"]


async def test_an_order_is_numbered_commits_the_budget_and_is_received(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    await erp.data(
        "mutation ($i: SetBudgetInput!) { setBudget(input: $i) { id } }",
        {"i": {"departmentId": department, "period": "2031-05", "amount": money("1000.00")}},
    )
    order = (await erp.data(CREATE, order_input(catalog, department)))["createPurchaseOrder"]
    assert order["orderNo"].startswith("PO-20") and len(order["orderNo"]) == len("PO-202611-0001")
    assert order["status"] == "CREATED"
    assert order["total"] == money("131.50")
    assert order["lines"][0]["amount"] == {"amount": "31.50"}
    assert (order["requestedBy"], order["department"]) == (
        {"id": ALICE.subject},
        {"id": department},
    )
    assert order["budgetExceeded"] is False
    assert await budget(erp, department) == ("131.50", "0.00")

    error = await erp.error(RECEIVE, {"id": order["id"], "wh": catalog.warehouse})
    assert (error["code"], error["status"]) == ("CONFLICT", "CREATED")
    assert (await erp.data(SEND, {"id": order["id"]}))["sendPurchaseOrder"]["status"] == "SENT"
    assert (await erp.error(SEND, {"id": order["id"]}))["code"] == "CONFLICT"
    received = await erp.data(RECEIVE, {"id": order["id"], "wh": catalog.warehouse})
    assert received["receiveGoods"] == {
        "status": "RECEIVED",
        "receivedInto": {"id": catalog.warehouse},
    }
    assert await budget(erp, department) == ("0.00", "131.50")
    stock = await erp.data(
        "query ($s: ID!) { stock(sku: $s) { quantity } }", {"s": catalog.skus[0]}
    )
    assert stock["stock"] == [{"quantity": 3}]
    again = await erp.error(RECEIVE, {"id": order["id"], "wh": catalog.warehouse})
    assert again["code"] == "CONFLICT"
    async with transaction(erp.sessions) as db:
        events = await erp_events.events_with_key(db, order["orderNo"])
    assert [(e.topic, e.payload["orderNo"], e.payload["applicantId"]) for e in events] == [
        ("erp.goods.received", order["orderNo"], ALICE.subject)
    ]


async def test_cancelling_releases_the_commitment(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    order = (await erp.data(CREATE, order_input(catalog, department)))["createPurchaseOrder"]
    assert order["budgetExceeded"] is True  # no budget was set: an amount of 0
    assert await budget(erp, department) == ("131.50", "0.00")
    cancel = "mutation ($id: ID!) { cancelPurchaseOrder(id: $id) { status } }"
    assert (await erp.data(cancel, {"id": order["id"]}))["cancelPurchaseOrder"][
        "status"
    ] == "CANCELLED"
    assert await budget(erp, department) == ("0.00", "0.00")
    assert (await erp.error(cancel, {"id": order["id"]}))["code"] == "CONFLICT"
    assert (await erp.error(SEND, {"id": "po-none"}))["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"lines": []}, "BAD_USER_INPUT", "input.lines"),
        ({"supplierId": "sup-none"}, "NOT_FOUND", "input.supplierId"),
        ({"lines": [{"sku": "NOPE", "quantity": 1, "unitPrice": money("1.00")}]},
         "NOT_FOUND", "input.lines.0.sku"),
        ({"lines": [{"sku": "S0", "quantity": 0, "unitPrice": money("1.00")}]},
         "BAD_USER_INPUT", "input.lines.0.quantity"),
        ({"lines": [{"sku": "S0", "quantity": 1, "unitPrice": money("0")}]},
         "BAD_USER_INPUT", "input.lines.0.unitPrice.amount"),
        ({"lines": [{"sku": "S0", "quantity": 1, "unitPrice": money("1.00", "EUR")},
                    {"sku": "S0", "quantity": 1, "unitPrice": money("1.00")}]},
         "BAD_USER_INPUT", "input.lines"),
        ({"departmentId": "dept-x"}, "BAD_USER_INPUT", "input.budgetPeriod"),
        ({"departmentId": "dept-x", "budgetPeriod": "May"}, "BAD_USER_INPUT", "input.budgetPeriod"),
    ],
)  # fmt: skip
async def test_order_input_is_validated(
    erp: ErpClient, change: dict[str, Any], code: str, field: str
) -> None:
    catalog = await make_catalog(erp)
    change = copy.deepcopy(change)
    for line in change.get("lines", []):
        line["sku"] = catalog.skus[0] if line["sku"] == "S0" else line["sku"]
    error = await erp.error(CREATE, order_input(catalog, **change))
    assert (error["code"], error["field"]) == (code, field)


async def test_orders_are_filtered_and_paginated_newest_first(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    created = [(await erp.data(CREATE, order_input(catalog)))["createPurchaseOrder"]["orderNo"]
               for _ in range(3)]  # fmt: skip
    query = """query ($s: ID!, $after: String) {
      purchaseOrders(filter: {supplierId: $s, status: CREATED}, first: 2, after: $after) {
        edges { node { orderNo } } pageInfo { hasNextPage endCursor } } }"""
    first = (await erp.data(query, {"s": catalog.supplier}))["purchaseOrders"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await erp.data(query, {"s": catalog.supplier, "after": first["pageInfo"]["endCursor"]})
    numbers = [e["node"]["orderNo"] for e in first["edges"] + rest["purchaseOrders"]["edges"]]
    assert numbers == created[::-1]
    assert rest["purchaseOrders"]["pageInfo"]["hasNextPage"] is False


async def test_suppliers_orders_and_oa_extensions_resolve_as_entities(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    applicant = fresh("emp")
    from tandem_shared.tokens import Principal

    someone = Principal(applicant, "Someone", ("employee",), None, None)
    order = (await erp.data(CREATE, order_input(catalog), principal=someone))["createPurchaseOrder"]
    found = await erp.data(
        ENTITIES % """
          ... on Supplier { id name bankAccount rating }
          ... on PurchaseOrder { id orderNo }
          ... on Employee { id purchaseOrders { edges { node { orderNo } } } }
          ... on ApprovalRequest { id purchaseOrder { id } }
        """,
        {"representations": [
            {"__typename": "Supplier", "id": catalog.supplier},
            {"__typename": "PurchaseOrder", "id": order["id"]},
            {"__typename": "Employee", "id": applicant},
            {"__typename": "ApprovalRequest", "id": fresh("req")},
            {"__typename": "PurchaseOrder", "id": "po-none"},
        ]},
    )  # fmt: skip
    supplier, purchase_order, employee, request, missing = found["_entities"]
    account = opened(supplier["bankAccount"], "Supplier", catalog.supplier, "bankAccount")
    assert (supplier["id"], account, supplier["rating"]) == (catalog.supplier, "6222 0001", 4)
    assert purchase_order == {"__typename": "PurchaseOrder", "id": order["id"],
                              "orderNo": order["orderNo"]}  # fmt: skip
    assert employee["purchaseOrders"]["edges"] == [{"node": {"orderNo": order["orderNo"]}}]
    assert request["purchaseOrder"] is None
    assert missing is None


async def test_supplier_rating_is_validated(erp: ErpClient) -> None:
    error = await erp.error(
        'mutation { createSupplier(input: {name: "x", contact: "y", rating: 6}) { id } }'
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.rating")
