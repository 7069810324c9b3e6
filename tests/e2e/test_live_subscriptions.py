"""OA's and ERP's subscriptions through the gateway, with both subgraphs as processes: events
come from the services' outboxes, each with a cursor to resume from, and each caller sees
only their own (issue 17, item 4).

Every subscription starts ``after`` the newest cursor of its service, read from the outbox
before the scenario acts, so nothing that happens next can slip past a subscription that is
still being set up; the proof that a caller does *not* get an event is the order of what
they do get (a later event of theirs arrives first), never a pause.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from subgraphs.erp.store.events import LIVE_TOPICS as ERP_TOPICS
from subgraphs.oa.store.events import LIVE_TOPICS as OA_TOPICS
from tests.e2e.flows import PURCHASING, approve_fully, item, submit_purchase, wait_for_orders
from tests.e2e.live import newest_cursor, subscription
from tests.e2e.stack import Stack

T = TypeVar("T")

REQUEST_UPDATED = """
subscription ($id: ID!, $after: ID) {
  approvalRequestUpdated(id: $id, after: $after) {
    cursor action request { id status currentStep { number role } applicant { name } }
  }
}"""
INBOX = """
subscription ($after: ID) {
  approvalInboxChanged(after: $after) { cursor change action request { id status title } }
}"""
MESSAGES = """
subscription ($after: ID) {
  messageReceived(after: $after) { cursor message { subject system sender { id name } } }
}"""
STOCK = """
subscription ($sku: ID, $after: ID) {
  stockLevelChanged(sku: $sku, after: $after) {
    cursor change level { warehouse { id } quantity available }
  }
}"""
ORDERS = """
subscription ($after: ID) {
  purchaseOrderStatusChanged(after: $after) {
    cursor previousStatus order { id orderNo status approvalRequest { id title } }
  }
}"""
SUBMIT = """
mutation ($input: PurchaseRequestInput!) { submitPurchaseRequest(input: $input) { id } }"""
APPROVE = "mutation ($id: ID!) { approve(id: $id) { status } }"
SEND_MESSAGE = """
mutation ($to: [ID!]!, $subject: String!) {
  sendMessage(input: { to: $to, subject: $subject, body: "hello" }) { id }
}"""
SEND_ORDER = "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { status } }"
RECEIVE = """
mutation ($id: ID!, $warehouse: ID!) {
  receiveGoods(input: { purchaseOrderId: $id, warehouseId: $warehouse }) { status }
}"""


def run(scenario: Callable[[], Any]) -> Any:
    return asyncio.run(scenario())


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking client call, off the event loop the subscriptions read on."""
    return await asyncio.to_thread(function, *args, **kwargs)


def oa_cursor(stack: Stack) -> str | None:
    return newest_cursor(stack.oa_database, "oa_outbox", OA_TOPICS)


def erp_cursor(stack: Stack) -> str | None:
    return newest_cursor(stack.erp_database, "erp_outbox", ERP_TOPICS)


def send_message(stack: Stack, sender: str, to: list[str], subject: str) -> None:
    stack.client.data(sender, SEND_MESSAGE, to=to, subject=subject)


def test_a_managers_decision_reaches_the_applicant_and_moves_the_request_between_inboxes(
    stack: Stack,
) -> None:
    """A purchase of 12 000.00 CNY in Production: its manager (emp-029) approves, then finance
    (role holders such as emp-005) decides. The applicant's ``approvalRequestUpdated`` gets the
    decision, the manager's inbox sees the request leave, finance's sees it arrive."""
    applicant, manager, finance = "emp-033", "emp-029", "emp-005"
    send_message(stack, "emp-001", [applicant], "probe")  # a cursor exists
    after = oa_cursor(stack)
    lines = [item("SKU-0005", 8, "1500.00")]
    request_id = submit_purchase(stack.client, applicant, "Live lathe parts", lines, "2031-06")
    name = stack.person(applicant).name

    async def scenario() -> float:
        async with (
            subscription(stack, applicant, REQUEST_UPDATED, id=request_id, after=after) as mine,
            subscription(stack, manager, INBOX, after=after) as managers,
            subscription(stack, finance, INBOX, after=after) as finances,
        ):
            submitted = (await mine.next())["approvalRequestUpdated"]
            assert submitted["action"] == "SUBMITTED"
            assert submitted["request"] == {
                "id": request_id,
                "status": "PENDING",
                "currentStep": {"number": 1, "role": None},
                "applicant": {"name": name},
            }
            arrived = await next_about(managers, "approvalInboxChanged", request_id)
            assert (arrived["change"], arrived["action"]) == ("ARRIVED", "SUBMITTED")

            started = time.perf_counter()
            await call(stack.client.data, manager, APPROVE, id=request_id)
            decided = (await mine.next())["approvalRequestUpdated"]
            delay = time.perf_counter() - started
            assert decided["action"] == "APPROVED"
            assert decided["request"]["status"] == "PENDING"
            assert decided["request"]["currentStep"] == {"number": 2, "role": "finance"}
            assert decided["cursor"] != submitted["cursor"]

            left = await next_about(managers, "approvalInboxChanged", request_id)
            assert (left["change"], left["action"]) == ("LEFT", "APPROVED")
            came = await next_about(finances, "approvalInboxChanged", request_id)
            assert (came["change"], came["action"]) == ("ARRIVED", "APPROVED")
            return delay

    delay = run(scenario)
    print(f"\nmanager's approval -> applicant's approvalRequestUpdated: {delay * 1000:.0f} ms")
    assert delay < 5.0  # the bar is 1 s; a generous margin for a loaded machine


async def next_about(subscription: Any, field: str, request_id: str) -> dict[str, Any]:
    """The next event of ``field`` about ``request_id`` (other requests' events are skipped:
    the session's other tests and the seed's requests share these inboxes)."""
    while True:
        event: dict[str, Any] = (await subscription.next())[field]
        if event["request"]["id"] == request_id:
            return event


def test_a_message_arrives_on_message_received_and_only_there(any_stack: Stack) -> None:
    """emp-041 gets the message sent to them; emp-042's subscription skips it: the first
    event emp-042 receives is the message sent to them afterwards (PostgreSQL and SQLite)."""
    stack = any_stack
    reader, other = "emp-041", "emp-042"
    sender = stack.person("emp-040").name
    send_message(stack, "emp-001", [reader], "probe")
    after = oa_cursor(stack)

    async def scenario() -> None:
        async with (
            subscription(stack, reader, MESSAGES, after=after) as readers,
            subscription(stack, other, MESSAGES, after=after) as others,
        ):
            await call(send_message, stack, "emp-040", [reader], "Quarterly numbers")
            await call(send_message, stack, "emp-040", [other], "For you alone")
            got = (await readers.next())["messageReceived"]
            assert got["message"] == {
                "subject": "Quarterly numbers",
                "system": False,
                "sender": {"id": "emp-040", "name": sender},
            }
            first = (await others.next())["messageReceived"]
            assert first["message"]["subject"] == "For you alone"

    run(scenario)


def test_resuming_after_a_restart_with_the_last_cursor_gets_exactly_the_missed_events(
    any_stack: Stack,
) -> None:
    """A reader sees message 1, disconnects; OA restarts; messages 2 and 3 are sent; the reader
    resubscribes with message 1's cursor and gets 2 and 3, then the live message 4: none
    twice, none lost (PostgreSQL and SQLite)."""
    stack = any_stack
    reader = "emp-044"
    send_message(stack, "emp-001", [reader], "probe")
    after = oa_cursor(stack)

    async def first_part() -> str:
        async with subscription(stack, reader, MESSAGES, after=after) as readers:
            await call(send_message, stack, "emp-043", [reader], "resume 1")
            got = (await readers.next())["messageReceived"]
            assert got["message"]["subject"] == "resume 1"
            cursor: str = got["cursor"]
            return cursor

    cursor = run(first_part)
    stack.oa.stop()
    stack.oa.start()
    send_message(stack, "emp-043", [reader], "resume 2")
    send_message(stack, "emp-043", [reader], "resume 3")

    async def second_part() -> list[str]:
        async with subscription(stack, reader, MESSAGES, after=cursor) as readers:
            subjects = [(await readers.next())["messageReceived"]["message"]["subject"]]
            subjects.append((await readers.next())["messageReceived"]["message"]["subject"])
            await call(send_message, stack, "emp-043", [reader], "resume 4")
            subjects.append((await readers.next())["messageReceived"]["message"]["subject"])
            return subjects

    assert run(second_part) == ["resume 2", "resume 3", "resume 4"]


def test_an_unknown_cursor_is_bad_user_input(stack: Stack) -> None:
    """(The gateway adds its own error for the null root field that follows.)"""

    async def scenario() -> dict[str, Any]:
        unknown = "00000000-0000-4000-8000-000000000000"
        async with subscription(stack, "emp-041", MESSAGES, after=unknown) as readers:
            return await readers.message()

    message = run(scenario)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", message
    assert errors[0]["extensions"]["field"] == "after", message


def test_another_employee_cannot_follow_someone_elses_request(stack: Stack) -> None:
    applicant = "emp-034"
    request_id = submit_purchase(
        stack.client, applicant, "Private gloves", [item("SKU-0003", 2, "10.00")], "2031-06"
    )

    async def scenario() -> dict[str, Any]:
        async with subscription(stack, "emp-045", REQUEST_UPDATED, id=request_id) as theirs:
            return await theirs.message()

    message = run(scenario)
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND", message  # as approvalRequest
    assert len(errors) == 1, message  # the gateway adds none of its own for the null


@pytest.mark.parametrize("warehouse", ["wh-sh"])
def test_a_goods_receipt_moves_stock_level_changed_and_the_order_status(
    stack: Stack, warehouse: str
) -> None:
    """An approved purchase becomes an order; procurement sends it and receives the goods.
    The applicant follows their order's statuses (CREATED, SENT, RECEIVED, completed with the
    OA request's title); another employee's order feed skips it; procurement's
    ``stockLevelChanged`` sees the receipt add the quantity."""
    applicant, other, sku = "emp-017", "emp-018", "SKU-0031"
    after = erp_cursor(stack)
    request_id = submit_purchase(
        stack.client, applicant, "Live cables", [item(sku, 7, "12.00", "sup-02")], "2031-06"
    )
    approve_fully(stack.client, request_id, applicant)
    order = wait_for_orders(stack.client, applicant, [request_id])[request_id]
    other_request = submit_purchase(
        stack.client, other, "Other cables", [item(sku, 1, "12.00", "sup-02")], "2031-06"
    )

    async def scenario() -> None:
        async with (
            subscription(stack, applicant, ORDERS, after=after) as mine,
            subscription(stack, other, ORDERS, after=after) as theirs,
            subscription(stack, PURCHASING, STOCK, sku=sku, after=after) as stock,
        ):
            created = await order_event(mine, order["id"])
            assert created["previousStatus"] is None
            assert created["order"]["status"] in ("CREATED", "SENT", "RECEIVED")  # read now
            assert created["order"]["approvalRequest"] == {"id": request_id, "title": "Live cables"}
            await call(stack.client.data, PURCHASING, SEND_ORDER, id=order["id"])
            await call(stack.client.data, PURCHASING, RECEIVE, id=order["id"], warehouse=warehouse)
            sent = await order_event(mine, order["id"])
            received = await order_event(mine, order["id"])
            assert (sent["previousStatus"], received["previousStatus"]) == ("CREATED", "SENT")
            assert received["order"]["status"] == "RECEIVED"
            moved = (await stock.next())["stockLevelChanged"]
            assert moved["change"] == "RECEIPT"
            assert moved["level"]["warehouse"] == {"id": warehouse}
            # the other employee's feed: their own order is the first thing it shows
            await call(approve_fully, stack.client, other_request, other)
            first = (await theirs.next())["purchaseOrderStatusChanged"]
            assert first["order"]["approvalRequest"]["id"] == other_request

    run(scenario)


async def order_event(subscription: Any, order_id: str) -> dict[str, Any]:
    event: dict[str, Any] = (await subscription.next())["purchaseOrderStatusChanged"]
    assert event["order"]["id"] == order_id, event
    return event
