"""Approval flows, defined at run time: a kind's ordered steps and who approves each.

A step's approver rule is one of

- ``ROLE`` *role*: anyone whose token carries the role (``finance``);
- ``DEPARTMENT_MANAGER``: the manager of the applicant's department; when the applicant
  manages it themself, the manager of the department above (and so on up); with nobody
  above, the step is skipped for the head of the company and anyone else's request is
  refused (CONFLICT) until HR appoints a manager: a step nobody decides never approves;
- ``EMPLOYEE`` *id*: that employee.

A step with a minimum amount applies only to requests of at least that amount (in the
same currency). Defining a kind's flow again retires the previous version; requests
already submitted keep their steps. Who may define flows: roles :data:`DEFINER_ROLES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import Forbidden, InputChecks, NotFound
from subgraphs.common.money import MoneyInput, parse_money
from subgraphs.oa.store.models import ApprovalFlow, ApprovalFlowStep, new_id
from subgraphs.oa.store.people import Actor, require_employee
from subgraphs.oa.store.validation import check_kind, check_role, check_text
from tandem_shared.timestamps import utc_now

__all__ = [
    "DEFINER_ROLES",
    "MAX_STEPS",
    "Rule",
    "StepSpec",
    "active_flow",
    "active_flows",
    "define_flow",
    "steps_by_flow",
]

DEFINER_ROLES: Final = ("hr", "security_admin")
MAX_STEPS: Final = 20


class Rule(StrEnum):
    ROLE = "ROLE"
    DEPARTMENT_MANAGER = "DEPARTMENT_MANAGER"
    EMPLOYEE = "EMPLOYEE"


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step as given to :func:`define_flow`."""

    rule: Rule
    name: str | None = None
    role: str | None = None
    employee_id: str | None = None
    min_amount: MoneyInput | None = None


async def define_flow(
    session: AsyncSession,
    actor: Actor | None,
    *,
    kind: str,
    name: str,
    steps: Sequence[StepSpec],
) -> ApprovalFlow:
    """The new active flow of ``kind`` (``actor`` None: the system, e.g. the demo seed)."""
    if actor is not None and not actor.has_role(*DEFINER_ROLES):
        raise Forbidden("Only HR and security administrators define approval flows.")
    checks = InputChecks()
    checked_kind = checks(check_kind, kind, field="input.kind")
    checked_name = checks(check_text, name, field="input.name", max_length=200)
    if not 0 < len(steps) <= MAX_STEPS:
        checks.fail(f"A flow has 1 to {MAX_STEPS} steps.", field="input.steps")
    rows = [await _step(session, index, spec, checks) for index, spec in enumerate(steps)]
    checks.done()
    assert checked_kind is not None and checked_name is not None
    kind, name = checked_kind, checked_name
    latest = await session.scalar(
        select(func.max(ApprovalFlow.version)).where(ApprovalFlow.kind == kind)
    )
    await session.execute(
        update(ApprovalFlow).where(ApprovalFlow.kind == kind).values(active=False)
    )
    flow = ApprovalFlow(
        id=new_id(),
        kind=kind,
        name=name,
        version=(latest or 0) + 1,
        active=True,
        defined_by=None if actor is None else actor.employee_id,
        defined_at=utc_now(),
    )
    session.add(flow)
    await session.flush()
    for row in rows:
        row.flow_id = flow.id
    session.add_all(rows)
    await session.flush()
    return flow


async def active_flow(session: AsyncSession, kind: str) -> ApprovalFlow | None:
    """The flow requests of ``kind`` follow now, if one is defined."""
    statement = select(ApprovalFlow).where(ApprovalFlow.kind == kind, ApprovalFlow.active)
    return await session.scalar(statement)


async def active_flows(session: AsyncSession) -> list[ApprovalFlow]:
    """Every kind's active flow, by kind."""
    statement = select(ApprovalFlow).where(ApprovalFlow.active).order_by(ApprovalFlow.kind)
    return list(await session.scalars(statement))


async def require_active_flow(session: AsyncSession, kind: str, *, field: str) -> ApprovalFlow:
    """The active flow of ``kind``; ``NOT_FOUND`` naming ``field`` when none is defined."""
    flow = await active_flow(session, kind)
    if flow is None:
        raise NotFound(
            f"No approval flow is defined for {kind}.", extensions={"field": field, "kind": kind}
        )
    return flow


async def steps_by_flow(
    session: AsyncSession, flow_ids: Sequence[str]
) -> dict[str, list[ApprovalFlowStep]]:
    """The steps of each flow, in order."""
    found: dict[str, list[ApprovalFlowStep]] = {flow_id: [] for flow_id in flow_ids}
    statement = (
        select(ApprovalFlowStep)
        .where(ApprovalFlowStep.flow_id.in_(set(flow_ids)))
        .order_by(ApprovalFlowStep.position)
    )
    for step in await session.scalars(statement):
        found[step.flow_id].append(step)
    return found


async def _step(
    session: AsyncSession, index: int, spec: StepSpec, checks: InputChecks
) -> ApprovalFlowStep:
    """The step's row; its invalid fields are kept in ``checks`` (the row is then unusable:
    the caller raises them before storing anything)."""
    field = f"input.steps.{index}"
    role: str | None = None
    employee_id: str | None = None
    if spec.rule is Rule.ROLE:
        role = checks(check_role, spec.role, field=f"{field}.role")
    elif spec.role is not None:
        checks.fail("Only a ROLE step names a role.", field=f"{field}.role")
    if spec.rule is Rule.EMPLOYEE:
        if spec.employee_id is None:
            checks.fail("An EMPLOYEE step names the employee.", field=f"{field}.employeeId")
        else:
            employee = await require_employee(
                session, spec.employee_id, field=f"{field}.employeeId"
            )
            employee_id = employee.id
    elif spec.employee_id is not None:
        checks.fail("Only an EMPLOYEE step names an employee.", field=f"{field}.employeeId")
    min_amount: Decimal | None = None
    currency: str | None = None
    if spec.min_amount is not None:
        money = checks(parse_money, spec.min_amount, field=f"{field}.minAmount.amount")
        min_amount, currency = (None, None) if money is None else money
    default_name = {
        Rule.ROLE: f"Approval by {role}",
        Rule.DEPARTMENT_MANAGER: "Department manager",
        Rule.EMPLOYEE: "Named approver",
    }[spec.rule]
    name = checks(check_text, spec.name or default_name, field=f"{field}.name", max_length=200)
    return ApprovalFlowStep(
        position=index + 1,
        name=name,
        rule=spec.rule,
        role=role,
        employee_id=employee_id,
        min_amount=min_amount,
        currency=currency,
    )
