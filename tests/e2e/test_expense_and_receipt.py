"""The other two processes across the boundary, end to end through the gateway: an approved
expense claim posts one balanced journal entry in the ERP; goods received in the ERP move
stock and notify the applicant in OA."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import (
    PURCHASING,
    approve_fully,
    budget,
    item,
    messages,
    submit_expense,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.stack import Gateway, Stack, eventually, sql

ENTRIES = """
query ($period: String!, $after: String) {
  journalEntries(period: $period, first: 100, after: $after) {
    edges { node {
      entryNo sourceRequestId memo total { amount currency }
      lines { account { code } debit { amount } credit { amount } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
STOCK = """
query ($sku: ID!, $warehouse: ID!) {
  stock(sku: $sku) { warehouse { id } quantity }
  stockMovements(filter: { sku: $sku, warehouseId: $warehouse }, first: 100) {
    edges { node { quantity kind reference } }
  }
}"""
SEND = "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { status } }"
RECEIVE = """
mutation ($id: ID!, $warehouse: ID!) {
  receiveGoods(input: { purchaseOrderId: $id, warehouseId: $warehouse }) {
    orderNo status receivedInto { id }
  }
}"""


def entries_for(client: Gateway, who: str, request_id: str) -> list[dict[str, Any]]:
    """The journal entries of this month that book ``request_id``."""
    found, after = [], None
    while True:
        page = client.data(who, ENTRIES, period=current_period(), after=after)["journalEntries"]
        found += [e["node"] for e in page["edges"] if e["node"]["sourceRequestId"] == request_id]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_an_approved_expense_claim_posts_one_balanced_journal_entry(stack: Stack) -> None:
    client = stack.client
    applicant, accountant = "emp-040", "emp-006"
    request_id = submit_expense(client, applicant, "Client dinner", "860.00", "2031-03")
    assert approve_fully(client, request_id, applicant) == ["emp-039"]  # Sales' manager

    def posted() -> list[dict[str, Any]]:
        entries = entries_for(client, accountant, request_id)
        assert entries, "no journal entry yet"
        return entries

    [entry] = eventually(posted)
    debits = sum(Decimal(line["debit"]["amount"]) for line in entry["lines"])
    credits = sum(Decimal(line["credit"]["amount"]) for line in entry["lines"])
    assert debits == credits == Decimal("860.00")
    assert [line["account"]["code"] for line in entry["lines"]] == ["6602", "2241"]
    assert entry["total"] == {"amount": "860.00", "currency": "CNY"}
    spent = budget(client, applicant, "dept-07", "2031-03")
    assert spent is not None
    assert (spent["spent"], spent["committed"]) == (Decimal("860.00"), Decimal(0))

    def approval_confirmed() -> bool:
        rows = sql(
            stack.oa_database,
            "SELECT confirmed_at FROM oa_outbox WHERE topic = 'oa.approval.approved' AND key = $1",
            request_id,
        )
        assert len(rows) == 1 and rows[0]["confirmed_at"] is not None, rows
        return True

    assert eventually(approval_confirmed)
    assert eventually(stack.settled)  # every copy handled: a late one would have posted by now
    assert len(entries_for(client, accountant, request_id)) == 1
    rows = sql(
        stack.erp_database,
        "SELECT count(*) AS n FROM erp_journal_entries WHERE source_request_id = $1",
        request_id,
    )
    assert rows[0]["n"] == 1


def test_goods_received_move_stock_and_tell_the_applicant(stack: Stack) -> None:
    client = stack.client
    applicant, sku, warehouse = "emp-016", "SKU-0027", "wh-bj"
    request_id = submit_purchase(
        client, applicant, "Printer paper", [item(sku, 6, "25.00", "sup-03")], "2031-04"
    )
    approve_fully(client, request_id, applicant)
    order = wait_for_orders(client, applicant, [request_id])[request_id]
    committed = budget(client, applicant, "dept-03", "2031-04")
    assert committed is not None and committed["committed"] == Decimal("150.00")

    def on_hand() -> int:
        levels = client.data(PURCHASING, STOCK, sku=sku, warehouse=warehouse)["stock"]
        return sum(level["quantity"] for level in levels if level["warehouse"]["id"] == warehouse)

    before = on_hand()
    assert client.data(PURCHASING, SEND, id=order["id"])["sendPurchaseOrder"]["status"] == "SENT"
    received = client.data(PURCHASING, RECEIVE, id=order["id"], warehouse=warehouse)
    assert received["receiveGoods"] == {
        "orderNo": order["orderNo"],
        "status": "RECEIVED",
        "receivedInto": {"id": warehouse},
    }

    assert on_hand() == before + 6
    movements = client.data(PURCHASING, STOCK, sku=sku, warehouse=warehouse)["stockMovements"]
    receipts = [
        edge["node"] for edge in movements["edges"] if edge["node"]["reference"] == order["orderNo"]
    ]
    assert receipts == [{"quantity": 6, "kind": "RECEIPT", "reference": order["orderNo"]}]
    spent = budget(client, applicant, "dept-03", "2031-04")
    assert spent is not None
    assert (spent["committed"], spent["spent"]) == (Decimal(0), Decimal("150.00"))

    subject = f"Goods received for {order['orderNo']}"

    def notified() -> list[dict[str, Any]]:
        found = [m for m in messages(client, applicant) if m["subject"] == subject]
        assert found, f"no {subject!r} message yet"
        return found

    assert len(eventually(notified)) == 1

    def confirmed() -> bool:
        rows = sql(
            stack.erp_database,
            "SELECT confirmed_by FROM erp_outbox WHERE topic = 'erp.goods.received' AND key = $1",
            order["orderNo"],
        )
        assert len(rows) == 1 and json.loads(rows[0]["confirmed_by"]) == ["oa"], rows
        return True

    assert eventually(confirmed)
    assert eventually(stack.settled)  # every copy handled: a late one would have told by now
    assert len([m for m in messages(client, applicant) if m["subject"] == subject]) == 1
