"""Approval requests: submit, approve, reject, withdraw, transfer (reading them:
:mod:`subgraphs.oa.store.approval_reads`).

The walk: at submission the kind's active flow is copied onto the request, keeping the
steps whose threshold the amount reaches, each with its approver resolved (a department
manager, a named employee, or any holder of a role). Steps are decided in order; the
first rejection ends the request, the last approval approves it. A step without anyone to
decide it (the applicant would be approving their own request, or no manager above) is
``SKIPPED``; a request with no step left is approved at once.

Rules:

- Only the current approver decides (``FORBIDDEN`` otherwise); the applicant never decides
  their own request. Someone whose step was already decided, or a decision naming a step
  that is no longer current, gets ``CONFLICT``, as does any decision on a request that is
  no longer ``PENDING``.
- Only the applicant withdraws, only while pending. Only the current approver transfers
  the current step, to another employee (not the applicant).
- Every submission, decision, transfer and withdrawal is recorded (``actions``).
- Concurrency: each change locks the request row first (``SELECT ... FOR UPDATE`` on
  PostgreSQL; on SQLite the transaction holds the database's write lock from its start)
  and the row's ``version`` is checked on update, so of two concurrent decisions exactly
  one wins and the other sees the new state (``CONFLICT``).
- A request's final approval, for the kinds of :data:`events.PUBLISHED_KINDS`, records the
  ``oa.approval.approved`` event in the same transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from subgraphs.common.errors import BadUserInput, Conflict, Forbidden, InputChecks, NotFound
from subgraphs.common.money import MoneyInput, parse_money
from subgraphs.oa.store import erp_copy, events, handover, notices
from subgraphs.oa.store.approval_reads import (
    Action,
    Status,
    StepStatus,
    can_decide,
    items_by_request,
    steps_by_request,
)
from subgraphs.oa.store.flows import Rule, require_active_flow, steps_by_flow
from subgraphs.oa.store.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalRequestItem,
    ApprovalStep,
    Employee,
    new_id,
)
from subgraphs.oa.store.people import (
    Actor,
    acting_employee,
    heads_the_company,
    managers_of,
    require_employee,
)
from subgraphs.oa.store.validation import (
    check_id,
    check_kind,
    check_period,
    check_text,
    current_period,
)
from tandem_shared.timestamps import utc_now

__all__ = [
    "MAX_ITEMS",
    "ItemSpec",
    "RequestSpec",
    "approve",
    "reject",
    "submit",
    "submit_purchase",
    "transfer",
    "withdraw",
]

MAX_ITEMS: Final = 100
MAX_QUANTITY: Final = 1_000_000
MAX_PAYLOAD_BYTES: Final = 65_536
MAX_COMMENT: Final = 2000
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_KINDS_WITH_PERIOD = frozenset({"PURCHASE", "EXPENSE"})


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What every request has; ``amount`` is required for EXPENSE, computed for PURCHASE."""

    title: str
    description: str | None = None
    amount: MoneyInput | None = None
    budget_period: str | None = None
    payload: Any = None


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """A line of a purchase request."""

    sku: str
    quantity: int
    unit_price: MoneyInput
    description: str | None = None
    supplier_id: str | None = None


# --- submitting --------------------------------------------------------------------------


async def submit_purchase(
    session: AsyncSession, actor: Actor, spec: RequestSpec, items: Sequence[ItemSpec]
) -> ApprovalRequest:
    """Submit a PURCHASE request; its amount is the sum of quantity x unit price. Every
    invalid field of the input is reported at once."""
    checks = InputChecks()
    if spec.amount is not None:
        checks.fail("A purchase's amount is computed from its items.", field="input.amount")
    if not 0 < len(items) <= MAX_ITEMS:
        checks.fail(f"A purchase has 1 to {MAX_ITEMS} items.", field="input.items")
    rows: list[ApprovalRequestItem] = []
    currency: str | None = None
    for index, item in enumerate(items):
        field = f"input.items.{index}"
        price = checks(parse_money, item.unit_price, field=f"{field}.unitPrice.amount")
        if price is not None and currency is not None and price[1] != currency:
            checks.fail(
                "All items of a purchase are in one currency.", field=f"{field}.unitPrice.currency"
            )
        currency = currency or (None if price is None else price[1])
        if isinstance(item.quantity, bool) or not 0 < item.quantity <= MAX_QUANTITY:
            checks.fail(f"A quantity is 1 to {MAX_QUANTITY}.", field=f"{field}.quantity")
        if not isinstance(item.sku, str) or _SKU.match(item.sku) is None:
            checks.fail("Not a SKU.", field=f"{field}.sku")
        description = checks(
            check_text, item.description, field=f"{field}.description", max_length=200,
            required=False,
        )  # fmt: skip
        supplier_id = None
        if item.supplier_id is not None:
            supplier_id = checks(check_id, item.supplier_id, field=f"{field}.supplierId")
        if price is not None:
            rows.append(
                ApprovalRequestItem(
                    position=index + 1, sku=item.sku, description=description or None,
                    quantity=item.quantity, unit_price=price[0], currency=price[1],
                    supplier_id=supplier_id,
                )
            )  # fmt: skip
    lines = [(item.sku, item.supplier_id) for item in items]
    await erp_copy.check_items(session, checks, lines)  # what the ERP does not know
    amount = sum((row.quantity * row.unit_price for row in rows), Decimal(0))
    return await _submit(session, actor, "PURCHASE", spec, rows, amount, currency, checks)


async def submit(
    session: AsyncSession, actor: Actor, kind: str, spec: RequestSpec
) -> ApprovalRequest:
    """Submit a request of ``kind`` (EXPENSE needs an amount; PURCHASE has its own call)."""
    kind = check_kind(kind)
    if kind == "PURCHASE":
        raise BadUserInput("Submit purchases with submitPurchaseRequest.", field="kind")
    checks = InputChecks()
    amount: Decimal | None = None
    currency: str | None = None
    if spec.amount is not None:
        money = checks(parse_money, spec.amount, field="input.amount.amount")
        amount, currency = (None, None) if money is None else money
    elif kind == "EXPENSE":
        checks.fail("An expense claim has an amount.", field="input.amount")
    return await _submit(session, actor, kind, spec, [], amount, currency, checks)


async def _submit(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    spec: RequestSpec,
    items: list[ApprovalRequestItem],
    amount: Decimal | None,
    currency: str | None,
    checks: InputChecks,
) -> ApprovalRequest:
    """Check the fields every request has (adding to ``checks``), report every invalid
    field at once, then store the request and its steps."""
    title = checks(check_text, spec.title, field="input.title", max_length=200)
    description = checks(
        check_text, spec.description, field="input.description", max_length=10_000,
        required=False, multiline=True,
    )  # fmt: skip
    payload = checks(_payload, spec.payload)
    now = utc_now()
    period = spec.budget_period
    if period is not None:
        period = checks(check_period, period, field="input.budgetPeriod")
    elif kind in _KINDS_WITH_PERIOD:
        period = current_period(now)
    applicant = await acting_employee(session, actor)
    if kind == "PURCHASE" and period is not None and amount is not None and currency is not None:
        await erp_copy.check_budget(
            session, checks, department_id=applicant.department_id, period=period,
            amount=amount, currency=currency,
        )  # fmt: skip
    checks.done()
    assert title is not None and payload is not None
    description = description or None
    flow = await require_active_flow(session, kind, field="kind")
    request = ApprovalRequest(
        id=new_id(), kind=kind, title=title, description=description,
        applicant_id=applicant.id, department_id=applicant.department_id, flow_id=flow.id,
        status=Status.PENDING, current_step=None, amount=amount, currency=currency,
        budget_period=period, payload=payload, submitted_at=now, updated_at=now,
    )  # fmt: skip
    session.add(request)
    await session.flush()
    for item in items:
        item.request_id = request.id
    session.add_all(items)
    steps = await _steps_for(session, request, applicant, amount, currency)
    session.add_all(steps)
    session.add(_action(request, None, applicant.id, Action.SUBMITTED, None, now))
    first = next((step for step in steps if step.status == StepStatus.WAITING), None)
    if first is None:
        request.status = Status.APPROVED
        request.decided_at = now
    else:
        first.status = StepStatus.PENDING
        request.current_step = first.position
    await session.flush()
    after = events.inbox_slot(first if request.status == Status.PENDING else None)
    await events.approval_changed(session, request, Action.SUBMITTED, before=None, after=after)
    if request.status == Status.APPROVED:
        await _approved(session, request, items)
    return request


async def _approved(
    session: AsyncSession, request: ApprovalRequest, items: Sequence[ApprovalRequestItem]
) -> None:
    """What final approval sets off: the event for the ERP; an expense's notice to its applicant."""
    await events.approval_approved(session, request, items)
    if request.kind == "EXPENSE":
        await notices.expense_approved(session, request)


async def _steps_for(
    session: AsyncSession,
    request: ApprovalRequest,
    applicant: Employee,
    amount: Decimal | None,
    currency: str | None,
) -> list[ApprovalStep]:
    flow_steps = (await steps_by_flow(session, [request.flow_id]))[request.flow_id]
    managers: list[str] | None = None
    steps: list[ApprovalStep] = []
    for flow_step in flow_steps:
        if flow_step.min_amount is not None and amount is not None:
            if currency != flow_step.currency:
                field = "input.amount.currency" if request.kind != "PURCHASE" else "input.items"
                raise BadUserInput(
                    f"This kind's approval thresholds are in {flow_step.currency}.", field=field
                )
            if amount < flow_step.min_amount:
                continue
        assignee: str | None = None
        status = StepStatus.WAITING
        if flow_step.rule == Rule.DEPARTMENT_MANAGER:
            managers = await managers_of(session, applicant) if managers is None else managers
            if managers:
                assignee = managers[0]
            elif await heads_the_company(session, applicant):
                status = StepStatus.SKIPPED  # nobody is above the head of the company
            else:  # a vacancy above: never approve a step nobody could decide
                raise Conflict(
                    "No manager above the applicant can approve this request: a department "
                    "above theirs has no manager. HR appoints one (updateDepartment's managerId) "
                    "first."
                )
        elif flow_step.rule == Rule.EMPLOYEE:
            if flow_step.employee_id == applicant.id:
                status = StepStatus.SKIPPED
            else:  # a deactivated approver's successor stands in (handover.py)
                assignee = await handover.stand_in(session, flow_step.employee_id, applicant.id)
        steps.append(
            ApprovalStep(
                request_id=request.id, position=len(steps) + 1, name=flow_step.name,
                rule=flow_step.rule, role=flow_step.role, assignee_id=assignee,
                min_amount=flow_step.min_amount, currency=flow_step.currency, status=status,
            )
        )  # fmt: skip
    return steps


def _payload(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadUserInput("The payload is a JSON object.", field="input.payload")
    try:
        encoded = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        raise BadUserInput("The payload is not JSON.", field="input.payload") from None
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise BadUserInput(f"At most {MAX_PAYLOAD_BYTES} bytes.", field="input.payload")
    loaded: dict[str, Any] = json.loads(encoded)
    return loaded


# --- deciding ----------------------------------------------------------------------------


async def approve(
    session: AsyncSession,
    actor: Actor,
    request_id: str,
    *,
    comment: str | None,
    step: int | None = None,
) -> ApprovalRequest:
    """Approve the current step; the last approval approves the request."""
    me = await acting_employee(session, actor)
    note = check_text(
        comment, field="comment", max_length=MAX_COMMENT, required=False, multiline=True
    )
    request = await _locked(session, request_id)
    steps = await _steps(session, request)
    current = _check_current_approver(request, steps, actor, step)
    before = events.inbox_slot(current)
    now = utc_now()
    _decide(current, me.id, StepStatus.APPROVED, note or None, now)
    session.add(_action(request, current.position, me.id, Action.APPROVED, note or None, now))
    following = next(
        (s for s in steps if s.position > current.position and s.status == StepStatus.WAITING),
        None,
    )
    if following is None:
        request.status = Status.APPROVED
        request.current_step = None
        request.decided_at = now
    else:
        following.status = StepStatus.PENDING
        request.current_step = following.position
    request.updated_at = now
    await _flush(session)
    after = events.inbox_slot(following)
    await events.approval_changed(session, request, Action.APPROVED, before=before, after=after)
    if request.status == Status.APPROVED:
        await _approved(session, request, await _items(session, request))
    return request


async def reject(
    session: AsyncSession, actor: Actor, request_id: str, *, comment: str, step: int | None = None
) -> ApprovalRequest:
    """Reject the current step, and with it the request; a reason is required."""
    me = await acting_employee(session, actor)
    note = check_text(comment, field="comment", max_length=MAX_COMMENT, multiline=True)
    request = await _locked(session, request_id)
    steps = await _steps(session, request)
    current = _check_current_approver(request, steps, actor, step)
    before = events.inbox_slot(current)
    now = utc_now()
    _decide(current, me.id, StepStatus.REJECTED, note, now)
    _cancel_waiting(steps)
    session.add(_action(request, current.position, me.id, Action.REJECTED, note, now))
    request.status = Status.REJECTED
    request.current_step = None
    request.decided_at = now
    request.updated_at = now
    await _flush(session)
    await events.approval_changed(session, request, Action.REJECTED, before=before, after=None)
    await notices.request_rejected(session, request, me, note)
    return request


async def withdraw(session: AsyncSession, actor: Actor, request_id: str) -> ApprovalRequest:
    """The applicant takes back a pending request."""
    me = await acting_employee(session, actor)
    request = await _locked(session, request_id)
    if request.applicant_id != me.id:
        raise Forbidden("Only the applicant withdraws a request.")
    if request.status != Status.PENDING:
        raise Conflict(f"The request is {request.status.lower()} already.")
    steps = await _steps(session, request)
    before = events.inbox_slot(next((s for s in steps if s.position == request.current_step), None))
    now = utc_now()
    _cancel_waiting(steps)
    session.add(_action(request, request.current_step, me.id, Action.WITHDRAWN, None, now))
    request.status = Status.WITHDRAWN
    request.current_step = None
    request.decided_at = now
    request.updated_at = now
    await _flush(session)
    await events.approval_changed(session, request, Action.WITHDRAWN, before=before, after=None)
    return request


async def transfer(
    session: AsyncSession,
    actor: Actor,
    request_id: str,
    to_employee_id: str,
    *,
    comment: str | None = None,
) -> ApprovalRequest:
    """The current approver hands the current step over to another employee.

    Every invalid argument is reported together; whether the new assignee may take the step
    is one of them, asked once the request is known (``NOT_FOUND``, ``CONFLICT`` and
    ``FORBIDDEN`` come first: they say nothing about the arguments)."""
    me = await acting_employee(session, actor)
    checks = InputChecks()
    note = checks(
        check_text, comment, field="comment", max_length=MAX_COMMENT, required=False,
        multiline=True,
    )  # fmt: skip
    to_id = checks(check_id, to_employee_id, field="toEmployeeId")
    if checks(check_id, request_id, field="id") is None:
        checks.done()  # nothing to look up
    request = await _locked(session, request_id)
    steps = await _steps(session, request)
    current = _check_current_approver(request, steps, actor, None)
    if to_id == me.id:
        checks.fail("The step is yours already.", field="toEmployeeId")
    elif to_id == request.applicant_id:
        checks.fail("The applicant cannot approve their own request.", field="toEmployeeId")
    checks.done()
    to = await require_employee(session, to_employee_id, field="toEmployeeId")
    before = events.inbox_slot(current)
    now = utc_now()
    current.assignee_id = to.id
    action = _action(request, current.position, me.id, Action.TRANSFERRED, note or None, now)
    action.to_employee_id = to.id
    session.add(action)
    request.updated_at = now
    await _flush(session)
    after = events.inbox_slot(current)
    await events.approval_changed(session, request, Action.TRANSFERRED, before=before, after=after)
    return request


def _check_current_approver(
    request: ApprovalRequest, steps: list[ApprovalStep], actor: Actor, expected: int | None
) -> ApprovalStep:
    if request.status != Status.PENDING:
        raise Conflict(f"The request is {request.status.lower()} already.")
    current = next((s for s in steps if s.position == request.current_step), None)
    assert current is not None, request.id
    if expected is not None and expected != current.position:
        raise Conflict(f"Step {expected} is not the current step (step {current.position} is).")
    if can_decide(request, current, actor):
        return current
    for step in steps:
        if step.status in (StepStatus.APPROVED, StepStatus.REJECTED) and _was_approver(
            step, actor, request
        ):
            raise Conflict("Your step of this request has been decided already.")
    raise Forbidden("Only the current approver may decide this request.")


def _was_approver(step: ApprovalStep, actor: Actor, request: ApprovalRequest) -> bool:
    if actor.employee_id == request.applicant_id:
        return False
    if actor.employee_id in (step.assignee_id, step.decided_by):
        return True
    return step.rule == Rule.ROLE and step.role in actor.roles


def _decide(
    step: ApprovalStep, decider: str, status: StepStatus, comment: str | None, now: Any
) -> None:
    step.status = status
    step.assignee_id = decider
    step.decided_by = decider
    step.decided_at = now
    step.comment = comment


def _cancel_waiting(steps: Iterable[ApprovalStep]) -> None:
    for step in steps:
        if step.status in (StepStatus.WAITING, StepStatus.PENDING):
            step.status = StepStatus.CANCELLED


def _action(
    request: ApprovalRequest,
    step: int | None,
    actor_id: str,
    action: Action,
    comment: str | None,
    at: Any,
) -> ApprovalAction:
    return ApprovalAction(
        id=new_id(), request_id=request.id, step=step, actor_id=actor_id, action=action,
        comment=comment, at=at,
    )  # fmt: skip


async def _locked(session: AsyncSession, request_id: str) -> ApprovalRequest:
    """The request row, locked until the transaction ends (SQLite: the database is)."""
    statement = (
        select(ApprovalRequest)
        .where(ApprovalRequest.id == check_id(request_id, field="id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    request = await session.scalar(statement)
    if request is None:
        raise _not_found(request_id)
    return request


async def _steps(session: AsyncSession, request: ApprovalRequest) -> list[ApprovalStep]:
    return (await steps_by_request(session, [request.id]))[request.id]


async def _items(session: AsyncSession, request: ApprovalRequest) -> list[ApprovalRequestItem]:
    return (await items_by_request(session, [request.id]))[request.id]


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError:
        raise Conflict("The request changed meanwhile; reload it and try again.") from None


def _not_found(request_id: str) -> NotFound:
    return NotFound(
        f"No approval request {request_id}.", extensions={"field": "id", "id": request_id}
    )
