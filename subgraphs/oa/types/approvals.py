# mypy: disable-error-code="untyped-decorator"
"""``ApprovalRequest`` (an entity: ``@key(fields: "id")``), its steps and history, and flows."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Self, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from subgraphs.common.money import Money, MoneyInput
from subgraphs.oa.context import actor, loaders
from subgraphs.oa.store import approval_reads, models
from subgraphs.oa.types.people import Department, Employee, employee_or_none

__all__ = [
    "ApprovalAction",
    "ApprovalActionKind",
    "ApprovalDecision",
    "ApprovalFlow",
    "ApprovalFlowStep",
    "ApprovalRequest",
    "ApprovalRequestInput",
    "ApprovalStatus",
    "ApprovalStep",
    "ApprovalStepInput",
    "ApprovalStepStatus",
    "ApproverRule",
    "DefineApprovalFlowInput",
    "PurchaseItem",
    "PurchaseItemInput",
    "PurchaseRequestInput",
    "visible_request",
]


@strawberry.enum(
    description="FAILED: approved, but the ERP could not carry it out (the history's FAILED "
    "entry says why); an administrator retries or cancels it."
)
class ApprovalStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    FAILED = "FAILED"


@strawberry.enum(
    description="WAITING: a later step; PENDING: the current one; SKIPPED: no one "
    "could decide it (e.g. the applicant is the manager); CANCELLED: never reached."
)
class ApprovalStepStatus(Enum):
    WAITING = "WAITING"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class ApprovalDecision(Enum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.enum(
    description="Who approves a step: holders of a role, the applicant's "
    "department manager, or a named employee."
)
class ApproverRule(Enum):
    ROLE = "ROLE"
    DEPARTMENT_MANAGER = "DEPARTMENT_MANAGER"
    EMPLOYEE = "EMPLOYEE"


@strawberry.enum
class ApprovalActionKind(Enum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    TRANSFERRED = "TRANSFERRED"
    FAILED = "FAILED"
    REASSIGNED = "REASSIGNED"


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money.of(amount, currency)


@strawberry.type(description="A step of a flow definition.")
class ApprovalFlowStep:
    number: int
    name: str
    rule: ApproverRule
    role: str | None
    min_amount: Money | None = strawberry.field(
        description="The step applies only to requests of at least this amount."
    )
    employee_id: strawberry.Private[str | None]

    @strawberry.field(description="The approver of an EMPLOYEE step.")
    async def employee(self, info: Info[Any, Any]) -> Employee | None:
        if self.employee_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.employee_id))

    @classmethod
    def from_row(cls, row: models.ApprovalFlowStep) -> Self:
        return cls(
            number=row.position,
            name=row.name,
            rule=ApproverRule(row.rule),
            role=row.role,
            min_amount=_money(row.min_amount, row.currency),
            employee_id=row.employee_id,
        )


@strawberry.type(description="How requests of a kind are approved: ordered steps.")
class ApprovalFlow:
    id: strawberry.ID
    kind: str
    name: str
    version: int = strawberry.field(description="1 for a kind's first flow; each new one adds 1.")
    active: bool
    defined_at: datetime
    defined_by_id: strawberry.Private[str | None]

    @strawberry.field
    async def steps(self, info: Info[Any, Any]) -> list[ApprovalFlowStep]:
        rows = await loaders(info).flow_steps.load(str(self.id))
        return [ApprovalFlowStep.from_row(row) for row in rows]

    @strawberry.field(description="Who defined it; null for the system (demo data).")
    async def defined_by(self, info: Info[Any, Any]) -> Employee | None:
        if self.defined_by_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.defined_by_id))

    @classmethod
    def from_row(cls, row: models.ApprovalFlow) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            name=row.name,
            version=row.version,
            active=row.active,
            defined_at=row.defined_at,
            defined_by_id=row.defined_by,
        )


@strawberry.type(description="A line of a purchase request.")
class PurchaseItem:
    sku: str
    description: str | None
    quantity: int
    unit_price: Money
    amount: Money = strawberry.field(description="quantity x unitPrice")
    supplier_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: models.ApprovalRequestItem) -> Self:
        return cls(
            sku=row.sku,
            description=row.description,
            quantity=row.quantity,
            unit_price=Money.of(row.unit_price, row.currency),
            amount=Money.of(row.quantity * row.unit_price, row.currency),
            supplier_id=None if row.supplier_id is None else strawberry.ID(row.supplier_id),
        )


@strawberry.type(description="A step of one request, with its decision once decided.")
class ApprovalStep:
    number: int
    name: str
    rule: ApproverRule
    role: str | None = strawberry.field(description="The role of a ROLE step.")
    min_amount: Money | None
    status: ApprovalStepStatus
    decision: ApprovalDecision | None
    comment: str | None
    decided_at: datetime | None
    approver_id: strawberry.Private[str | None]

    @strawberry.field(
        description="Who decides (null: any holder of the role); who decided, once decided."
    )
    async def approver(self, info: Info[Any, Any]) -> Employee | None:
        if self.approver_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.approver_id))

    @classmethod
    def from_row(cls, row: models.ApprovalStep) -> Self:
        decided = row.status in (ApprovalDecision.APPROVED.value, ApprovalDecision.REJECTED.value)
        return cls(
            number=row.position,
            name=row.name,
            rule=ApproverRule(row.rule),
            role=row.role,
            min_amount=_money(row.min_amount, row.currency),
            status=ApprovalStepStatus(row.status),
            decision=ApprovalDecision(row.status) if decided else None,
            comment=row.comment,
            decided_at=row.decided_at,
            approver_id=row.assignee_id,
        )


@strawberry.type(description="An entry of a request's history.")
class ApprovalAction:
    action: ApprovalActionKind
    step: int | None = strawberry.field(description="The step it concerned, if any.")
    comment: str | None
    at: datetime
    actor_id: strawberry.Private[str | None]
    to_employee_id: strawberry.Private[str | None]

    @strawberry.field
    async def actor(self, info: Info[Any, Any]) -> Employee | None:
        if self.actor_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.actor_id))

    @strawberry.field(description="Whom a TRANSFERRED step went to.")
    async def to_employee(self, info: Info[Any, Any]) -> Employee | None:
        if self.to_employee_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.to_employee_id))

    @classmethod
    def from_row(cls, row: models.ApprovalAction) -> Self:
        return cls(
            action=ApprovalActionKind(row.action),
            step=row.step,
            comment=row.comment,
            at=row.at,
            actor_id=row.actor_id,
            to_employee_id=row.to_employee_id,
        )


@strawberry.federation.type(
    keys=["id"], description="A request walking its approval flow (purchase, expense, leave...)."
)
class ApprovalRequest:
    id: strawberry.ID
    kind: str = strawberry.field(description="PURCHASE, EXPENSE, LEAVE, CONTRACT or custom.")
    title: str
    description: str | None
    status: ApprovalStatus
    amount: Money | None = strawberry.field(description="For PURCHASE: the items' total.")
    budget_period: str | None = strawberry.field(description="YYYY-MM, for PURCHASE and EXPENSE.")
    payload: JSON = strawberry.field(description="Free-form details given at submission.")
    submitted_at: datetime
    updated_at: datetime
    decided_at: datetime | None = strawberry.field(
        description="When it was approved, rejected or withdrawn."
    )
    row: strawberry.Private[models.ApprovalRequest]

    @strawberry.field
    async def applicant(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.row.applicant_id)
        assert row is not None, self.row.applicant_id  # a foreign key
        return Employee.from_row(row)

    @strawberry.field(description="The applicant's department when submitted.")
    async def department(self, info: Info[Any, Any]) -> Department:
        row = await loaders(info).department.load(self.row.department_id)
        assert row is not None, self.row.department_id  # a foreign key
        return Department.from_row(row)

    @strawberry.field(description="The lines of a purchase request (empty for other kinds).")
    async def items(self, info: Info[Any, Any]) -> list[PurchaseItem]:
        return [PurchaseItem.from_row(row) for row in await loaders(info).items.load(str(self.id))]

    @strawberry.field(description="The steps that apply to this request, in order.")
    async def steps(self, info: Info[Any, Any]) -> list[ApprovalStep]:
        return [ApprovalStep.from_row(row) for row in await loaders(info).steps.load(str(self.id))]

    @strawberry.field(description="The step waiting for a decision; null once decided.")
    async def current_step(self, info: Info[Any, Any]) -> ApprovalStep | None:
        step = await self._current(info)
        return None if step is None else ApprovalStep.from_row(step)

    @strawberry.field(description="Whether I may decide the current step now.")
    async def can_decide(self, info: Info[Any, Any]) -> bool:
        return approval_reads.can_decide(self.row, await self._current(info), actor(info))

    @strawberry.field(description="Submission, decisions, transfers, withdrawal; oldest first.")
    async def history(self, info: Info[Any, Any]) -> list[ApprovalAction]:
        rows = await loaders(info).actions.load(str(self.id))
        return [ApprovalAction.from_row(row) for row in rows]

    async def _current(self, info: Info[Any, Any]) -> models.ApprovalStep | None:
        if self.row.current_step is None:
            return None
        steps = await loaders(info).steps.load(str(self.id))
        return next((s for s in steps if s.position == self.row.current_step), None)

    @classmethod
    def from_row(cls, row: models.ApprovalRequest) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            kind=row.kind,
            title=row.title,
            description=row.description,
            status=ApprovalStatus(row.status),
            amount=_money(row.amount, row.currency),
            budget_period=row.budget_period,
            payload=cast(JSON, row.payload),
            submitted_at=row.submitted_at,
            updated_at=row.updated_at,
            decided_at=row.decided_at,
            row=row,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Self | None:
        row = await visible_request(info, str(id))
        return None if row is None else cls.from_row(row)


async def visible_request(info: Info[Any, Any], request_id: str) -> models.ApprovalRequest | None:
    """The request if it exists and the acting principal may read it."""
    row = await loaders(info).request.load(request_id)
    if row is None:
        return None
    steps = await loaders(info).steps.load(request_id)
    actions = await loaders(info).actions.load(request_id)
    return row if approval_reads.can_see(row, steps, actions, actor(info)) else None


@strawberry.input(description="A flow step; ROLE steps name a role, EMPLOYEE steps an employee.")
class ApprovalStepInput:
    rule: ApproverRule
    name: str | None = None
    role: str | None = None
    employee_id: strawberry.ID | None = None
    min_amount: MoneyInput | None = strawberry.field(
        default=None, description="Apply the step only from this amount on."
    )


@strawberry.input
class DefineApprovalFlowInput:
    kind: str = strawberry.field(description="PURCHASE, EXPENSE, LEAVE, CONTRACT or custom.")
    name: str
    steps: list[ApprovalStepInput]


@strawberry.input
class PurchaseItemInput:
    sku: str
    quantity: int
    unit_price: MoneyInput
    description: str | None = None
    supplier_id: strawberry.ID | None = None


@strawberry.input
class PurchaseRequestInput:
    title: str
    items: list[PurchaseItemInput]
    description: str | None = None
    budget_period: str | None = strawberry.field(
        default=None, description="YYYY-MM of the department budget; default: this month."
    )
    payload: JSON | None = None


@strawberry.input
class ApprovalRequestInput:
    title: str
    description: str | None = None
    amount: MoneyInput | None = strawberry.field(
        default=None, description="Required for EXPENSE; compared with step thresholds."
    )
    budget_period: str | None = strawberry.field(
        default=None, description="YYYY-MM; EXPENSE default: this month."
    )
    payload: JSON | None = strawberry.field(
        default=None, description="Details, e.g. {from, to, reason} for LEAVE."
    )
