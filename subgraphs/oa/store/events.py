"""The events the OA publishes, written to its outbox in the business transaction.

The one module that knows how an OA event is written: it uses the shared transactional
outbox of :mod:`subgraphs.common.events` with the OA's own table (``oa_outbox``), so an
event exists if and only if the change it announces committed.

=========================  ==================================================================
topic                      payload
=========================  ==================================================================
``oa.approval.approved``   a PURCHASE or EXPENSE request was finally approved:
                           ``{requestId, kind, title, applicantId, departmentId, amount,
                           currency, items: [{sku, description, quantity, unitPrice,
                           supplierId}], period, approvedAt, memo}``; ``amount`` and
                           ``unitPrice`` are decimal strings, ``period`` is ``YYYY-MM``,
                           ``approvedAt`` ISO 8601; the event key is the request id
=========================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events.outbox import add_event
from subgraphs.common.money import format_amount
from subgraphs.oa.store.models import OUTBOX_TABLE, ApprovalRequest, ApprovalRequestItem
from tandem_shared.timestamps import format_datetime

__all__ = ["APPROVAL_APPROVED", "PUBLISHED_KINDS", "approval_approved", "record_event"]

APPROVAL_APPROVED: Final = "oa.approval.approved"
PUBLISHED_KINDS: Final = frozenset({"PURCHASE", "EXPENSE"})
"""Kinds whose final approval the ERP acts on."""


async def record_event(session: AsyncSession, topic: str, key: str, payload: dict[str, Any]) -> str:
    """Add an event to the OA outbox inside ``session``'s transaction; returns its id."""
    return await add_event(session, topic, key, payload, table=OUTBOX_TABLE)


async def approval_approved(
    session: AsyncSession, request: ApprovalRequest, items: Sequence[ApprovalRequestItem]
) -> str | None:
    """Record ``oa.approval.approved`` for a finally approved request of a published kind."""
    if request.kind not in PUBLISHED_KINDS:
        return None
    assert request.decided_at is not None, request.id
    currency = request.currency
    payload: dict[str, Any] = {
        "requestId": request.id,
        "kind": request.kind,
        "title": request.title,
        "applicantId": request.applicant_id,
        "departmentId": request.department_id,
        "amount": None if request.amount is None else format_amount(request.amount, currency or ""),
        "currency": currency,
        "items": [
            {
                "sku": item.sku,
                "description": item.description,
                "quantity": item.quantity,
                "unitPrice": format_amount(item.unit_price, item.currency),
                "supplierId": item.supplier_id,
            }
            for item in items
        ],
        "period": request.budget_period,
        "approvedAt": format_datetime(request.decided_at),
        "memo": request.title,
    }
    return await record_event(session, APPROVAL_APPROVED, request.id, payload)
