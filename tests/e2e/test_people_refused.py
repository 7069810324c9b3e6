"""A person HR deactivates is refused on the paths the root-field check does not see (issue 16,
item 4), through the gateway with OA and ERP as processes on PostgreSQL and SQLite: a running
OA or ERP subscription ends with ``EMPLOYEE_DEACTIVATED`` at its next event, a new one is
refused at once, and their document downloads and uploads are refused.

Each test hires and deactivates its own person (``tests/e2e/test_people.py``'s ``hire``), so
the demo company stays as the other tests expect it. Whether an event ends a subscription is
read from the message that event brings, never from a pause.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from subgraphs.erp.store.events import LIVE_TOPICS as ERP_TOPICS
from subgraphs.oa.store.events import LIVE_TOPICS as OA_TOPICS
from tests.e2e.live import Subscription, newest_cursor, subscription
from tests.e2e.stack import Stack, eventually
from tests.e2e.test_people import DEACTIVATE, HR, codes, hire

MESSAGES = """
subscription ($after: ID) { messageReceived(after: $after) { cursor message { subject } } }"""
REQUEST_UPDATED = """
subscription ($id: ID!) { approvalRequestUpdated(id: $id) { cursor } }"""
STOCK = """
subscription ($sku: ID, $after: ID) { stockLevelChanged(sku: $sku, after: $after) { cursor } }"""
SEND_MESSAGE = """
mutation ($to: [ID!]!, $subject: String!) {
  sendMessage(input: { to: $to, subject: $subject, body: "hello" }) { id }
}"""
ADJUST = """
mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { quantity } }"""
PROCUREMENT = "emp-023"  # Procurement and Logistics, role procurement
CREATE_DOCUMENT = "mutation ($title: String!) { createDocument(input: {title: $title}) { id } }"
UPLOAD = """
mutation ($id: ID!, $file: Upload!) {
  uploadDocumentVersion(documentId: $id, file: $file, contentType: "text/plain") { downloadUrl }
}"""


async def call(function: Any, *args: Any, **kwargs: Any) -> Any:
    """A blocking client call, off the event loop the subscriptions read on."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def refusal(subscribed: Subscription) -> list[str]:
    """The codes of the error a subscription ends with (after it the stream is complete)."""
    message = await subscribed.message()
    if message["type"] == "error":
        return [error["extensions"]["code"] for error in message["payload"]]
    assert message["type"] == "next", message
    found = codes(message["payload"])
    assert (await subscribed.message())["type"] == "complete"
    return found


def test_a_running_oa_subscription_ends_when_hr_deactivates_its_subscriber(
    any_stack: Stack,
) -> None:
    stack = any_stack
    client = stack.client
    person = hire(stack, "Hao Lin", "dept-06")["id"]
    after = newest_cursor(stack.oa_database, "oa_outbox", OA_TOPICS)

    async def scenario() -> tuple[str, list[str], list[str], list[str]]:
        async with subscription(stack, person, MESSAGES, after=after) as inbox:
            await call(client.data, HR, SEND_MESSAGE, to=[person], subject="before")
            first = (await inbox.next())["messageReceived"]["message"]["subject"]
            await call(client.data, HR, DEACTIVATE, id=person)
            await call(client.data, HR, SEND_MESSAGE, to=[person], subject="after")
            ended = await refusal(inbox)
        async with subscription(stack, person, MESSAGES) as again:
            refused = await refusal(again)
        unknown = str(uuid.uuid4())  # refused before the lookup could say NOT_FOUND
        async with subscription(stack, person, REQUEST_UPDATED, id=unknown) as probe:
            probed = await refusal(probe)
        return first, ended, refused, probed

    first, ended, refused, probed = asyncio.run(scenario())

    assert first == "before"
    assert ended[0] == "EMPLOYEE_DEACTIVATED"
    assert refused[0] == "EMPLOYEE_DEACTIVATED"
    assert probed[0] == "EMPLOYEE_DEACTIVATED" and "NOT_FOUND" not in probed


def test_a_running_erp_subscription_ends_once_the_erp_learns_of_the_deactivation(
    any_stack: Stack,
) -> None:
    stack = any_stack
    client = stack.client
    person = hire(stack, "Yu Shen", "dept-06")["id"]
    eventually(lambda: client.data(person, "{ me { costCenter { id } } }")["me"]["costCenter"])
    after = newest_cursor(stack.erp_database, "erp_outbox", ERP_TOPICS)
    counted = {"sku": "SKU-0038", "warehouseId": "wh-bj", "reason": "people test count"}

    def adjust() -> None:
        quantity = 300 + uuid.uuid4().int % 500  # a count unlike the last: a stock event
        client.data(PROCUREMENT, ADJUST, input={**counted, "quantity": quantity})

    def refused_by_erp() -> bool:
        body = client.post(person, "{ accounts { edges { node { code } } } }")
        assert codes(body) == ["EMPLOYEE_DEACTIVATED"], body
        return True

    async def scenario() -> tuple[dict[str, Any], list[str]]:
        async with subscription(stack, person, STOCK, sku="SKU-0038", after=after) as stock:
            await call(adjust)
            first = await stock.next()
            await call(client.data, HR, DEACTIVATE, id=person)
            await call(eventually, refused_by_erp)  # OA's event reached the ERP's copy
            await call(adjust)
            return first, await refusal(stock)

    first, ended = asyncio.run(scenario())

    assert first["stockLevelChanged"]["cursor"]
    assert ended[0] == "EMPLOYEE_DEACTIVATED"


def upload(stack: Stack, who: str, document_id: str, content: bytes) -> dict[str, Any]:
    """A GraphQL multipart upload of a new version through the gateway; its JSON answer."""
    operations = {"query": UPLOAD, "variables": {"id": document_id, "file": None}}
    response = httpx.post(
        stack.gateway.url,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("notes.txt", content, "text/plain")},
        headers={**stack.person(who).headers, "apollo-require-preflight": "true"},
        timeout=60,
    )
    answer: dict[str, Any] = response.json()
    return answer


def test_a_deactivated_person_neither_downloads_nor_uploads_documents(any_stack: Stack) -> None:
    stack = any_stack
    client = stack.client
    person = hire(stack, "Qing Ren", "dept-06")["id"]
    document_id = client.data(person, CREATE_DOCUMENT, title="Notes")["createDocument"]["id"]
    version = upload(stack, person, document_id, b"my own notes")["data"]
    url = stack.gateway.base_url + version["uploadDocumentVersion"]["downloadUrl"]
    headers = stack.person(person).headers
    assert httpx.get(url, headers=headers, timeout=30).content == b"my own notes"

    client.data(HR, DEACTIVATE, id=person)

    refused = httpx.get(url, headers=headers, timeout=30)
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["extensions"]["code"] == "EMPLOYEE_DEACTIVATED"
    assert b"my own notes" not in refused.content
    answer = upload(stack, person, document_id, b"more notes")
    assert codes(answer) == ["EMPLOYEE_DEACTIVATED"], answer
