"""OA's copy of the ERP's items, suppliers and budgets, and the purchase checks at submission
(issue 16, item 5): fed by the ERP's events, newest state kept, every refusal reported
together and nothing stored; a copy that has never heard from the ERP checks nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.errors import BadUserInput
from subgraphs.common.events.bus import Event
from subgraphs.oa.store import erp_copy
from subgraphs.oa.store.flows import Rule, StepSpec, define_flow
from subgraphs.oa.store.models import ApprovalRequest, erp_budgets
from tandem_shared.db import transaction
from tests.oa.client import OAClient
from tests.oa.org import BOB

pytestmark = pytest.mark.anyio

PURCHASE = """
mutation ($input: PurchaseRequestInput!) { submitPurchaseRequest(input: $input) { id status } }
"""
PERIOD = "2031-04"


@pytest.fixture
async def purchase_flow(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        step = StepSpec(Rule.DEPARTMENT_MANAGER)
        await define_flow(session, None, kind="PURCHASE", name="Purchase", steps=[step])


async def deliver(sessions: async_sessionmaker[AsyncSession], topic: str, **payload: Any) -> None:
    """Apply one ERP event as the OA's consumer would."""
    async with transaction(sessions) as session:
        await erp_copy.HANDLERS[topic](session, Event(id=f"e-{topic}", topic=topic,
                                                      payload=payload))  # fmt: skip


def budget(amount: str, committed: str, as_of: str) -> dict[str, Any]:
    return {"departmentId": "dept-eng", "period": PERIOD, "currency": "CNY", "amount": amount,
            "committed": committed, "spent": "0.00", "asOf": as_of}  # fmt: skip


def line(sku: str, quantity: int, price: str, supplier: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"sku": sku, "quantity": quantity, "unitPrice": {"amount": price}}
    return found if supplier is None else {**found, "supplierId": supplier}


async def requests_stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(ApprovalRequest)) or 0)


async def test_a_copy_that_never_heard_from_the_erp_checks_nothing(
    oa: OAClient, purchase_flow: None
) -> None:
    submitted = await oa.data(BOB, PURCHASE, input={
        "title": "Anything", "budgetPeriod": PERIOD, "items": [line("SKU-X", 1, "5.00", "sup-x")],
    })  # fmt: skip
    assert submitted["submitPurchaseRequest"]["status"] == "PENDING"


async def test_unknown_items_suppliers_and_an_overrun_are_refused_together_and_nothing_is_stored(
    oa: OAClient, purchase_flow: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    t = "2031-04-01T08:00:00.000001+00:00"
    await deliver(sessions, erp_copy.ITEM_CHANGED, sku="SKU-1", name="Board", asOf=t)
    await deliver(sessions, erp_copy.SUPPLIER_CHANGED, supplierId="sup-1", name="Acme", asOf=t)
    await deliver(sessions, erp_copy.BUDGET_CHANGED, **budget("1000.00", "900.00", t))
    before = await requests_stored(sessions)

    body = await oa.post(BOB, PURCHASE, input={
        "title": "Too much", "budgetPeriod": PERIOD,
        "items": [line("SKU-1", 10, "15.00", "sup-1"), line("SKU-404", 1, "1.00", "sup-9")],
    })  # fmt: skip

    errors = sorted((e["extensions"]["code"], e["extensions"]["field"], e["extensions"].get(
        "available")) for e in body["errors"])  # fmt: skip
    assert errors == [
        ("BAD_USER_INPUT", "input.budgetPeriod", {"amount": "100.00", "currency": "CNY"}),
        ("BAD_USER_INPUT", "input.items.1.sku", None),
        ("BAD_USER_INPUT", "input.items.1.supplierId", None),
    ], body
    assert body["data"] is None
    assert await requests_stored(sessions) == before

    fits = await oa.data(BOB, PURCHASE, input={
        "title": "Fits", "budgetPeriod": PERIOD, "items": [line("SKU-1", 4, "25.00", "sup-1")],
    })  # fmt: skip
    assert fits["submitPurchaseRequest"]["status"] == "PENDING"  # 100.00: exactly what is left


async def test_a_late_copy_of_an_older_budget_changes_nothing(
    oa: OAClient, purchase_flow: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    newer, older = "2031-04-02T08:00:00+00:00", "2031-04-01T08:00:00+00:00"
    await deliver(sessions, erp_copy.BUDGET_CHANGED, **budget("1000.00", "990.00", newer))
    await deliver(sessions, erp_copy.BUDGET_CHANGED, **budget("1000.00", "0.00", older))

    async with sessions() as session:
        committed = await session.scalar(select(erp_budgets.c.committed))
    assert committed == Decimal("990.00")
    refused = await oa.error(BOB, PURCHASE, input={
        "title": "Chairs", "budgetPeriod": PERIOD, "items": [line("SKU-1", 1, "10.01")],
    })  # fmt: skip
    assert (refused["code"], refused["field"], refused["available"]) == (
        "BAD_USER_INPUT", "input.budgetPeriod", {"amount": "10.00", "currency": "CNY"},
    )  # fmt: skip


async def test_an_event_without_its_fields_is_refused_for_parking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(BadUserInput) as refused:
        await deliver(sessions, erp_copy.ITEM_CHANGED, sku="SKU-1", name="Board", asOf="soon")
    assert refused.value.field == "asOf"


async def test_a_month_without_a_planned_budget_is_not_checked(
    oa: OAClient, purchase_flow: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The ERP creates a budget of 0 when it books an order into an unplanned month: that
    month stays unchecked rather than refusing every later request."""
    t = "2031-04-01T08:00:00+00:00"
    await deliver(sessions, erp_copy.BUDGET_CHANGED, **budget("0.00", "12.50", t))

    submitted = await oa.data(BOB, PURCHASE, input={
        "title": "Unplanned", "budgetPeriod": PERIOD, "items": [line("SKU-1", 1, "25.00")],
    })  # fmt: skip
    assert submitted["submitPurchaseRequest"]["status"] == "PENDING"
