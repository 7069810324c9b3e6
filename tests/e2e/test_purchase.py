"""The purchase process end to end, through the gateway: an employee submits a purchase
request, the department manager and then finance (above 10 000.00 CNY) approve it with their
own identities, the ERP creates exactly one purchase order linked to the request both ways
and commits the department's budget, and the applicant gets an OA message with the order
number. A request the ERP can never apply is parked, not retried forever."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from subgraphs.erp.store.base import current_period
from tests.e2e.flows import (
    APPROVE,
    FINANCE,
    REQUEST,
    approve_fully,
    budget,
    item,
    messages,
    order_of,
    orders_in_database,
    stale_item_in_oa_copy,
    submit_purchase,
    wait_for_orders,
)
from tests.e2e.stack import Stack, eventually, sql

ORDER_NO = re.compile(r"^PO-\d{6}-\d{4}$")
ORDER = """
query ($id: ID!, $orderNo: String!) {
  purchaseOrder(id: $id) { orderNo approvalRequest { id title status applicant { id } } }
  purchaseOrders(filter: { orderNo: $orderNo }) { edges { node { id } } }
}"""


def approval_events(stack: Stack, request_id: str) -> list[dict[str, object]]:
    rows = sql(
        stack.oa_database,
        "SELECT id, confirmed_at, confirmed_by FROM oa_outbox "
        "WHERE key = $1 AND topic = 'oa.approval.approved'",
        request_id,
    )
    return [
        {**row, "confirmed_by": json.loads(row["confirmed_by"]), "id": str(row["id"])}
        for row in rows
    ]


def test_a_purchase_request_becomes_one_linked_order_a_commitment_and_a_message(
    stack: Stack,
) -> None:
    client = stack.client
    applicant, manager = "emp-031", "emp-029"
    period = current_period()  # YYYY-MM, where the demo company has its budgets
    before = budget(client, applicant, "dept-06", period)
    assert before is not None

    items = [item("SKU-0013", 300, "37.00", "sup-02"), item("SKU-0014", 100, "35.00", "sup-02")]
    request_id = submit_purchase(client, applicant, "Controller boards", items, period)

    # the applicant may not decide their own request; the manager decides the first step
    refused = client.post(applicant, APPROVE, id=request_id, step=1)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    first = client.data(manager, APPROVE, id=request_id, step=1)["approve"]
    assert first["status"] == "PENDING"
    step = client.data(applicant, REQUEST, id=request_id)["approvalRequest"]["currentStep"]
    assert (step["number"], step["rule"], step["role"]) == (2, "ROLE", "finance")
    assert order_of(client, applicant, request_id) is None  # not approved yet: no order
    second = client.data(FINANCE, APPROVE, id=request_id, step=2)["approve"]
    assert second["status"] == "APPROVED"

    order = wait_for_orders(client, applicant, [request_id])[request_id]
    assert ORDER_NO.match(order["orderNo"]), order
    assert order["approvalRequest"]["id"] == request_id  # OA -> ERP -> OA
    assert order["approvalRequest"]["applicant"] == {"id": applicant}
    assert order["requestedBy"] == {"id": applicant}
    assert order["total"] == {"amount": "14600.00", "currency": "CNY"}
    assert (order["status"], order["budgetExceeded"], order["budgetPeriod"]) == (
        "CREATED",
        False,
        period,
    )
    reverse = client.data(FINANCE, ORDER, id=order["id"], orderNo=order["orderNo"])
    assert reverse["purchaseOrder"]["approvalRequest"]["id"] == request_id  # ERP -> OA
    assert reverse["purchaseOrder"]["approvalRequest"]["status"] == "APPROVED"
    assert len(reverse["purchaseOrders"]["edges"]) == 1

    after = budget(client, applicant, "dept-06", period)
    assert after is not None
    assert after["committed"] - before["committed"] == Decimal("14600.00")
    assert after["spent"] == before["spent"]

    def the_message() -> list[dict[str, object]]:
        found = messages(client, applicant, search=order["orderNo"])
        assert found, f"no message about {order['orderNo']} yet"
        return found

    [message] = eventually(the_message)
    assert message["subject"] == f"Purchase order {order['orderNo']} created"
    assert request_id in str(message["body"]) and message["system"] is True

    def confirmed() -> bool:
        [event] = approval_events(stack, request_id)
        assert event["confirmed_at"] is not None, event
        return event["confirmed_by"] == ["erp"]

    assert eventually(confirmed)

    def order_event_confirmed() -> bool:
        rows = sql(
            stack.erp_database,
            "SELECT confirmed_at FROM erp_outbox "
            "WHERE topic = 'erp.purchase_order.created' AND key = $1",
            request_id,
        )
        assert len(rows) == 1 and rows[0]["confirmed_at"] is not None, rows
        return True

    assert eventually(order_event_confirmed)
    assert eventually(stack.settled)  # every copy of both events handled: nothing comes later
    assert orders_in_database(stack, [request_id]) == {request_id: [order["orderNo"]]}
    assert len(messages(client, applicant, search=order["orderNo"])) == 1
    assert budget(client, applicant, "dept-06", period) == after


def test_a_request_the_erp_can_never_apply_is_parked_and_the_next_one_goes_through(
    stack: Stack,
) -> None:
    client = stack.client
    applicant = "emp-033"
    stale_item_in_oa_copy(stack, "SKU-9999")  # else OA refuses it at submission
    unknown = submit_purchase(
        client, applicant, "Unobtainium", [item("SKU-9999", 5, "10.00")], "2030-12"
    )
    approve_fully(client, unknown, applicant)
    fine = submit_purchase(client, applicant, "Rods", [item("SKU-0002", 4, "13.50")], "2030-12")
    approve_fully(client, fine, applicant)

    assert wait_for_orders(client, applicant, [fine])[fine]["total"]["amount"] == "54.00"

    def parked() -> dict[str, object]:
        [event] = approval_events(stack, unknown)
        assert event["confirmed_at"] is not None, "the producer still owes the event"
        rows = sql(
            stack.erp_database,
            "SELECT payload FROM erp_outbox WHERE topic = 'erp.event.parked' AND key = $1",
            event["id"],
        )
        assert len(rows) == 1, rows
        return dict(rows[0])

    record = parked()
    assert '"NOT_FOUND"' in str(record["payload"]) and unknown in str(record["payload"])
    assert order_of(client, applicant, unknown) is None
    assert orders_in_database(stack, [unknown]) == {unknown: []}
