"""A journey per persona through the gateway with the default policy (issue 9, 3(b)).

Each journey is one person of the demo company doing their own work, every step of which
must succeed with real data, and then trying other roles' work, every step of which must be
refused with ``FORBIDDEN`` by the policy and write nothing (``tests/e2e/foreign_work.py``).
The people are real demo people with their real roles and department
(``tests/e2e/personas.py``). Each journey creates its own records, so they run in any order.

The gateway under test is the one fixture :func:`gateway`; :data:`UNDER_TEST` switches it
between ``tandem dev`` (what ``make run`` starts) and ``tandem serve --policy policies``
over the end-to-end stack's OA and ERP. Both keep the run-time policy in a database (``tandem
dev``: a scratch SQLite file by its development profile; ``serve``: one given here), so the
security team's journey goes through the policy admin API at ``/admin/graphql``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from subgraphs.erp.store.base import current_period
from tests.e2e import persona_queries as q
from tests.e2e.flows import (
    approve_fully,
    item,
    messages,
    order_of,
    submit_expense,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.foreign_work import AUDITOR, assert_refused, assert_withheld, send
from tests.e2e.personas import PEOPLE, PolicyAdmin, client_for, start_dev, start_serve
from tests.e2e.stack import Gateway, Service, eventually

UNDER_TEST = os.environ.get("TANDEM_TEST_PERSONAS_GATEWAY", "dev")
"""``dev``: ``tandem dev`` (the default: what ``make run`` starts); ``serve``: ``tandem serve
--policy policies`` over the end-to-end stack's OA and ERP on PostgreSQL and Redis."""

WAREHOUSE_KEEPER = "emp-025"
COLLEAGUES_SALARY = '{ employee(id: "emp-032") { name salary { amount } } }'
TRIAL_BALANCE_TOTAL = '{ trialBalance(period: "2036-01") { totalDebit { amount } } }'


@pytest.fixture(scope="module")
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Service]:  # fmt: skip
    """The gateway the journeys go through, for the whole module."""
    if UNDER_TEST not in ("dev", "serve"):
        pytest.fail(f"TANDEM_TEST_PERSONAS_GATEWAY is dev or serve, not {UNDER_TEST!r}")
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
    levels = client.data(WAREHOUSE_KEEPER, q.STOCK, sku=sku)["stock"]
    return sum(level["quantity"] for level in levels if level["warehouse"]["id"] == warehouse)


def _movements(client: Gateway, sku: str, warehouse: str) -> list[dict[str, Any]]:
    data = client.data(WAREHOUSE_KEEPER, q.MOVEMENTS, sku=sku, warehouse=warehouse)
    return [edge["node"] for edge in data["stockMovements"]["edges"]]


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


# -- an employee's purchase, from request to goods receipt ------------------------------------


def test_an_employees_purchase_from_request_to_goods_receipt(client: Gateway) -> None:
    applicant, manager, finance, buyer = "emp-031", "emp-029", "emp-005", "emp-024"
    sku, warehouse, title = "SKU-0004", "wh-sh", f"Hydraulic hoses {uuid.uuid4().hex[:6]}"
    request_id = submit_purchase(
        client, applicant, title, [item(sku, 900, "12.00", "sup-01")], "2036-05"
    )  # 10 800.00 CNY: above the finance threshold
    inbox = client.data(manager, q.INBOX)["approvalInbox"]["edges"]
    assert {"id": request_id, "title": title} in [edge["node"] for edge in inbox]
    assert approve_fully(client, request_id, applicant) == [manager, finance]

    order = wait_for_orders(client, applicant, [request_id])[request_id]
    assert re.fullmatch(r"PO-\d{6}-\d{4}", order["orderNo"]), order
    assert order["status"] == "CREATED" and order["budgetPeriod"] == "2036-05"
    assert order["total"] == _money("10800.00")
    assert order["requestedBy"] == {"id": applicant}

    # the applicant may not send their own order, nor do finance's or procurement's work
    refused = send(client, applicant, q.SEND, id=order["id"])
    assert "FORBIDDEN" in _codes(refused), refused
    assert order_of(client, buyer, request_id) == order  # still CREATED, unsent
    for work in ("postJournalEntry", "setBudget", "createPurchaseOrder", "receiveGoods",
                 "createSalesOrder", "adjustStock"):  # fmt: skip
        assert_refused(client, applicant, work)
    assert_withheld(client, applicant, COLLEAGUES_SALARY, "Employee.salary")
    assert_withheld(client, applicant, TRIAL_BALANCE_TOTAL, "TrialBalance.totalDebit")

    before = _on_hand(client, sku, warehouse)
    sent = client.data(buyer, q.SEND, id=order["id"])["sendPurchaseOrder"]
    assert (sent["orderNo"], sent["status"]) == (order["orderNo"], "SENT") and sent["sentAt"]
    received = client.data(buyer, q.RECEIVE, id=order["id"], warehouse=warehouse)["receiveGoods"]
    assert received == {"orderNo": order["orderNo"], "status": "RECEIVED",
                        "receivedInto": {"id": warehouse}}  # fmt: skip
    assert _on_hand(client, sku, warehouse) == before + 900
    assert [m for m in _movements(client, sku, warehouse)
            if m["reference"] == order["orderNo"]] == [
        {"quantity": 900, "kind": "RECEIPT", "reference": order["orderNo"], "reason": None,
         "actor": {"id": buyer}}
    ]  # fmt: skip

    def told() -> list[str]:
        subjects = [m["subject"] for m in messages(client, applicant, order["orderNo"])]
        assert f"Purchase order {order['orderNo']} created" in subjects, subjects
        assert f"Goods received for {order['orderNo']}" in subjects, subjects
        return subjects

    eventually(told)
    mine = client.data(buyer, q.ORDERS_OF, applicant=applicant)["purchaseOrders"]["edges"]
    linked = [e["node"] for e in mine if (e["node"]["approvalRequest"] or {}).get("id")
              == request_id]  # fmt: skip
    assert [o["orderNo"] for o in linked] == [order["orderNo"]]  # exactly one order


# -- a sales rep's order, from customer to shipment -----------------------------------------


def test_a_sales_reps_order_from_customer_to_shipment(client: Gateway) -> None:
    rep, sku, warehouse = "emp-040", "SKU-0037", "wh-sh"
    name = f"Personas Retail {uuid.uuid4().hex[:6]}"
    customer = client.data(
        rep, q.CREATE_CUSTOMER,
        input={"name": name, "phone": "021-5550-0199", "creditLimit": _money("5000.00")},
    )["createCustomer"]  # fmt: skip
    assert re.fullmatch(r"CUS-.+", customer["customerNo"]), customer
    assert (customer["name"], customer["creditLimit"]) == (name, _money("5000.00"))

    # the credit check and the stock check refuse, and nothing is created
    def order(quantity: int, price: str) -> dict[str, Any]:
        line = {"sku": sku, "quantity": quantity, "unitPrice": _money(price)}
        return {"customerId": customer["id"], "lines": [line], "warehouseId": warehouse}

    over_credit = send(client, rep, q.CREATE_SALES_ORDER, input=order(60, "100.00"))
    assert _codes(over_credit) == ["CONFLICT"], over_credit
    short = send(client, rep, q.CREATE_SALES_ORDER, input=order(100000, "0.01"))
    assert _codes(short) == ["CONFLICT"], short
    before = client.data(rep, q.CUSTOMER, id=customer["id"])
    assert before["customer"]["salesOrders"]["edges"] == []
    on_hand = _on_hand(client, sku, warehouse)

    created = client.data(rep, q.CREATE_SALES_ORDER, input=order(3, "100.00"))["createSalesOrder"]
    assert re.fullmatch(r"SO-.+", created["orderNo"]), created
    assert (created["status"], created["total"]) == ("CONFIRMED", _money("300.00"))
    assert created["lines"] == [{"item": {"sku": sku}, "warehouse": {"id": warehouse},
                                 "quantity": 3, "unitPrice": {"amount": "100.00"}}]  # fmt: skip
    after = client.data(rep, q.CUSTOMER, id=customer["id"])
    assert after["item"]["available"] == before["item"]["available"] - 3  # reserved
    assert after["customer"]["availableCredit"] == {"amount": "4700.00"}

    shipped = client.data(rep, q.SHIP, id=created["id"])["shipSalesOrder"]
    assert (shipped["orderNo"], shipped["status"]) == (created["orderNo"], "SHIPPED")
    assert shipped["shippedAt"]
    assert _on_hand(client, sku, warehouse) == on_hand - 3  # the stock left
    assert [(m["quantity"], m["kind"]) for m in _movements(client, sku, warehouse)
            if m["reference"] == created["orderNo"]] == [(-3, "SHIPMENT")]  # fmt: skip

    sales = client.data(rep, q.SALES, period=current_period())
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
    assert_withheld(client, rep, COLLEAGUES_SALARY, "Employee.salary")


# -- production, from plan to inspection ------------------------------------------------------


def test_production_from_plan_to_inspection(client: Gateway) -> None:
    planner, product, warehouse = "emp-030", "SKU-0040", "wh-sh"
    components = [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0013", "quantity": 1}]
    bom = client.data(planner, q.SET_BOM, input={
        "sku": product, "components": components, "labourHours": "1.5",
        "labourRate": _money("40.00"),
    })["setBillOfMaterials"]  # fmt: skip
    assert bom["product"] == {"sku": product} and bom["labourRate"] == {"amount": "40.00"}
    assert [(c["item"]["sku"], c["quantity"]) for c in bom["components"]] == [
        ("SKU-0001", 2), ("SKU-0013", 1)
    ] and all(c["item"]["name"] for c in bom["components"])  # fmt: skip
    read = client.data(planner, q.BOM, sku=product)["billOfMaterials"]
    assert read["components"] == [{"item": {"sku": c["sku"]}, "quantity": c["quantity"]}
                                  for c in components]  # fmt: skip

    name = f"Personas plan {uuid.uuid4().hex[:6]}"
    plan = client.data(planner, q.PLAN, input={
        "name": name, "period": "2036-06", "lines": [{"sku": product, "quantity": 4}],
    })["createProductionPlan"]  # fmt: skip
    assert (plan["name"], plan["period"]) == (name, "2036-06")
    [work_order] = plan["workOrders"]
    assert (work_order["item"], work_order["quantity"], work_order["status"]) == (
        {"sku": product}, 4, "PLANNED")  # fmt: skip

    stock = {sku: _on_hand(client, sku, warehouse) for sku in ("SKU-0001", "SKU-0013", product)}
    released = client.data(planner, q.RELEASE, id=work_order["id"], warehouse=warehouse)
    assert released["releaseWorkOrder"]["status"] == "RELEASED"
    assert released["releaseWorkOrder"]["warehouse"] == {"id": warehouse}
    assert _on_hand(client, "SKU-0001", warehouse) == stock["SKU-0001"] - 8  # components left
    assert _on_hand(client, "SKU-0013", warehouse) == stock["SKU-0013"] - 4

    half = client.data(planner, q.PROGRESS, id=work_order["id"], quantity=2)["reportProgress"]
    assert half == {"status": "IN_PROGRESS", "completed": 2, "progress": 50}
    done = client.data(planner, q.PROGRESS, id=work_order["id"], quantity=2)["reportProgress"]
    assert done == {"status": "COMPLETED", "completed": 4, "progress": 100}
    assert _on_hand(client, product, warehouse) == stock[product] + 4  # made, into stock

    inspection = client.data(planner, q.INSPECT, input={
        "workOrderId": work_order["id"], "inspected": 4, "defects": 0,
    })["recordInspection"]  # fmt: skip
    assert inspection == {"workOrderId": work_order["id"], "inspected": 4, "defects": 0,
                          "passed": True, "inspector": {"id": planner}}  # fmt: skip

    cost = client.data(planner, q.COST, id=work_order["id"])
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
    assert_withheld(client, planner, TRIAL_BALANCE_TOTAL, "TrialBalance.totalDebit")
    assert_withheld(client, planner, '{ customer(id: "cus-01") { name } }', "Customer.name")


# -- finance's month: journal, budgets, assets, trial balance ----------------------------------


def test_finances_month_journal_budgets_assets_trial_balance(client: Gateway) -> None:
    accountant, period, memo = "emp-006", "2036-07", f"Office rent {uuid.uuid4().hex[:6]}"
    accounts = client.data(accountant, "{ accounts(first: 100) { edges { node { code } } } }")
    assert {"1002", "6602"} <= {e["node"]["code"] for e in accounts["accounts"]["edges"]}

    def entry(debit: str, credit: str) -> dict[str, Any]:
        return {"entryDate": "2036-07-10", "memo": memo, "lines": [
            {"accountCode": "6602", "debit": _money(debit)},
            {"accountCode": "1002", "credit": _money(credit)},
        ]}  # fmt: skip

    unbalanced = send(client, accountant, q.POST, input=entry("1200.00", "1100.00"))
    assert _codes(unbalanced) == ["BAD_USER_INPUT"], unbalanced
    posted = client.data(accountant, q.POST, input=entry("1200.00", "1200.00"))["postJournalEntry"]
    assert (posted["period"], posted["memo"]) == (period, memo)
    # an Employee reference: its name comes from OA through the gateway
    assert posted["postedBy"] == {"id": accountant, "name": client.people(accountant).name}
    assert posted["total"] == _money("1200.00")
    assert [(line["account"]["code"], line["debit"]["amount"], line["credit"]["amount"])
            for line in posted["lines"]] == [("6602", "1200.00", "0.00"),
                                             ("1002", "0.00", "1200.00")]  # fmt: skip
    entries = client.data(accountant, q.ENTRIES, period=period)["journalEntries"]["edges"]
    assert [e["node"] for e in entries if e["node"]["memo"] == memo] == [
        {"entryNo": posted["entryNo"], "memo": memo}
    ]  # the unbalanced one wrote nothing

    trial = client.data(accountant, q.TRIAL, period=period)["trialBalance"]
    assert trial["balanced"] and trial["totalDebit"] == trial["totalCredit"]
    lines = {line["account"]["code"]: line for line in trial["lines"]}
    assert lines["6602"]["periodDebit"] == {"amount": "1200.00"}
    assert lines["1002"]["periodCredit"] == {"amount": "1200.00"}

    budget = client.data(accountant, q.SET_BUDGET, input={
        "departmentId": "dept-06", "period": period, "amount": _money("88000.00"),
    })["setBudget"]  # fmt: skip
    assert budget == {"departmentId": "dept-06", "period": period,
                      "amount": _money("88000.00")}  # fmt: skip
    budgets = client.data(accountant, q.BUDGETS, period=period)
    assert {"departmentId": "dept-06", "amount": {"amount": "88000.00"}} in [
        e["node"] for e in budgets["budgets"]["edges"]]  # fmt: skip
    assert budgets["department"]["budget"] == {"amount": {"amount": "88000.00"}}

    name = f"Lathe {uuid.uuid4().hex[:6]}"
    asset = client.data(accountant, q.ASSET, input={
        "name": name, "category": "machinery", "cost": _money("120000.00"),
        "salvageValue": _money("12000.00"), "acquisitionDate": "2035-12-01",
        "usefulLifeMonths": 36, "departmentId": "dept-06",
    })["registerAsset"]  # fmt: skip
    assert (asset["name"], asset["cost"]) == (name, {"amount": "120000.00"})
    schedule = asset["depreciationSchedule"]
    assert len(schedule) == 36 and schedule[0]["amount"] == {"amount": "3000.00"}  # 108000/36
    assert Decimal(asset["bookValue"]["amount"]) < Decimal("120000.00")
    assert {"id": asset["id"], "name": name} in [
        e["node"] for e in client.data(accountant, q.ASSETS)["assets"]["edges"]]  # fmt: skip

    salary = client.data(accountant, q.SALARY)["employee"]["salary"]  # payroll: in plain
    assert salary["currency"] == "CNY" and Decimal(salary["amount"]) > 0

    for work in ("createSalesOrder", "releaseWorkOrder", "receiveGoods", "adjustStock",
                 "createProductionPlan", "updateEmployeeIdentity"):  # fmt: skip
        assert_refused(client, accountant, work)


# -- HR's people upkeep ------------------------------------------------------------------------


def test_hrs_people_upkeep(client: Gateway) -> None:
    hr, subject, colleague = "emp-020", "emp-049", "emp-021"
    for persona in PEOPLE.values():  # the personas are the seed's people, roles and all
        found = client.data(hr, q.PERSON, id=persona.id)["employee"]
        assert (found["name"], found["department"]["id"]) == (persona.name, persona.department)
        assert sorted(found["roles"]) == sorted(persona.roles), persona

    record = client.data(hr, q.PERSON, id=subject)["employee"]
    assert re.fullmatch(r"\d{17}[\dX]", record["idCardNumber"]), "HR reads it in plain"
    phone = f"+86 139 0049 {uuid.uuid4().int % 10000:04d}"
    updated = client.data(hr, q.IDENTITY, id=subject, phone=phone)["updateEmployeeIdentity"]
    assert updated == {"id": subject, "phone": phone}
    assert client.data(hr, q.PERSON, id=subject)["employee"]["phone"] == phone

    kind = f"TRAINING_{uuid.uuid4().hex[:4].upper()}"
    steps = [{"rule": "DEPARTMENT_MANAGER"}, {"rule": "ROLE", "role": "hr"}]
    flow = client.data(hr, q.FLOW, input={"kind": kind, "name": "Training request", "steps": steps})
    flow = flow["defineApprovalFlow"]
    assert (flow["kind"], flow["version"], flow["active"]) == (kind, 1, True)
    assert [(s["rule"], s["role"]) for s in flow["steps"]] == [
        ("DEPARTMENT_MANAGER", None), ("ROLE", "hr")]  # fmt: skip
    read = client.data(colleague, "query ($k: String!) { approvalFlow(kind: $k) { name } }",
                       k=kind)  # fmt: skip
    assert read["approvalFlow"] == {"name": "Training request"}

    room = f"Personas {uuid.uuid4().hex[:6]}"
    created = client.data(hr, q.ROOM, input={"name": room, "capacity": 6})["createMeetingRoom"]
    assert (created["name"], created["capacity"]) == (room, 6)
    rooms = client.data(colleague, "{ meetingRooms { id name } }")["meetingRooms"]
    assert {"id": created["id"], "name": room} in rooms

    title = f"Welcome day {uuid.uuid4().hex[:6]}"
    news = client.data(hr, q.ANNOUNCE, input={"title": title, "body": "Friday, 10:00, Lushan.",
                                            "audienceDepartmentIds": ["dept-04"]})  # fmt: skip
    assert news["publishAnnouncement"]["author"] == {"id": hr}
    seen = [e["node"]["title"] for e in client.data(colleague, q.NEWS)["announcements"]["edges"]]
    assert title in seen

    for work in ("postJournalEntry", "receiveGoods", "createSalesOrder", "setBudget",
                 "releaseWorkOrder", "registerAsset"):  # fmt: skip
        assert_refused(client, hr, work)
    assert_withheld(client, hr, TRIAL_BALANCE_TOTAL, "TrialBalance.totalDebit")


# -- the manager's approvals and department budget ----------------------------------------------


def test_the_managers_approvals_and_department_budget(client: Gateway) -> None:
    manager, assistant = "emp-001", "emp-002"
    title = f"Taxi to the airport {uuid.uuid4().hex[:6]}"
    request_id = submit_expense(client, assistant, title, "320.00", "2036-08")
    inbox = client.data(manager, q.INBOX)["approvalInbox"]["edges"]
    assert {"id": request_id, "title": title} in [edge["node"] for edge in inbox]
    assert approve_fully(client, request_id, assistant) == [manager]
    decided = client.data(assistant, q.DECISION, id=request_id)["approvalRequest"]
    assert decided["status"] == "APPROVED"
    assert [(s["number"], s["decision"], s["approver"]) for s in decided["steps"]] == [
        (1, "APPROVED", {"id": manager})]  # fmt: skip

    current = client.data(manager, q.DEPARTMENT_BUDGET, period=current_period())
    assert Decimal(current["department"]["budget"]["amount"]["amount"]) == Decimal("60000.00")

    def spent() -> bool:  # the approved claim is booked against the budget, in the ERP
        budget = client.data(manager, q.DEPARTMENT_BUDGET, period="2036-08")["department"]
        assert budget["budget"] is not None, "not booked yet"
        assert budget["budget"]["spent"] == {"amount": "320.00"}, budget
        return True

    assert eventually(spent)
    for work in ("setBudget", "postJournalEntry", "createPurchaseOrder", "registerAsset",
                 "sendPurchaseOrder"):  # fmt: skip
        assert_refused(client, manager, work)
    reports_salary = '{ employee(id: "emp-002") { name salary { amount } } }'
    assert_withheld(client, manager, reports_salary, "Employee.salary")


# -- the warehouse's stock work -----------------------------------------------------------------


def test_the_warehouses_stock_work(client: Gateway) -> None:
    keeper, sku, warehouse = WAREHOUSE_KEEPER, "SKU-0031", "wh-sh"
    warehouses = client.data(keeper, "{ warehouses { edges { node { code } } } }")["warehouses"]
    assert {"SH", "BJ", "SZ"} <= {w["node"]["code"] for w in warehouses["edges"]}
    before = _on_hand(client, sku, warehouse)
    reason = f"breakage found at count {uuid.uuid4().hex[:6]}"
    adjust = {"sku": sku, "warehouseId": warehouse, "quantity": -3, "reason": reason}
    level = client.data(keeper, q.ADJUST, input=adjust)["adjustStock"]
    assert level == {"item": {"sku": sku}, "warehouse": {"id": warehouse},
                     "quantity": before - 3}  # fmt: skip
    assert [m for m in _movements(client, sku, warehouse) if m["reason"] == reason] == [
        {"quantity": -3, "kind": "ADJUSTMENT", "reference": None, "reason": reason,
         "actor": {"id": keeper}}]  # fmt: skip

    too_many = send(client, keeper, q.ADJUST, input={**adjust, "quantity": -(before + 1000)})
    assert _codes(too_many) in (["BAD_USER_INPUT"], ["CONFLICT"]), too_many
    assert _on_hand(client, sku, warehouse) == before - 3  # stock never goes negative

    for work in ("createSalesOrder", "postJournalEntry", "setBudget", "releaseWorkOrder",
                 "registerAsset"):  # fmt: skip
        assert_refused(client, keeper, work)


# -- the security team's rule change, through the policy admin API ------------------------------

DENY_PRICES = {"subject": "integrator", "domain": "*", "object": "Item.listPrice",
               "action": "read", "effect": "deny"}  # fmt: skip
DENY_TEXT = "p, integrator, *, Item.listPrice, read, deny"


def _forbidden_at(body: dict[str, Any]) -> list[tuple[list[Any], str]]:
    return [(e["path"], e["extensions"].get("coordinate")) for e in body.get("errors") or []
            if e["extensions"]["code"] == "FORBIDDEN"]  # fmt: skip


def test_the_security_teams_rule_change(client: Gateway, admin: PolicyAdmin) -> None:
    assert admin.mounted(), f"{UNDER_TEST} serves no /admin/graphql"
    security, integrator, other, hr = "emp-014", "emp-015", "emp-031", "emp-020"
    assert DENY_TEXT not in str(admin.data(security, q.RULES, subject="integrator"))
    assert client.data(integrator, q.PRICE)["item"]["listPrice"]["amount"]
    version = admin.data(security, q.VERSION)["currentVersion"]

    # someone else's attempt is refused and changes nothing
    status, body = admin.post(hr, q.CHANGE % "addPolicyRule", rule=DENY_PRICES, version=version)
    assert (status, _codes(body)) == (403, ["FORBIDDEN"]), body
    assert admin.data(security, q.VERSION)["currentVersion"] == version

    added = admin.data(security, q.CHANGE % "addPolicyRule", rule=DENY_PRICES, version=version)
    change = added["addPolicyRule"]
    assert change["version"] == {"version": version + 1, "author": security, "action": "add"}
    assert change["added"] == [{"text": DENY_TEXT}]
    try:

        def denied() -> bool:
            body = send(client, integrator, q.PRICE)
            assert _forbidden_at(body) == [(["item", "listPrice"], "Item.listPrice")], body
            return True

        assert eventually(denied, timeout=10)
        assert client.data(other, q.PRICE)["item"]["listPrice"]["amount"]  # integrators only
    finally:
        removed = admin.data(security, q.CHANGE % "removePolicyRule", rule=DENY_PRICES,
                             version=version + 1)["removePolicyRule"]  # fmt: skip
    assert removed["removed"] == [{"text": DENY_TEXT}]
    assert eventually(lambda: client.data(integrator, q.PRICE)["item"]["listPrice"], timeout=10)

    audit = admin.data(security, q.AUDIT)["policyAudit"]["nodes"][:2]
    assert [(a["actor"], a["action"], a["version"], a["before"], a["after"]) for a in audit] == [
        (security, "remove", version + 2, [DENY_TEXT], []),
        (security, "add", version + 1, [], [DENY_TEXT]),
    ]  # fmt: skip

    for work in ("postJournalEntry", "setBudget", "createSalesOrder", "setSalary",
                 "updateEmployeeIdentity"):  # fmt: skip
        assert_refused(client, security, work)


# -- the auditor's reads ------------------------------------------------------------------------


def test_the_auditors_reads(client: Gateway, admin: PolicyAdmin) -> None:
    data = client.data(AUDITOR, q.EVERYTHING, period=current_period())  # not one field withheld
    for root in ("journalEntries", "budgets", "assets", "purchaseOrders", "salesOrders",
                 "stockMovements", "workOrders", "productionPlans"):  # fmt: skip
        assert data[root]["edges"], f"the demo data has {root}"
    assert data["trialBalance"]["balanced"] is True
    assert len(data["budgets"]["edges"]) == 8  # every department
    assert data["employee"]["name"] == "Hui Ma"
    assert data["employee"]["salary"]["amount"] and data["employee"]["idCardNumber"]
    assert data["supplier"]["bankAccount"] and data["customer"]["phone"]

    # the policy and its history, read-only
    rules = admin.data(AUDITOR, q.RULES, subject="auditor")
    assert "p, auditor, *, *, read, allow" in str(rules)
    assert admin.data(AUDITOR, q.AUDIT)["policyAudit"]["nodes"] is not None
    status, body = admin.post(AUDITOR, q.CHANGE % "addPolicyRule", rule=DENY_PRICES)
    assert (status, _codes(body)) == (403, ["FORBIDDEN"]), body
    assert DENY_TEXT not in str(admin.data(AUDITOR, q.RULES, subject="integrator"))

    for work in ("postJournalEntry", "setBudget", "createSalesOrder", "receiveGoods",
                 "setSalary", "adjustStock", "releaseWorkOrder", "defineApprovalFlow"):  # fmt: skip
        assert_refused(client, AUDITOR, work)


# -- the integrator's reads ---------------------------------------------------------------------


def test_the_integrators_reads(client: Gateway) -> None:
    integrator = "emp-015"
    data = client.data(integrator, q.CATALOGUE)
    assert [e["node"]["sku"] for e in data["items"]["edges"]] == [
        f"SKU-{n:04d}" for n in range(1, 6)]  # fmt: skip
    assert all(e["node"]["supplier"]["name"] for e in data["purchaseOrders"]["edges"])
    assert data["suppliers"]["edges"][0]["node"]["name"]

    body = send(client, integrator, '{ supplier(id: "sup-01") { name bankAccount } }')
    assert body["data"]["supplier"] == {"name": "Huadong Steel Co.", "bankAccount": None}
    assert _forbidden_at(body) == [(["supplier", "bankAccount"], "Supplier.bankAccount")]

    for work in ("createSalesOrder", "postJournalEntry", "sendPurchaseOrder", "adjustStock",
                 "createCustomer", "setBudget"):  # fmt: skip
        assert_refused(client, integrator, work)


def test_the_refusal_check_fails_on_work_the_caller_may_do(client: Gateway) -> None:
    """:func:`assert_refused` cannot pass by accident: finance's own posting is no refusal."""
    with pytest.raises(AssertionError, match="postJournalEntry"):
        assert_refused(client, "emp-006", "postJournalEntry")
