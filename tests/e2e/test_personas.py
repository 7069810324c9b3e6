"""A journey per persona through the gateway with the default policy (issue 9, 3(b)).

Each journey is one person of the demo company doing their own work, every step of which
must succeed with real data, and then trying other roles' work, every step of which must be
refused with ``FORBIDDEN`` by the policy and write nothing (``tests/e2e/foreign_work.py``).
The people are real demo people with their real roles and department
(``tests/e2e/personas.py``). Each journey creates its own records, so they run in any order.

The gateway under test is the one fixture :func:`gateway`; :data:`UNDER_TEST` switches it
between ``tandem dev`` (what ``make run`` starts) and ``tandem serve --policy policies``
over the end-to-end stack's OA and ERP.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import approve_fully, item, messages, submit_expense, submit_purchase
from tests.e2e.flows import order_of, wait_for_orders
from tests.e2e.foreign_work import AUDITOR, assert_refused, send
from tests.e2e.personas import PEOPLE, PolicyAdmin, client_for, start_dev, start_serve
from tests.e2e.stack import Gateway, Service, eventually

UNDER_TEST = "serve"
"""``dev``: ``tandem dev``; ``serve``: ``tandem serve --policy policies`` over the stack."""

WAREHOUSE_KEEPER = "emp-025"


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Service]:  # fmt: skip
    """The gateway the journeys go through, for the whole module."""
    if UNDER_TEST == "dev":
        with start_dev(tmp_path_factory.mktemp("personas")) as service:
            yield service
    else:
        with start_serve(request.getfixturevalue("stack")) as service:
            yield service


@pytest.fixture(scope="module")
def client(gateway: Service) -> Iterator[Gateway]:
    """GraphQL through :func:`gateway` as the personas."""
    session = client_for(gateway)
    yield session
    session.close()


@pytest.fixture(scope="module")
def admin(gateway: Service) -> Iterator[PolicyAdmin]:
    """The policy admin API of :func:`gateway` as the personas."""
    with httpx.Client(timeout=30.0) as http:
        yield PolicyAdmin(gateway.base_url, http)


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


def _on_hand(client: Gateway, sku: str, warehouse: str) -> int:
    """Units of ``sku`` in ``warehouse``, as the warehouse keeper sees them."""
    levels = client.data(WAREHOUSE_KEEPER, STOCK, sku=sku)["stock"]
    return sum(level["quantity"] for level in levels if level["warehouse"]["id"] == warehouse)


def _movements(client: Gateway, sku: str, warehouse: str) -> list[dict[str, Any]]:
    data = client.data(WAREHOUSE_KEEPER, MOVEMENTS, sku=sku, warehouse=warehouse)
    return [edge["node"] for edge in data["stockMovements"]["edges"]]


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


STOCK = "query ($sku: ID!) { stock(sku: $sku) { warehouse { id } quantity reserved available } }"
MOVEMENTS = """
query ($sku: ID!, $warehouse: ID!) {
  stockMovements(filter: { sku: $sku, warehouseId: $warehouse }, first: 100) {
    edges { node { quantity kind reference reason actor } }
  }
}"""


# -- an employee's purchase, from request to goods receipt ------------------------------------

INBOX = "{ approvalInbox(first: 100) { edges { node { id title } } } }"
ORDERS_OF = """
query ($applicant: ID!) {
  purchaseOrders(filter: { requestedBy: $applicant }, first: 100) {
    edges { node { id orderNo status approvalRequest { id } } }
  }
}"""
SEND = "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { orderNo status sentAt } }"
RECEIVE = """
mutation ($id: ID!, $warehouse: ID!) {
  receiveGoods(input: { purchaseOrderId: $id, warehouseId: $warehouse }) {
    orderNo status receivedInto { id }
  }
}"""


def test_an_employees_purchase_from_request_to_goods_receipt(client: Gateway) -> None:
    applicant, manager, finance, buyer = "emp-031", "emp-029", "emp-005", "emp-024"
    sku, warehouse, title = "SKU-0004", "wh-sh", f"Hydraulic hoses {uuid.uuid4().hex[:6]}"
    request_id = submit_purchase(
        client, applicant, title, [item(sku, 900, "12.00", "sup-01")], "203605"
    )  # 10 800.00 CNY: above the finance threshold
    inbox = client.data(manager, INBOX)["approvalInbox"]["edges"]
    assert {"id": request_id, "title": title} in [edge["node"] for edge in inbox]
    assert approve_fully(client, request_id, applicant) == [manager, finance]

    order = wait_for_orders(client, applicant, [request_id])[request_id]
    assert re.fullmatch(r"PO-\d{6}-\d{4}", order["orderNo"]), order
    assert order["status"] == "CREATED" and order["budgetPeriod"] == "2036-05"
    assert order["total"] == _money("10800.00")
    assert order["requestedBy"] == {"id": applicant}

    # the applicant may not send their own order, nor do finance's or procurement's work
    refused = send(client, applicant, SEND, id=order["id"])
    assert "FORBIDDEN" in _codes(refused), refused
    assert order_of(client, buyer, request_id) == order  # still CREATED, unsent
    for work in ("postJournalEntry", "setBudget", "createPurchaseOrder", "receiveGoods",
                 "createSalesOrder", "adjustStock"):  # fmt: skip
        assert_refused(client, applicant, work)

    before = _on_hand(client, sku, warehouse)
    sent = client.data(buyer, SEND, id=order["id"])["sendPurchaseOrder"]
    assert (sent["orderNo"], sent["status"]) == (order["orderNo"], "SENT") and sent["sentAt"]
    received = client.data(buyer, RECEIVE, id=order["id"], warehouse=warehouse)["receiveGoods"]
    assert received == {"orderNo": order["orderNo"], "status": "RECEIVED",
                        "receivedInto": {"id": warehouse}}  # fmt: skip
    assert _on_hand(client, sku, warehouse) == before + 900
    assert [m for m in _movements(client, sku, warehouse)
            if m["reference"] == order["orderNo"]] == [
        {"quantity": 900, "kind": "RECEIPT", "reference": order["orderNo"], "reason": None,
         "actor": buyer}
    ]  # fmt: skip

    def told() -> list[str]:
        subjects = [m["subject"] for m in messages(client, applicant, order["orderNo"])]
        assert f"Purchase order {order['orderNo']} created" in subjects, subjects
        assert f"Goods received for {order['orderNo']}" in subjects, subjects
        return subjects

    eventually(told)
    mine = client.data(buyer, ORDERS_OF, applicant=applicant)["purchaseOrders"]["edges"]
    linked = [e["node"] for e in mine if (e["node"]["approvalRequest"] or {}).get("id")
              == request_id]  # fmt: skip
    assert [o["orderNo"] for o in linked] == [order["orderNo"]]  # exactly one order
