"""What waited for a deactivated employee moves to their manager (issue 16, item 4).

Every approval step assigned to the employee on a ``PENDING`` request (the current one and
any later one already resolved to them) is reassigned to their **successor**: their line
manager, else the nearest manager of their department chain; never the request's applicant
(who does not decide their own request): for such a request the next manager up takes it.
Each reassignment is a ``REASSIGNED`` entry of the request's history (no actor: the system
acted, on HR's deactivation; ``toEmployee`` the successor), and the successor gets a system
message per request (dedupe key ``oa.approval.reassigned:<request>:<step>:<successor>``).
All of it happens in the deactivation's transaction, with an ``oa.approval.changed`` event
per reassignment (the subscriptions', ``store/events.py``).

A deactivation that would leave a pending step with nobody to take it (the head of the
company, whose department heads' requests wait for them) is ``CONFLICT`` saying what to do:
HR appoints a manager or a successor first (fail closed: a step assigned to a deactivated
person could never be decided). Likewise a flow naming a deactivated approver (rule
``EMPLOYEE``) gives new requests' step to that person's nearest active manager
(:func:`stand_in`), or refuses them.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Conflict
from subgraphs.oa.store import events
from subgraphs.oa.store.approval_reads import Action, Status, StepStatus
from subgraphs.oa.store.messages import deliver_system_message
from subgraphs.oa.store.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Employee,
    new_id,
)
from subgraphs.oa.store.people import managers_of
from tandem_shared.timestamps import utc_now

__all__ = ["REASSIGNED", "hand_over_approvals", "stand_in", "successor"]

REASSIGNED: Final = "oa.approval.reassigned"
_NOBODY: Final = (
    "Nobody can take over step {step} of request {request} ({title}) from {who}: they have no "
    "active manager above them (the head of the company, or everyone above deactivated). "
    "Appoint a manager or a successor first: transferEmployee with a managerId gives {who} "
    "a manager to take over, or updateDepartment's managerId a new head of their "
    "department; or have the request decided or withdrawn. Then deactivate {who} again."
)
"""The refusal of a deactivation that would leave a pending step with nobody to decide it."""


async def successor(session: AsyncSession, employee: Employee) -> Employee | None:
    """Who takes over from ``employee``: their active line manager, else the nearest active
    manager of their department chain; None if there is nobody."""
    candidates = await _managers(session, employee, exclude=frozenset())
    return candidates[0] if candidates else None


async def stand_in(session: AsyncSession, approver_id: str | None, applicant_id: str) -> str | None:
    """Who decides a step a flow gives to ``approver_id`` (rule ``EMPLOYEE``) on a new request:
    the approver, or if HR deactivated them their nearest active manager who is not the
    applicant; ``CONFLICT`` when there is none (the flow must be changed first)."""
    approver = None if approver_id is None else await session.get(Employee, approver_id)
    if approver is None or approver.active:
        return approver_id
    others = await _managers(session, approver, exclude=frozenset({applicant_id}))
    if not others:
        raise Conflict(
            f"The approval flow names {approver_id}, who is deactivated and has no manager to "
            "stand in; HR changes the flow first."
        )
    return others[0].id


async def hand_over_approvals(
    session: AsyncSession, employee: Employee, heir: Employee | None
) -> int:
    """Reassign ``employee``'s open steps (see the module's documentation); how many moved."""
    statement = (
        select(ApprovalStep, ApprovalRequest)
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(
            ApprovalStep.assignee_id == employee.id,
            ApprovalStep.status.in_((StepStatus.PENDING, StepStatus.WAITING)),
            ApprovalRequest.status == Status.PENDING,
        )
        .order_by(ApprovalRequest.submitted_at, ApprovalStep.position)
        .with_for_update()
    )
    now = utc_now()
    moved = 0
    for step, request in (await session.execute(statement)).all():
        to = heir
        if to is None or to.id == request.applicant_id:
            others = await _managers(session, employee, exclude=frozenset({request.applicant_id}))
            to = others[0] if others else None
        if to is None:
            raise Conflict(_NOBODY.format(step=step.position, request=request.id,
                                          title=request.title, who=employee.id),
                           extensions={"field": "id", "requestId": request.id})  # fmt: skip
        current = step.position == request.current_step
        before = events.inbox_slot(step) if current else None
        step.assignee_id = to.id
        request.updated_at = now
        session.add(
            ApprovalAction(
                id=new_id(), request_id=request.id, step=step.position, actor_id=None,
                action=Action.REASSIGNED, to_employee_id=to.id, at=now,
                comment=f"{employee.name} was deactivated; the step moved to {to.name}.",
            )
        )  # fmt: skip
        after = events.inbox_slot(step) if current else None
        await events.approval_changed(
            session, request, Action.REASSIGNED, before=before, after=after
        )  # approvalInboxChanged: the step left the deactivated employee's inbox
        await deliver_system_message(
            session,
            to.id,
            f"Approval handed over: {request.title}"[:200],
            f"{employee.name} was deactivated. Step {step.position} of the "
            f"{request.kind.lower()} request {request.id} ({request.title}) now waits for "
            "you.",
            f"{REASSIGNED}:{request.id}:{step.position}:{to.id}",
        )
        moved += 1
    await session.flush()
    return moved


async def _managers(
    session: AsyncSession, employee: Employee, *, exclude: frozenset[str]
) -> list[Employee]:
    """``employee``'s active managers, nearest first: the line manager, then the managers
    of their department chain; none of ``exclude`` and never ``employee``."""
    ids = [employee.manager_id] if employee.manager_id else []
    ids += await managers_of(session, employee)
    found: list[Employee] = []
    for manager_id in ids:
        if manager_id in exclude or manager_id == employee.id:
            continue
        manager = await session.get(Employee, manager_id)
        if manager is not None and manager.active and manager not in found:
            found.append(manager)
    return found
