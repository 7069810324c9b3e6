"""Internal mail: send, read, archive, search, private mailboxes, system messages once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.errors import NotFound
from subgraphs.oa.store.messages import deliver_system_message
from subgraphs.oa.store.models import MailboxEntry, Message
from tandem_shared.db import transaction
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, CAROL, STRANGER

pytestmark = pytest.mark.anyio

SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) {
    id subject folder readAt system sender { id } recipients { id }
  }
}
"""
LIST = """
query ($folder: MessageFolder, $search: String, $first: Int, $after: String) {
  messages(folder: $folder, search: $search, first: $first, after: $after) {
    edges { node { id subject body folder readAt sentAt sender { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def send(oa: OAClient, who: Any, to: list[str], subject: str, body: str = "Hi") -> Any:
    data = await oa.data(who, SEND, input={"to": to, "subject": subject, "body": body})
    return data["sendMessage"]


async def inbox(oa: OAClient, who: Any, **variables: Any) -> list[dict[str, Any]]:
    data = await oa.data(who, LIST, **variables)
    return [edge["node"] for edge in data["messages"]["edges"]]


async def test_a_sent_message_lands_in_each_inbox_and_the_senders_sent_folder(
    oa: OAClient,
) -> None:
    sent = await send(oa, ALICE, ["emp-bob", "emp-carol", "emp-bob"], "Sprint review")

    assert sent["folder"] == "SENT"
    assert sent["readAt"] is not None
    assert sent["system"] is False
    assert sent["sender"] == {"id": "emp-alice"}
    assert sent["recipients"] == [{"id": "emp-bob"}, {"id": "emp-carol"}]
    for reader in (BOB, CAROL):
        [message] = await inbox(oa, reader)
        assert message["subject"] == "Sprint review"
        assert message["readAt"] is None
        assert message["folder"] == "INBOX"
        assert message["id"] != sent["id"]
    assert await inbox(oa, ALICE) == []
    assert [m["subject"] for m in await inbox(oa, ALICE, folder="SENT")] == ["Sprint review"]


async def test_read_and_archive_change_only_my_copy(oa: OAClient) -> None:
    await send(oa, ALICE, ["emp-bob", "emp-carol"], "Lunch")
    [mine] = await inbox(oa, BOB)

    read = await oa.data(BOB, "mutation ($id: ID!) { markRead(id: $id) { readAt } }", id=mine["id"])
    again = await oa.data(
        BOB, "mutation ($id: ID!) { markRead(id: $id) { readAt } }", id=mine["id"]
    )
    archived = await oa.data(
        BOB, "mutation ($id: ID!) { archiveMessage(id: $id) { folder } }", id=mine["id"]
    )
    unread = await oa.data(CAROL, "{ unreadMessageCount }")

    assert read["markRead"]["readAt"] is not None
    assert again["markRead"]["readAt"] == read["markRead"]["readAt"]
    assert archived["archiveMessage"] == {"folder": "ARCHIVE"}
    assert await inbox(oa, BOB) == []
    assert [m["subject"] for m in await inbox(oa, BOB, folder="ARCHIVE")] == ["Lunch"]
    assert unread == {"unreadMessageCount": 1}
    [carols] = await inbox(oa, CAROL)
    assert carols["readAt"] is None


async def test_another_persons_message_is_not_found(oa: OAClient) -> None:
    await send(oa, ALICE, ["emp-bob"], "Private")
    [bobs] = await inbox(oa, BOB)

    for operation in (
        "mutation ($id: ID!) { markRead(id: $id) { id } }",
        "mutation ($id: ID!) { archiveMessage(id: $id) { id } }",
        "query ($id: ID!) { message(id: $id) { id } }",
    ):
        error = await oa.error(CAROL, operation, id=bobs["id"])
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id")


async def test_search_pages_newest_first(oa: OAClient) -> None:
    for n in range(5):
        await send(
            oa, ALICE, ["emp-bob"], f"Report {n}", body="quarterly NUMBERS" if n % 2 else "x"
        )
    await send(oa, ALICE, ["emp-bob"], "100% done")

    first = await oa.data(BOB, LIST, search="numbers", first=1)
    rest = await oa.data(
        BOB, LIST, search="numbers", first=5, after=first["messages"]["pageInfo"]["endCursor"]
    )
    by_subject = await inbox(oa, BOB, search="report 4")
    literal = await inbox(oa, BOB, search="100%")

    assert [e["node"]["subject"] for e in first["messages"]["edges"]] == ["Report 3"]
    assert [e["node"]["subject"] for e in rest["messages"]["edges"]] == ["Report 1"]
    assert rest["messages"]["pageInfo"]["hasNextPage"] is False
    assert [m["subject"] for m in by_subject] == ["Report 4"]
    assert [m["subject"] for m in literal] == ["100% done"]


@pytest.mark.parametrize(
    ("message", "code", "field"),
    [
        ({"to": [], "subject": "s", "body": "b"}, "BAD_USER_INPUT", "input.to"),
        ({"to": ["emp-bob"], "subject": " ", "body": "b"}, "BAD_USER_INPUT", "input.subject"),
        ({"to": ["emp-bob"], "subject": "s" * 201, "body": "b"}, "BAD_USER_INPUT", "input.subject"),
        ({"to": ["emp-bob"], "subject": "a\nb", "body": "b"}, "BAD_USER_INPUT", "input.subject"),
        ({"to": ["emp-bob"], "subject": "s", "body": ""}, "BAD_USER_INPUT", "input.body"),
        ({"to": ["emp-bob", "emp-ghost"], "subject": "s", "body": "b"}, "NOT_FOUND", "input.to.1"),
    ],
)
async def test_send_validates_its_input(
    oa: OAClient, message: dict[str, Any], code: str, field: str
) -> None:
    error = await oa.error(ALICE, SEND, input=message)

    assert (error["code"], error["field"]) == (code, field)


async def test_a_principal_without_employee_record_has_no_mailbox(oa: OAClient) -> None:
    error = await oa.error(STRANGER, LIST)

    assert error["code"] == "FORBIDDEN"


async def test_system_messages_are_delivered_once_per_key(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async def deliver() -> str:
        async with transaction(sessions) as session:
            return await deliver_system_message(
                session, "emp-bob", "Order PO-202611-0001 created", "Your order is placed.",
                "erp.po.created:req-1",
            )  # fmt: skip

    ids = await asyncio.gather(*(deliver() for _ in range(4)))
    again = await deliver()

    assert len(set(ids)) == 1
    assert again == ids[0]
    [message] = await inbox(oa, BOB)
    assert message["subject"] == "Order PO-202611-0001 created"
    assert message["sender"] is None
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Message)) == 1
        assert await session.scalar(select(func.count()).select_from(MailboxEntry)) == 1


async def test_system_message_to_an_unknown_employee_is_not_found(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(NotFound):
        async with transaction(sessions) as session:
            await deliver_system_message(session, "emp-ghost", "s", "b", "k")
