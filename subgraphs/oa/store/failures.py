"""An approved request the ERP could not apply: marked ``FAILED`` with the reason, and told.

The ERP parks an ``oa.approval.approved`` it can never apply (an unknown sku or supplier,
amounts that do not add up) and publishes ``erp.event.parked`` with the original payload and
the error. OA then:

- sets the request ``APPROVED`` -> ``FAILED`` and adds a ``FAILED`` history entry (no actor:
  the system) whose comment is the reason, so applicant and approvers see why;
- messages the applicant and the process owners (role ``procurement`` for PURCHASE,
  ``finance`` for EXPENSE; active employees holding it), once per request.

An administrator may replay the parked event in the ERP (``python -m subgraphs.erp events
retry ID``) once the cause is fixed; the order it creates (``erp.purchase_order.created``)
or the entry it posts (``erp.expense.posted``) turns the request back to ``APPROVED``
(:func:`recovered`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput
from subgraphs.oa.store import events
from subgraphs.oa.store.approval_reads import Action, Status
from subgraphs.oa.store.messages import deliver_system_message
from subgraphs.oa.store.models import ApprovalAction, ApprovalRequest, Employee
from tandem_shared.timestamps import utc_now

__all__ = ["APPROVAL_APPROVED", "OWNER_ROLES", "mark_failed", "recovered"]

APPROVAL_APPROVED: Final = "oa.approval.approved"
OWNER_ROLES: Final[Mapping[str, str]] = {"PURCHASE": "procurement", "EXPENSE": "finance"}
"""Who owns the process of a request kind, and hears when it fails."""


async def mark_failed(session: AsyncSession, parked: Mapping[str, Any]) -> str | None:
    """Mark the request of a parked ``oa.approval.approved`` failed; its id, or None when the
    parked event is another topic (nothing of OA's to mark)."""
    if parked.get("topic") != APPROVAL_APPROVED:
        return None
    original = parked.get("payload")
    request_id = original.get("requestId") if isinstance(original, Mapping) else None
    if not isinstance(request_id, str) or not request_id:
        raise BadUserInput("The parked event names no request.", field="payload.requestId")
    request = await session.scalar(
        select(ApprovalRequest).where(ApprovalRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise BadUserInput(f"No approval request {request_id}.", field="payload.requestId")
    if request.status != Status.APPROVED:  # already failed, or recovered meanwhile
        return request.id
    reason = _reason(parked.get("error"))
    now = utc_now()
    request.status = Status.FAILED
    request.updated_at = now
    session.add(
        ApprovalAction(request_id=request.id, step=None, actor_id=None,
                       action=Action.FAILED, comment=reason, at=now)
    )  # fmt: skip
    await session.flush()
    await events.approval_changed(session, request, Action.FAILED, before=None, after=None)
    subject = f"Request failed: {request.title}"[:200]
    body = (
        f"The approved {request.kind.lower()} request {request.id} ({request.title}) could not "
        f"be carried out by the ERP: {reason}. An administrator can retry it once the cause "
        "is fixed, or cancel it."
    )
    recipients = [request.applicant_id, *await _owners(session, request.kind)]
    for recipient in dict.fromkeys(recipients):
        await deliver_system_message(
            session, recipient, subject, body, f"oa.approval.failed:{request.id}:{recipient}"
        )
    return request.id


async def recovered(session: AsyncSession, request_id: str) -> None:
    """A failed request whose order or entry now exists (a retry worked) is approved again."""
    request = await session.get(ApprovalRequest, request_id)
    if request is None or request.status != Status.FAILED:
        return
    request.status = Status.APPROVED
    request.updated_at = utc_now()
    await session.flush()
    await events.approval_changed(session, request, "RECOVERED", before=None, after=None)


async def _owners(session: AsyncSession, kind: str) -> list[str]:
    role = OWNER_ROLES.get(kind)
    if role is None:
        return []
    rows = await session.execute(
        select(Employee.id, Employee.roles).where(Employee.active.is_(True)).order_by(Employee.id)
    )
    return [id for id, roles in rows if role in (roles or [])]


def _reason(error: Any) -> str:
    if not isinstance(error, Mapping):
        return "the ERP refused it"
    message = str(error.get("message") or "the ERP refused it").rstrip(".")
    field = error.get("field")
    return f"{message} ({field})" if field else message
