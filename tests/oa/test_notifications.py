"""The ERP's events become OA system messages for the applicant, once per business fact."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.errors import BadUserInput
from subgraphs.common.events.bus import Event
from subgraphs.oa.store.models import MailboxEntry
from subgraphs.oa.store.notifications import HANDLERS
from tandem_shared.db import transaction
from tests.oa.client import OAClient
from tests.oa.org import BOB

pytestmark = pytest.mark.anyio

INBOX = "{ messages { edges { node { subject body system sender { id } } } } }"


async def handle(sessions: async_sessionmaker[AsyncSession], event: Event) -> None:
    async with transaction(sessions) as session:
        await HANDLERS[event.topic](session, event)


async def test_order_created_and_goods_received_reach_the_applicant_once(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = {"requestId": "req-1", "orderNo": "PO-202611-0001", "applicantId": "emp-bob"}
    received = {"orderNo": "PO-202611-0001", "applicantId": "emp-bob", "requestId": "req-1"}

    await handle(sessions, Event(id="e1", topic="erp.purchase_order.created", payload=created))
    await handle(sessions, Event(id="e2", topic="erp.purchase_order.created", payload=created))
    await handle(sessions, Event(id="e3", topic="erp.goods.received", payload=received))
    await handle(sessions, Event(id="e3", topic="erp.goods.received", payload=received))

    data = await oa.data(BOB, INBOX)
    assert [e["node"]["subject"] for e in data["messages"]["edges"]] == [
        "Goods received for PO-202611-0001",
        "Purchase order PO-202611-0001 created",
    ]
    assert all(e["node"]["system"] and e["node"]["sender"] is None
               for e in data["messages"]["edges"])  # fmt: skip
    async with transaction(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(MailboxEntry)) == 2


async def test_an_event_without_its_fields_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = Event(id="e9", topic="erp.purchase_order.created", payload={"requestId": "req-1"})

    with pytest.raises(BadUserInput) as refused:
        await handle(sessions, event)

    assert refused.value.field == "orderNo"


async def test_a_posted_expense_reaches_the_applicant_once(
    oa: OAClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    posted = {"requestId": "req-7", "entryNo": "JE-202611-0003", "applicantId": "emp-bob"}

    await handle(sessions, Event(id="e1", topic="erp.expense.posted", payload=posted))
    await handle(sessions, Event(id="e2", topic="erp.expense.posted", payload=posted))

    data = await oa.data(BOB, INBOX)
    assert [(e["node"]["subject"], e["node"]["body"]) for e in data["messages"]["edges"]] == [
        (
            "Expense claim booked as JE-202611-0003",
            "Your approved expense claim req-7 is booked in journal entry JE-202611-0003.",
        )
    ]
