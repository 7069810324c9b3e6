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
``oa.approval.changed``    any change of a request's state: ``{requestId, applicantId,
                           action, status, inboxBefore, inboxAfter}``; ``action`` is the
                           history entry's (SUBMITTED, APPROVED, REJECTED, WITHDRAWN,
                           TRANSFERRED, REASSIGNED, FAILED; RECOVERED when a failed one
                           is approved again); ``inboxBefore``/``inboxAfter``: whose inbox
                           the request was in before and is in after, ``{assigneeId,
                           role}`` of the pending step or null; key ``approval:<request id>``
``oa.message.sent``        a message reached inboxes: ``{messageId, recipients: [{employeeId,
                           entryId}]}`` (the recipients' mailbox entries); key
                           ``message:<message id>``
=========================  ==================================================================

The last two feed the subgraph's subscriptions (``resolvers/live.py``); no service consumes
them, so the relay confirms them once published. Their keys are prefixed so that they never
read as another event's aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events.outbox import add_event
from subgraphs.common.money import format_amount
from subgraphs.oa.store.models import (
    OUTBOX_TABLE,
    ApprovalRequest,
    ApprovalRequestItem,
    ApprovalStep,
)
from tandem_shared.timestamps import format_datetime

__all__ = [
    "APPROVAL_APPROVED",
    "APPROVAL_CHANGED",
    "LIVE_TOPICS",
    "MESSAGE_SENT",
    "PUBLISHED_KINDS",
    "approval_approved",
    "approval_changed",
    "inbox_slot",
    "message_sent",
    "record_event",
]

APPROVAL_APPROVED: Final = "oa.approval.approved"
APPROVAL_CHANGED: Final = "oa.approval.changed"
MESSAGE_SENT: Final = "oa.message.sent"
LIVE_TOPICS: Final = frozenset({APPROVAL_CHANGED, MESSAGE_SENT})
"""The topics the OA's subscriptions follow."""
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


def inbox_slot(step: ApprovalStep | None) -> dict[str, str | None] | None:
    """Whose inbox a pending ``step`` puts its request in: its assignee, else its role's
    holders (``approval_reads.can_decide``); None for no step."""
    if step is None:
        return None
    if step.assignee_id is not None:
        return {"assigneeId": step.assignee_id, "role": None}
    return {"assigneeId": None, "role": step.role}


async def approval_changed(
    session: AsyncSession,
    request: ApprovalRequest,
    action: str,
    *,
    before: dict[str, str | None] | None,
    after: dict[str, str | None] | None,
) -> str:
    """Record ``oa.approval.changed`` for ``request`` (module docstring)."""
    payload: dict[str, Any] = {
        "requestId": request.id,
        "applicantId": request.applicant_id,
        "action": action,
        "status": request.status,
        "inboxBefore": before,
        "inboxAfter": after,
    }
    return await record_event(session, APPROVAL_CHANGED, f"approval:{request.id}", payload)


async def message_sent(
    session: AsyncSession, message_id: str, entries: Sequence[tuple[str, str]]
) -> str:
    """Record ``oa.message.sent``: ``entries`` are (recipient id, their mailbox entry id)."""
    recipients = [{"employeeId": owner, "entryId": entry} for owner, entry in entries]
    payload = {"messageId": message_id, "recipients": recipients}
    return await record_event(session, MESSAGE_SENT, f"message:{message_id}", payload)
