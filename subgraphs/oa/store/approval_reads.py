"""Approval requests as read: their states, who may read or decide them, the inbox,
my requests, and the batch loads the GraphQL layer uses.

Who may read a request (:func:`can_see`): its applicant, anyone who is, was or could be an
approver of one of its steps (holders of a step's role included), anyone it was transferred
to, and holders of :data:`READER_ROLES` or of the kind's :data:`KIND_READER_ROLES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Final

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store.flows import Rule
from subgraphs.oa.store.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalRequestItem,
    ApprovalStep,
)
from subgraphs.oa.store.people import Actor, acting_employee
from subgraphs.oa.store.validation import check_kind

__all__ = [
    "KIND_READER_ROLES",
    "READER_ROLES",
    "Action",
    "Status",
    "StepStatus",
    "actions_by_request",
    "can_decide",
    "can_see",
    "find_inbox",
    "find_my_requests",
    "items_by_request",
    "requests_by_ids",
    "steps_by_request",
]

READER_ROLES: Final = ("auditor",)
KIND_READER_ROLES: Final[Mapping[str, tuple[str, ...]]] = {
    "PURCHASE": ("procurement", "finance"),
    "EXPENSE": ("finance",),
}


class Status(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    FAILED = "FAILED"


class StepStatus(StrEnum):
    WAITING = "WAITING"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


class Action(StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    TRANSFERRED = "TRANSFERRED"
    FAILED = "FAILED"
    REASSIGNED = "REASSIGNED"
    """The step's approver was deactivated; it moved to their manager (``handover.py``)."""


def can_decide(request: ApprovalRequest, step: ApprovalStep | None, actor: Actor) -> bool:
    """True if ``actor`` may decide ``step``, which must be ``request``'s current step."""
    if step is None or step.status != StepStatus.PENDING or request.status != Status.PENDING:
        return False
    if actor.employee_id == request.applicant_id:
        return False
    if step.assignee_id is not None:
        return step.assignee_id == actor.employee_id
    return step.role is not None and step.role in actor.roles


def can_see(
    request: ApprovalRequest,
    steps: Iterable[ApprovalStep],
    actions: Iterable[ApprovalAction],
    actor: Actor,
) -> bool:
    """True if ``actor`` may read ``request`` (see the module's documentation)."""
    me = actor.employee_id
    if request.applicant_id == me or actor.has_role(*READER_ROLES):
        return True
    if actor.has_role(*KIND_READER_ROLES.get(request.kind, ())):
        return True
    for step in steps:
        if me in (step.assignee_id, step.decided_by):
            return True
        if step.rule == Rule.ROLE and step.role in actor.roles:
            return True
    return any(me in (action.actor_id, action.to_employee_id) for action in actions)


async def find_inbox(
    session: AsyncSession, actor: Actor, *, first: int | None, after: str | None
) -> Page[ApprovalRequest]:
    """One page of the pending requests waiting for ``actor``'s decision, oldest first."""
    await acting_employee(session, actor)
    current = and_(
        ApprovalStep.request_id == ApprovalRequest.id,
        ApprovalStep.position == ApprovalRequest.current_step,
    )
    mine = or_(
        ApprovalStep.assignee_id == actor.employee_id,
        and_(ApprovalStep.assignee_id.is_(None), ApprovalStep.role.in_(sorted(actor.roles))),
    )
    statement = (
        select(ApprovalRequest)
        .join(ApprovalStep, current)
        .where(
            ApprovalRequest.status == Status.PENDING,
            ApprovalRequest.applicant_id != actor.employee_id,
            ApprovalStep.status == StepStatus.PENDING,
            mine,
        )
    )
    order = [ApprovalRequest.submitted_at, ApprovalRequest.id]
    return await paginate(session, statement, order, first=first, after=after)


async def find_my_requests(
    session: AsyncSession,
    actor: Actor,
    *,
    status: Status | None,
    kind: str | None,
    first: int | None,
    after: str | None,
) -> Page[ApprovalRequest]:
    """One page of the requests ``actor`` submitted, newest first."""
    await acting_employee(session, actor)
    statement = select(ApprovalRequest).where(ApprovalRequest.applicant_id == actor.employee_id)
    if status is not None:
        statement = statement.where(ApprovalRequest.status == status)
    if kind is not None:
        statement = statement.where(ApprovalRequest.kind == check_kind(kind))
    order = [ApprovalRequest.submitted_at.desc(), ApprovalRequest.id.desc()]
    return await paginate(session, statement, order, first=first, after=after)


async def requests_by_ids(
    session: AsyncSession, request_ids: Sequence[str]
) -> dict[str, ApprovalRequest]:
    """The requests among ``request_ids`` that exist (visibility is the caller's check)."""
    statement = select(ApprovalRequest).where(ApprovalRequest.id.in_(set(request_ids)))
    return {request.id: request for request in await session.scalars(statement)}


async def steps_by_request(
    session: AsyncSession, request_ids: Sequence[str]
) -> dict[str, list[ApprovalStep]]:
    """The steps of each request, in order."""
    found: dict[str, list[ApprovalStep]] = {request_id: [] for request_id in request_ids}
    statement = (
        select(ApprovalStep)
        .where(ApprovalStep.request_id.in_(set(request_ids)))
        .order_by(ApprovalStep.position)
        .execution_options(populate_existing=True)
    )
    for step in await session.scalars(statement):
        found[step.request_id].append(step)
    return found


async def items_by_request(
    session: AsyncSession, request_ids: Sequence[str]
) -> dict[str, list[ApprovalRequestItem]]:
    """The items of each request, in order."""
    found: dict[str, list[ApprovalRequestItem]] = {request_id: [] for request_id in request_ids}
    statement = (
        select(ApprovalRequestItem)
        .where(ApprovalRequestItem.request_id.in_(set(request_ids)))
        .order_by(ApprovalRequestItem.position)
    )
    for item in await session.scalars(statement):
        found[item.request_id].append(item)
    return found


async def actions_by_request(
    session: AsyncSession, request_ids: Sequence[str]
) -> dict[str, list[ApprovalAction]]:
    """The history of each request, oldest first."""
    found: dict[str, list[ApprovalAction]] = {request_id: [] for request_id in request_ids}
    statement = (
        select(ApprovalAction)
        .where(ApprovalAction.request_id.in_(set(request_ids)))
        .order_by(ApprovalAction.at, ApprovalAction.id)
    )
    for action in await session.scalars(statement):
        found[action.request_id].append(action)
    return found
