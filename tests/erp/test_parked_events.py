"""Parked events worked off by an administrator: listed while open, retried, cancelled."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.common import parked_events
from subgraphs.common.errors import NotFound
from subgraphs.common.events.bus import Event
from subgraphs.common.service_events import parking
from subgraphs.erp import NAME
from subgraphs.erp.store import events, procurement
from subgraphs.erp.worker import GROUP, HANDLERS, on_request_approved
from tandem_shared.db import transaction
from tests.erp.catalog import make_catalog
from tests.erp.harness import BOB, ErpClient

pytestmark = pytest.mark.anyio

OUTBOX = events.OUTBOX_TABLE


def approval(request_id: str, sku: str, supplier: str) -> Event:
    payload: dict[str, Any] = {
        "requestId": request_id, "kind": "PURCHASE", "applicantId": "emp-031",
        "departmentId": "dept-06", "amount": "30.00", "currency": "CNY", "period": "2031-03",
        "approvedAt": "2031-03-02T10:00:00+08:00",
        "items": [{"sku": sku, "quantity": 2, "unitPrice": "15.00", "supplierId": supplier}],
    }  # fmt: skip
    return Event(id=str(uuid.uuid4()), topic="oa.approval.approved", payload=payload,
                 key=request_id)  # fmt: skip


async def open_ids(erp: ErpClient) -> list[str]:
    async with transaction(erp.sessions) as db:
        found = await parked_events.open_parked(db, service=NAME, outbox=OUTBOX)
    return [parked.event_id for parked in found]


async def test_a_parked_event_is_retried_once_its_cause_is_fixed(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    handle = parking(on_request_approved, service=NAME, group=GROUP, outbox=OUTBOX)
    sku = f"SKU-LATE-{uuid.uuid4().hex[:6].upper()}"
    event = approval(f"req-{uuid.uuid4().hex[:8]}", sku, catalog.supplier)
    async with transaction(erp.sessions) as db:
        await handle(db, event)  # unknown sku: parked, nothing created
    assert event.id in await open_ids(erp)

    async with transaction(erp.sessions) as db:
        error = await parked_events.retry(db, service=NAME, outbox=OUTBOX, event_id=event.id,
                                          handlers=HANDLERS, by="test")  # fmt: skip
    assert error is not None and error.code.value == "NOT_FOUND"
    assert event.id in await open_ids(erp)

    await erp.data(
        "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku } }",
        {"i": {"sku": sku, "name": "Late part", "category": "parts",
               "standardCost": {"amount": "9.00", "currency": "CNY"},
               "listPrice": {"amount": "20.00", "currency": "CNY"}}},
    )  # fmt: skip
    async with transaction(erp.sessions) as db:
        assert await parked_events.retry(db, service=NAME, outbox=OUTBOX, event_id=event.id,
                                         handlers=HANDLERS, by="test") is None  # fmt: skip
    assert event.id not in await open_ids(erp)
    async with transaction(erp.sessions) as db:
        order = await procurement.purchase_order_for_request(db, event.payload["requestId"])
        assert order is not None and order.total == 30
        resolved = [e for e in await events.events_with_key(db, event.id)
                    if e.topic == "erp.event.resolved"]  # fmt: skip
    assert [(e.payload["resolution"], e.payload["by"]) for e in resolved] == [("RETRIED", "test")]


async def test_a_cancelled_event_is_no_longer_open(erp: ErpClient) -> None:
    handle = parking(on_request_approved, service=NAME, group=GROUP, outbox=OUTBOX)
    event = approval(f"req-{uuid.uuid4().hex[:8]}", "SKU-NEVER", "sup-none")
    async with transaction(erp.sessions) as db:
        await handle(db, event)
    async with transaction(erp.sessions) as db:
        cancelled = await parked_events.cancel(
            db, service=NAME, outbox=OUTBOX, event_id=event.id, by="test"
        )
    assert (cancelled.topic, cancelled.error["code"]) == ("oa.approval.approved", "NOT_FOUND")
    assert event.id not in await open_ids(erp)
    with pytest.raises(NotFound):
        async with transaction(erp.sessions) as db:
            await parked_events.retry(db, service=NAME, outbox=OUTBOX, event_id=event.id,
                                      handlers=HANDLERS, by="test")  # fmt: skip


PARKED = "{ parkedEvents { id topic key requestId error { code message field } parkedAt } }"
RETRY = """
mutation ($id: ID!) { retryParkedEvent(id: $id) { id applied error { code message } } }"""
CANCEL = "mutation ($id: ID!) { cancelParkedEvent(id: $id) { id requestId } }"


async def test_process_owners_work_parked_events_off_through_graphql(erp: ErpClient) -> None:
    handle = parking(on_request_approved, service=NAME, group=GROUP, outbox=OUTBOX)
    request_id = f"req-{uuid.uuid4().hex[:8]}"
    event = approval(request_id, "SKU-NEVER", "sup-none")
    async with transaction(erp.sessions) as db:
        await handle(db, event)

    assert (await erp.error(PARKED))["code"] == "FORBIDDEN"  # a manager is no process owner
    assert (await erp.error(RETRY, {"id": event.id}))["code"] == "FORBIDDEN"
    listed = (await erp.data(PARKED, principal=BOB))["parkedEvents"]
    [mine] = [parked for parked in listed if parked["id"] == event.id]
    assert (mine["topic"], mine["key"], mine["requestId"]) == (
        "oa.approval.approved", request_id, request_id,
    )  # fmt: skip
    assert mine["error"] == {"code": "NOT_FOUND", "message": "No such supplier.",
                             "field": "event.supplierId"}  # fmt: skip

    retried = (await erp.data(RETRY, {"id": event.id}, principal=BOB))["retryParkedEvent"]
    assert (retried["applied"], retried["error"]["code"]) == (False, "NOT_FOUND")
    cancelled = await erp.data(CANCEL, {"id": event.id}, principal=BOB)
    assert cancelled["cancelParkedEvent"] == {"id": event.id, "requestId": request_id}
    listed = (await erp.data(PARKED, principal=BOB))["parkedEvents"]
    assert event.id not in [parked["id"] for parked in listed]
    assert (await erp.error(CANCEL, {"id": event.id}, principal=BOB))["code"] == "NOT_FOUND"
