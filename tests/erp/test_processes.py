"""The ERP side of the cross-boundary processes: purchase orders and expenses per request."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from subgraphs.common.errors import BadUserInput
from subgraphs.erp.store import events as erp_events
from subgraphs.erp.store import finance, procurement
from subgraphs.erp.store.models import JournalEntry, PurchaseOrder
from subgraphs.erp.store.processes import (
    create_purchase_order_from_request,
    post_expense_from_request,
)
from tandem_shared.db import transaction
from tests.erp.catalog import Catalog, make_catalog
from tests.erp.harness import ErpClient
from tests.erp.util import ENTITIES, fresh

pytestmark = pytest.mark.anyio


def purchase(catalog: Catalog, department: str, **changes: Any) -> dict[str, Any]:
    event = {
        "requestId": fresh("req"),
        "kind": "PURCHASE",
        "applicantId": "emp-007",
        "departmentId": department,
        "amount": "230.00",
        "currency": "CNY",
        "items": [
            {"sku": catalog.skus[0], "quantity": 2, "unitPrice": "15.00",
             "supplierId": catalog.supplier},
            {"sku": catalog.skus[1], "quantity": "4", "unitPrice": "50.00"},
        ],
        "period": "2031-07",
        "approvedAt": "2031-07-03T10:00:00+08:00",
    }  # fmt: skip
    return event | changes


async def set_budget(erp: ErpClient, department: str, amount: str) -> None:
    async with transaction(erp.sessions) as db:
        await finance.set_budget(db, department, "2031-07", Decimal(amount), "CNY")


async def budget_of(erp: ErpClient, department: str) -> tuple[Decimal, Decimal]:
    async with transaction(erp.sessions) as db:
        found = await finance.get_budget(db, department, "2031-07")
        assert found is not None
        return found.committed, found.spent


async def outbox(erp: ErpClient, key: str) -> list[tuple[str, dict[str, Any]]]:
    async with transaction(erp.sessions) as db:
        return [(row.topic, row.payload) for row in await erp_events.events_with_key(db, key)]


async def test_an_approved_request_becomes_one_order_and_commits_the_budget(
    erp: ErpClient,
) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    await set_budget(erp, department, "1000.00")
    event = purchase(catalog, department)
    async with transaction(erp.sessions) as db:
        order_no = await create_purchase_order_from_request(db, event)
    async with transaction(erp.sessions) as db:
        assert await create_purchase_order_from_request(db, event) == order_no
    assert order_no.startswith("PO-")
    assert await budget_of(erp, department) == (Decimal("230.00"), Decimal(0))
    assert await outbox(erp, event["requestId"]) == [
        ("erp.purchase_order.created", {
            "requestId": event["requestId"], "orderNo": order_no, "applicantId": "emp-007",
            "purchaseOrderId": (await _order_id(erp, event["requestId"])),
            "budgetExceeded": False,
        })
    ]  # fmt: skip
    found = await erp.data(
        ENTITIES
        % """... on ApprovalRequest { id purchaseOrder {
          orderNo status total { amount } supplier { id } requestedBy { id }
          approvalRequest { id } budgetExceeded lines { item { sku } quantity } } }""",
        {"representations": [{"__typename": "ApprovalRequest", "id": event["requestId"]}]},
    )
    order = found["_entities"][0]["purchaseOrder"]
    assert order == {
        "orderNo": order_no, "status": "CREATED", "total": {"amount": "230.00"},
        "supplier": {"id": catalog.supplier}, "requestedBy": {"id": "emp-007"},
        "approvalRequest": {"id": event["requestId"]}, "budgetExceeded": False,
        "lines": [{"item": {"sku": catalog.skus[0]}, "quantity": 2},
                  {"item": {"sku": catalog.skus[1]}, "quantity": 4}],
    }  # fmt: skip


async def test_an_order_over_budget_is_created_and_flagged(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    await set_budget(erp, department, "100.00")
    event = purchase(catalog, department)
    async with transaction(erp.sessions) as db:
        order_no = await create_purchase_order_from_request(db, event)
    assert await budget_of(erp, department) == (Decimal("230.00"), Decimal(0))
    [(_, payload)] = await outbox(erp, event["requestId"])
    assert (payload["orderNo"], payload["budgetExceeded"]) == (order_no, True)


async def test_concurrent_deliveries_of_one_request_create_one_order(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    await set_budget(erp, department, "10000.00")
    events = [purchase(catalog, department) for _ in range(3)]

    async def deliver(event: dict[str, Any]) -> str:
        async with transaction(erp.sessions) as db:
            return await create_purchase_order_from_request(db, event)

    numbers = await asyncio.gather(*(deliver(event) for event in events for _ in range(4)))
    assert [len(set(numbers[i : i + 4])) for i in range(0, 12, 4)] == [1, 1, 1]
    assert len(set(numbers)) == 3
    async with transaction(erp.sessions) as db:
        requests = [event["requestId"] for event in events]
        count = await db.scalar(
            select(func.count())
            .select_from(PurchaseOrder)
            .where(PurchaseOrder.approval_request_id.in_(requests))
        )
        created = sum([len(await erp_events.events_with_key(db, r)) for r in requests])
    assert (count, created) == (3, 3)
    assert await budget_of(erp, department) == (Decimal("690.00"), Decimal(0))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "231.00"}, "amount"),
        ({"items": []}, "items"),
        ({"currency": "XYZ"}, "currency"),
        ({"kind": "LEAVE"}, "kind"),
        ({"requestId": ""}, "requestId"),
        ({"period": "July"}, "period"),
        ({"items": [{"sku": "S0", "quantity": 0, "unitPrice": "1.00"}]}, "items.0.quantity"),
        ({"items": [{"sku": "S0", "quantity": 1, "unitPrice": 1.5}]}, "items.0.unitPrice"),
    ],
)
async def test_a_malformed_purchase_event_names_its_field(
    erp: ErpClient, change: dict[str, Any], field: str
) -> None:
    catalog = await make_catalog(erp)
    items = [{**item, "sku": catalog.skus[0]} for item in change.get("items", [])]
    event = purchase(catalog, fresh("dept"), **change)
    if "items" in change:
        event["items"] = items
    with pytest.raises(BadUserInput) as raised:
        async with transaction(erp.sessions) as db:
            await create_purchase_order_from_request(db, event)
    assert raised.value.field == field


async def test_the_first_preferred_supplier_is_used_when_none_is_named(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    event = purchase(catalog, fresh("dept"))
    event["items"] = [{"sku": catalog.skus[1], "quantity": 1, "unitPrice": "230.00"}]
    async with transaction(erp.sessions) as db:
        await create_purchase_order_from_request(db, event)
        order = await procurement.purchase_order_for_request(db, event["requestId"])
        assert order is not None and order.supplier_id == catalog.supplier


async def test_goods_receipt_tells_whom_to_notify(erp: ErpClient) -> None:
    catalog = await make_catalog(erp)
    department = fresh("dept")
    await set_budget(erp, department, "1000.00")
    event = purchase(catalog, department)
    async with transaction(erp.sessions) as db:
        order_no = await create_purchase_order_from_request(db, event)
        order = await procurement.purchase_order_for_request(db, event["requestId"])
        assert order is not None
        await procurement.send_purchase_order(db, order.id)
        receipt = await procurement.receive_goods(db, order.id, catalog.warehouse, "emp-009")
    assert (receipt.order_no, receipt.applicant_id, receipt.request_id) == (
        order_no,
        "emp-007",
        event["requestId"],
    )
    assert await budget_of(erp, department) == (Decimal(0), Decimal("230.00"))
    [(topic, payload)] = await outbox(erp, order_no)
    assert topic == "erp.goods.received"
    assert (payload["orderNo"], payload["applicantId"]) == (order_no, "emp-007")


def expense(department: str, **changes: Any) -> dict[str, Any]:
    return {
        "requestId": fresh("req"),
        "kind": "EXPENSE",
        "applicantId": "emp-011",
        "departmentId": department,
        "amount": "88.80",
        "currency": "CNY",
        "period": "2031-07",
        "approvedAt": "2031-07-31T23:30:00+08:00",
    } | changes


async def test_an_approved_expense_posts_one_balanced_entry(erp: ErpClient) -> None:
    department = fresh("dept")
    await set_budget(erp, department, "500.00")
    event = expense(department)
    numbers = await asyncio.gather(*(_post_expense(erp, event) for _ in range(4)))
    assert len(set(numbers)) == 1 and numbers[0].startswith("JE-203107-")
    async with transaction(erp.sessions) as db:
        entries = (
            await db.scalars(
                select(JournalEntry).where(JournalEntry.source_request_id == event["requestId"])
            )
        ).all()
        assert len(entries) == 1
        assert entries[0].entry_date.isoformat() == "2031-07-31"
        assert [(line.account_code, line.debit, line.credit) for line in entries[0].lines] == [
            ("6602", Decimal("88.80"), Decimal(0)),
            ("2241", Decimal(0), Decimal("88.80")),
        ]
    assert await budget_of(erp, department) == (Decimal(0), Decimal("88.80"))
    assert [topic for topic, _ in await outbox(erp, event["requestId"])] == ["erp.expense.posted"]
    with pytest.raises(BadUserInput) as raised:
        await _post_expense(erp, expense(department, amount="0"))
    assert raised.value.field == "amount"


async def _post_expense(erp: ErpClient, event: dict[str, Any]) -> str:
    async with transaction(erp.sessions) as db:
        return await post_expense_from_request(db, event)


async def _order_id(erp: ErpClient, request_id: str) -> str:
    async with transaction(erp.sessions) as db:
        order = await procurement.purchase_order_for_request(db, request_id)
        assert order is not None
        return order.id
