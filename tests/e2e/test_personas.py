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
from tests.e2e.flows import (
    approve_fully,
    item,
    messages,
    order_of,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.foreign_work import assert_refused, send
from tests.e2e.personas import PolicyAdmin, client_for, start_dev, start_serve
from tests.e2e.stack import Gateway, Service, eventually

UNDER_TEST = "dev"
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


# -- a sales rep's order, from customer to shipment -----------------------------------------

CREATE_CUSTOMER = """
mutation ($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id customerNo name creditLimit { amount currency } }
}"""
CREATE_SALES_ORDER = """
mutation ($input: CreateSalesOrderInput!) {
  createSalesOrder(input: $input) {
    id orderNo status total { amount currency }
    customer { id } lines { item { sku } warehouse { id } quantity unitPrice { amount } }
  }
}"""
SHIP = "mutation ($id: ID!) { shipSalesOrder(id: $id) { id orderNo status shippedAt } }"
CUSTOMER = """
query ($id: ID!) {
  customer(id: $id) {
    openBalance { amount } availableCredit { amount }
    salesOrders { edges { node { id status } } }
  }
  item(sku: "SKU-0037") { available }
}"""
SALES = """
query ($period: String!) {
  salesSummary(period: $period, groupBy: CUSTOMER) {
    period rows { key label quantity amount { amount } orderCount }
  }
  salesForecast(sku: "SKU-0035", periods: 2, history: 6) {
    sku history { period quantity } forecast { period quantity }
  }
}"""


def test_a_sales_reps_order_from_customer_to_shipment(client: Gateway) -> None:
    rep, sku, warehouse = "emp-040", "SKU-0037", "wh-sh"
    name = f"Personas Retail {uuid.uuid4().hex[:6]}"
    customer = client.data(
        rep, CREATE_CUSTOMER,
        input={"name": name, "phone": "021-5550-0199", "creditLimit": _money("5000.00")},
    )["createCustomer"]  # fmt: skip
    assert re.fullmatch(r"CUS-.+", customer["customerNo"]), customer
    assert (customer["name"], customer["creditLimit"]) == (name, _money("5000.00"))

    # the credit check and the stock check refuse, and nothing is created
    def order(quantity: int, price: str) -> dict[str, Any]:
        line = {"sku": sku, "quantity": quantity, "unitPrice": _money(price)}
        return {"customerId": customer["id"], "lines": [line], "warehouseId": warehouse}

    over_credit = send(client, rep, CREATE_SALES_ORDER, input=order(60, "100.00"))
    assert _codes(over_credit) == ["CONFLICT"], over_credit
    short = send(client, rep, CREATE_SALES_ORDER, input=order(100000, "0.01"))
    assert _codes(short) == ["CONFLICT"], short
    before = client.data(rep, CUSTOMER, id=customer["id"])
    assert before["customer"]["salesOrders"]["edges"] == []
    on_hand = _on_hand(client, sku, warehouse)

    created = client.data(rep, CREATE_SALES_ORDER, input=order(3, "100.00"))["createSalesOrder"]
    assert re.fullmatch(r"SO-.+", created["orderNo"]), created
    assert (created["status"], created["total"]) == ("CONFIRMED", _money("300.00"))
    assert created["lines"] == [{"item": {"sku": sku}, "warehouse": {"id": warehouse},
                                 "quantity": 3, "unitPrice": {"amount": "100.00"}}]  # fmt: skip
    after = client.data(rep, CUSTOMER, id=customer["id"])
    assert after["item"]["available"] == before["item"]["available"] - 3  # reserved
    assert after["customer"]["availableCredit"] == {"amount": "4700.00"}

    shipped = client.data(rep, SHIP, id=created["id"])["shipSalesOrder"]
    assert (shipped["orderNo"], shipped["status"]) == (created["orderNo"], "SHIPPED")
    assert shipped["shippedAt"]
    assert _on_hand(client, sku, warehouse) == on_hand - 3  # the stock left
    assert [(m["quantity"], m["kind"]) for m in _movements(client, sku, warehouse)
            if m["reference"] == created["orderNo"]] == [(-3, "SHIPMENT")]  # fmt: skip

    sales = client.data(rep, SALES, period=current_period())
    rows = {row["key"]: row for row in sales["salesSummary"]["rows"]}
    assert rows[customer["id"]]["amount"] == {"amount": "300.00"}
    assert rows[customer["id"]]["quantity"] == 3 and rows[customer["id"]]["label"] == name
    forecast = sales["salesForecast"]
    assert len(forecast["history"]) == 6 and len(forecast["forecast"]) == 2
    assert all(re.fullmatch(r"\d{4}-\d{2}", p["period"]) for p in forecast["history"])
    assert any(Decimal(p["quantity"]) > 0 for p in forecast["history"])  # the demo's sales

    for work in ("postJournalEntry", "receiveGoods", "releaseWorkOrder", "setBudget",
                 "createPurchaseOrder", "adjustStock"):  # fmt: skip
        assert_refused(client, rep, work)


# -- production, from plan to inspection ------------------------------------------------------

SET_BOM = """
mutation ($input: SetBillOfMaterialsInput!) {
  setBillOfMaterials(input: $input) {
    product { sku } components { item { sku name } quantity } labourHours labourRate { amount }
  }
}"""
BOM = """
query ($sku: ID!) { billOfMaterials(sku: $sku) { components { item { sku } quantity } } }"""
PLAN = """
mutation ($input: CreateProductionPlanInput!) {
  createProductionPlan(input: $input) {
    id name period workOrders { id orderNo item { sku } quantity status }
  }
}"""
RELEASE = """
mutation ($id: ID!, $warehouse: ID!) {
  releaseWorkOrder(id: $id, warehouseId: $warehouse) { status warehouse { id } releasedAt }
}"""
PROGRESS = """
mutation ($id: ID!, $quantity: Int!) {
  reportProgress(workOrderId: $id, quantity: $quantity) { status completed progress }
}"""
INSPECT = """
mutation ($input: RecordInspectionInput!) {
  recordInspection(input: $input) { workOrderId inspected defects passed inspector }
}"""
COST = """
query ($id: ID!) {
  productionCost(workOrderId: $id) {
    lines { item { sku } quantity unitCost { amount } amount { amount } }
    materials { amount } labour { amount } total { amount } perUnit { amount }
  }
  workOrder(id: $id) { status inspections { passed } }
}"""


def test_production_from_plan_to_inspection(client: Gateway) -> None:
    planner, product, warehouse = "emp-030", "SKU-0040", "wh-sh"
    components = [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0013", "quantity": 1}]
    bom = client.data(planner, SET_BOM, input={
        "sku": product, "components": components, "labourHours": "1.5",
        "labourRate": _money("40.00"),
    })["setBillOfMaterials"]  # fmt: skip
    assert bom["product"] == {"sku": product} and bom["labourRate"] == {"amount": "40.00"}
    assert [(c["item"]["sku"], c["quantity"]) for c in bom["components"]] == [
        ("SKU-0001", 2), ("SKU-0013", 1)
    ] and all(c["item"]["name"] for c in bom["components"])  # fmt: skip
    read = client.data(planner, BOM, sku=product)["billOfMaterials"]
    assert read["components"] == [{"item": {"sku": c["sku"]}, "quantity": c["quantity"]}
                                  for c in components]  # fmt: skip

    name = f"Personas plan {uuid.uuid4().hex[:6]}"
    plan = client.data(planner, PLAN, input={
        "name": name, "period": "2036-06", "lines": [{"sku": product, "quantity": 4}],
    })["createProductionPlan"]  # fmt: skip
    assert (plan["name"], plan["period"]) == (name, "2036-06")
    [work_order] = plan["workOrders"]
    assert (work_order["item"], work_order["quantity"], work_order["status"]) == (
        {"sku": product}, 4, "PLANNED")  # fmt: skip

    stock = {sku: _on_hand(client, sku, warehouse) for sku in ("SKU-0001", "SKU-0013", product)}
    released = client.data(planner, RELEASE, id=work_order["id"], warehouse=warehouse)
    assert released["releaseWorkOrder"]["status"] == "RELEASED"
    assert released["releaseWorkOrder"]["warehouse"] == {"id": warehouse}
    assert _on_hand(client, "SKU-0001", warehouse) == stock["SKU-0001"] - 8  # components left
    assert _on_hand(client, "SKU-0013", warehouse) == stock["SKU-0013"] - 4

    half = client.data(planner, PROGRESS, id=work_order["id"], quantity=2)["reportProgress"]
    assert half == {"status": "IN_PROGRESS", "completed": 2, "progress": 50}
    done = client.data(planner, PROGRESS, id=work_order["id"], quantity=2)["reportProgress"]
    assert done == {"status": "COMPLETED", "completed": 4, "progress": 100}
    assert _on_hand(client, product, warehouse) == stock[product] + 4  # made, into stock

    inspection = client.data(planner, INSPECT, input={
        "workOrderId": work_order["id"], "inspected": 4, "defects": 0,
    })["recordInspection"]  # fmt: skip
    assert inspection == {"workOrderId": work_order["id"], "inspected": 4, "defects": 0,
                          "passed": True, "inspector": planner}  # fmt: skip

    cost = client.data(planner, COST, id=work_order["id"])
    assert cost["workOrder"] == {"status": "COMPLETED", "inspections": [{"passed": True}]}
    figures = cost["productionCost"]
    assert [(line["item"]["sku"], line["quantity"]) for line in figures["lines"]] == [
        ("SKU-0001", 8), ("SKU-0013", 4)
    ]  # fmt: skip
    materials = sum(Decimal(line["amount"]["amount"]) for line in figures["lines"])
    assert Decimal(figures["materials"]["amount"]) == materials > 0
    assert Decimal(figures["labour"]["amount"]) == Decimal("240.00")  # 1.5 h x 4 x 40.00
    assert Decimal(figures["total"]["amount"]) == materials + Decimal("240.00")
    assert Decimal(figures["perUnit"]["amount"]) == (materials + Decimal("240.00")) / 4

    for work in ("createSalesOrder", "postJournalEntry", "adjustStock", "createCustomer",
                 "sendPurchaseOrder", "setBudget"):  # fmt: skip
        assert_refused(client, planner, work)
