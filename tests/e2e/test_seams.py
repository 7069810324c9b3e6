"""The seams between OA and ERP through the gateway, on PostgreSQL and SQLite (issue 16,
item 5): approvers see the request's budget position (a field the ERP contributes to OA's
``ApprovalRequest``), goods receipt posts its journal entry, a rejection reaches the
applicant's inbox, an approval the ERP cannot apply fails visibly and an administrator
retries it once the cause is fixed."""

from __future__ import annotations

import subprocess
import sys
import uuid
from decimal import Decimal
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import (
    FINANCE,
    PURCHASING,
    SUBMIT_PURCHASE,
    approve_fully,
    budget,
    item,
    messages,
    stale_item_in_oa_copy,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.sqlite_stack import run_sql
from tests.e2e.stack import Stack, eventually

POSITION = """
query ($id: ID!) {
  approvalRequest(id: $id) {
    budgetPosition {
      department { id } period budgetSet booked exceeded
      budget { amount } committed { amount } spent { amount } available { amount }
      requested { amount currency } availableAfter { amount }
    }
  }
}"""
ENTRIES = """
query ($period: String!) {
  journalEntries(period: $period, first: 50) {
    edges { node { memo lines { account { code } debit { amount } credit { amount } } } }
  }
}"""
REJECT = """
mutation ($id: ID!, $comment: String!) { reject(id: $id, comment: $comment) { status } }"""


def position(stack: Stack, who: str, request_id: str) -> dict[str, Any]:
    found = stack.client.data(who, POSITION, id=request_id)["approvalRequest"]["budgetPosition"]
    assert isinstance(found, dict)
    return found


def amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def test_approvers_see_the_budget_position_before_and_after_the_order(any_stack: Stack) -> None:
    client = any_stack.client
    applicant, manager = "emp-031", "emp-029"
    period = current_period()
    request_id = submit_purchase(
        client, applicant, "Spare boards", [item("SKU-0013", 2, "37.00", "sup-02")], period
    )
    before = budget(client, manager, "dept-06", period)
    assert before is not None

    seen = position(any_stack, manager, request_id)

    assert (seen["department"], seen["period"], seen["budgetSet"], seen["booked"]) == (
        {"id": "dept-06"}, period, True, False,
    )  # fmt: skip
    assert seen["requested"] == {"amount": "74.00", "currency": "CNY"}
    assert (amount(seen["budget"]), amount(seen["committed"]), amount(seen["spent"])) == (
        before["amount"], before["committed"], before["spent"],
    )  # fmt: skip
    available = before["amount"] - before["committed"] - before["spent"]
    assert amount(seen["available"]) == available
    assert amount(seen["availableAfter"]) == available - Decimal("74.00")
    assert seen["exceeded"] is (available < Decimal("74.00"))

    approve_fully(client, request_id, applicant)
    wait_for_orders(client, applicant, [request_id])
    booked = position(any_stack, manager, request_id)
    assert booked["booked"] is True
    assert amount(booked["committed"]) - before["committed"] == Decimal("74.00")
    assert amount(booked["availableAfter"]) == amount(booked["available"])  # counted once


def test_goods_receipt_posts_inventory_against_payables(any_stack: Stack) -> None:
    client = any_stack.client
    applicant = "emp-016"
    request_id = submit_purchase(
        client, applicant, "Toner", [item("SKU-0027", 3, "41.50", "sup-03")], current_period()
    )
    approve_fully(client, request_id, applicant)
    order = wait_for_orders(client, applicant, [request_id])[request_id]
    client.data(PURCHASING, "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { status } }",
                id=order["id"])  # fmt: skip
    client.data(
        PURCHASING,
        "mutation ($id: ID!) { receiveGoods(input: {purchaseOrderId: $id, warehouseId: "
        '"wh-bj"}) { status } }',
        id=order["id"],
    )

    edges = client.data(FINANCE, ENTRIES, period=current_period())["journalEntries"]["edges"]
    [entry] = [e["node"] for e in edges if e["node"]["memo"] == f"Goods receipt {order['orderNo']}"]
    assert [
        (line["account"]["code"], line["debit"]["amount"], line["credit"]["amount"])
        for line in entry["lines"]
    ] == [("1405", "124.50", "0.00"), ("2202", "0.00", "124.50")]


def test_a_rejection_reaches_the_applicant(any_stack: Stack) -> None:
    client = any_stack.client
    applicant, manager = "emp-031", "emp-029"
    request_id = submit_purchase(
        client, applicant, "Gold-plated cables", [item("SKU-0013", 1, "37.00", "sup-02")],
        current_period(),
    )  # fmt: skip
    assert client.data(manager, REJECT, id=request_id, comment="Not needed")["reject"] == {
        "status": "REJECTED"
    }

    def the_notice() -> dict[str, Any]:
        [found] = messages(client, applicant, search=request_id)
        return found

    notice = eventually(the_notice)
    assert notice["subject"] == "Request rejected: Gold-plated cables"
    assert notice["body"].endswith(": Not needed") and notice["system"] is True


STATUS = """
query ($id: ID!) {
  approvalRequest(id: $id) { status history { action actor { id } comment } }
}"""


def events_cli(stack: Stack, *args: str) -> tuple[int, str]:
    """``python -m subgraphs.erp events ...`` on the stack's ERP database."""
    done = subprocess.run(
        [sys.executable, "-m", "subgraphs.erp", "events", "--database-url", stack.erp_database,
         *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_an_approval_the_erp_cannot_apply_fails_visibly_and_is_retried(any_stack: Stack) -> None:
    client = any_stack.client
    applicant = "emp-031"
    sku = f"SKU-NEW-{uuid.uuid4().hex[:8].upper()}"
    stale_item_in_oa_copy(any_stack, sku)  # else OA refuses it at submission
    request_id = submit_purchase(
        client, applicant, "New sensor", [item(sku, 2, "15.00", "sup-02")], current_period()
    )
    approve_fully(client, request_id, applicant)

    def failed() -> dict[str, Any]:
        request = client.data(applicant, STATUS, id=request_id)["approvalRequest"]
        assert request["status"] == "FAILED", request
        return dict(request)

    request = eventually(failed)
    [failure] = [entry for entry in request["history"] if entry["action"] == "FAILED"]
    assert failure["actor"] is None and f"No item '{sku}'" in failure["comment"]
    for person in (applicant, PURCHASING):  # the applicant and the process owner
        [notice] = eventually(lambda person=person: messages(client, person, search=request_id))
        assert notice["subject"] == "Request failed: New sensor", notice

    status, listed = events_cli(any_stack, "parked")
    assert status == 0, listed
    [line] = [line for line in listed.splitlines() if request_id in line]
    event_id = line.split()[0]
    status, output = events_cli(any_stack, "retry", event_id)
    assert status == 1, output
    assert output.startswith(f"{event_id} failed again: NOT_FOUND: No item '{sku}'."), output

    client.data(
        PURCHASING,
        "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
        i={"sku": sku, "name": "Sensor", "category": "parts",
           "standardCost": {"amount": "12.00", "currency": "CNY"},
           "listPrice": {"amount": "20.00", "currency": "CNY"}},
    )  # fmt: skip
    status, output = events_cli(any_stack, "retry", event_id)
    assert (status, output.strip()) == (0, f"retried {event_id}: applied"), output

    order = wait_for_orders(client, applicant, [request_id])[request_id]
    assert order["total"] == {"amount": "30.00", "currency": "CNY"}
    eventually(lambda: client.data(applicant, STATUS, id=request_id)["approvalRequest"]["status"]
               == "APPROVED" or None)  # fmt: skip
    assert eventually(lambda: messages(client, applicant, search=order["orderNo"]))
    status, listed = events_cli(any_stack, "parked")
    assert status == 0 and event_id not in listed, listed
    assert events_cli(any_stack, "cancel", event_id)[0] == 1  # no longer open


def test_a_purchase_the_erp_cannot_carry_out_is_refused_at_submission(any_stack: Stack) -> None:
    """Unknown item, unknown supplier and an overrun, each named, all at once, nothing stored;
    an item the ERP adds is accepted once OA's copy has heard of it (issue 16, item 5)."""
    client = any_stack.client
    applicant, period, tag = "emp-031", current_period(), uuid.uuid4().hex[:8].upper()
    sku, title = f"SKU-LATER-{tag}", f"Refused {tag}"

    def refused() -> dict[str, Any]:
        now = budget(client, "emp-029", "dept-06", period)
        assert now is not None
        available = now["amount"] - now["committed"] - now["spent"]
        price = f"{max(available, Decimal(0)) + Decimal('100.00'):.2f}"
        body = client.post(applicant, SUBMIT_PURCHASE, input={
            "title": title, "budgetPeriod": period,
            "items": [item(sku, 1, price, f"sup-nope-{tag}"),
                      item("SKU-0013", 1, "1.00", "sup-02")],
        })  # fmt: skip
        errors = {e["extensions"]["field"]: e for e in body.get("errors") or []}
        assert set(errors) == {"input.items.0.sku", "input.items.0.supplierId",
                               "input.budgetPeriod"}, body  # fmt: skip
        assert {e["extensions"]["code"] for e in errors.values()} == {"BAD_USER_INPUT"}
        shown = errors["input.budgetPeriod"]["extensions"]["available"]
        assert shown == {"amount": f"{available:.2f}", "currency": "CNY"}, (shown, now)
        return body

    body = eventually(refused)  # OA's copy follows the ERP's events: it may lag at first
    assert (body.get("data") or {}).get("submitPurchaseRequest") is None
    assert run_sql(any_stack.oa_database, "SELECT id FROM oa_approval_requests WHERE title = $1",
                   title) == []  # fmt: skip

    client.data(
        PURCHASING,
        "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
        i={"sku": sku, "name": "Later", "category": "parts",
           "standardCost": {"amount": "1.00", "currency": "CNY"},
           "listPrice": {"amount": "2.00", "currency": "CNY"}},
    )  # fmt: skip

    def accepted() -> str:
        body = client.post(applicant, SUBMIT_PURCHASE, input={
            "title": f"Accepted {tag}", "budgetPeriod": period,
            "items": [item(sku, 1, "2.00", "sup-02")],
        })  # fmt: skip
        assert not body.get("errors"), body
        request_id: str = body["data"]["submitPurchaseRequest"]["id"]
        return request_id

    assert eventually(accepted)
