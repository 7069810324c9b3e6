# mypy: disable-error-code="untyped-decorator"
"""Approvals: flows, submissions, decisions, the inbox and my requests."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.errors import NotFound
from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, change, sessions
from subgraphs.oa.store import approval_reads, approvals, flows
from subgraphs.oa.store.validation import check_id, check_kind
from subgraphs.oa.types.approvals import (
    ApprovalFlow,
    ApprovalRequest,
    ApprovalRequestInput,
    ApprovalStatus,
    DefineApprovalFlowInput,
    PurchaseRequestInput,
    visible_request,
)
from tandem_shared.db import transaction

__all__ = ["ApprovalsMutation", "ApprovalsQuery"]


@strawberry.type
class ApprovalsQuery:
    @strawberry.field(description="Requests waiting for my decision, oldest first.")
    async def approval_inbox(
        self, info: Info[Any, Any], first: int | None = 20, after: str | None = None
    ) -> Connection[ApprovalRequest]:
        async with transaction(sessions(info)) as session:
            page = await approval_reads.find_inbox(session, actor(info), first=first, after=after)
        return page.to_connection(ApprovalRequest.from_row)

    @strawberry.field(description="Requests I submitted, newest first.")
    async def my_approval_requests(
        self,
        info: Info[Any, Any],
        status: ApprovalStatus | None = None,
        kind: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[ApprovalRequest]:
        async with transaction(sessions(info)) as session:
            page = await approval_reads.find_my_requests(
                session,
                actor(info),
                status=None if status is None else approval_reads.Status(status.value),
                kind=kind,
                first=first,
                after=after,
            )
        return page.to_connection(ApprovalRequest.from_row)

    @strawberry.field(description="One request I may read; NOT_FOUND otherwise.")
    async def approval_request(
        self, info: Info[Any, Any], id: strawberry.ID
    ) -> ApprovalRequest | None:
        row = await visible_request(info, check_id(id, field="id"))
        if row is None:
            raise NotFound(f"No approval request {id}.", extensions={"field": "id", "id": id})
        return ApprovalRequest.from_row(row)

    @strawberry.field(description="The active flow of every kind, by kind.")
    async def approval_flows(self, info: Info[Any, Any]) -> list[ApprovalFlow]:
        actor(info)
        async with transaction(sessions(info)) as session:
            rows = await flows.active_flows(session)
        return [ApprovalFlow.from_row(row) for row in rows]

    @strawberry.field(description="The active flow of a kind; null if none is defined.")
    async def approval_flow(self, info: Info[Any, Any], kind: str) -> ApprovalFlow | None:
        actor(info)
        async with transaction(sessions(info)) as session:
            row = await flows.active_flow(session, check_kind(kind))
        return None if row is None else ApprovalFlow.from_row(row)


@strawberry.type
class ApprovalsMutation:
    @strawberry.mutation(description="Define the flow of a kind (roles hr, security_admin).")
    async def define_approval_flow(
        self, info: Info[Any, Any], input: DefineApprovalFlowInput
    ) -> ApprovalFlow:
        steps = [
            flows.StepSpec(
                rule=flows.Rule(step.rule.value),
                name=step.name,
                role=step.role,
                employee_id=step.employee_id,
                min_amount=step.min_amount,
            )
            for step in input.steps
        ]
        async with change(info) as session:
            row = await flows.define_flow(
                session, actor(info), kind=input.kind, name=input.name, steps=steps
            )
        return ApprovalFlow.from_row(row)

    @strawberry.mutation(description="Submit a purchase request; its amount is its items' total.")
    async def submit_purchase_request(
        self, info: Info[Any, Any], input: PurchaseRequestInput
    ) -> ApprovalRequest:
        spec = approvals.RequestSpec(
            title=input.title,
            description=input.description,
            budget_period=input.budget_period,
            payload=input.payload,
        )
        items = [
            approvals.ItemSpec(
                sku=item.sku,
                quantity=item.quantity,
                unit_price=item.unit_price,
                description=item.description,
                supplier_id=item.supplier_id,
            )
            for item in input.items
        ]
        async with change(info) as session:
            row = await approvals.submit_purchase(session, actor(info), spec, items)
        return ApprovalRequest.from_row(row)

    @strawberry.mutation(description="Submit a request of any other kind (EXPENSE, LEAVE, ...).")
    async def submit_approval_request(
        self, info: Info[Any, Any], kind: str, input: ApprovalRequestInput
    ) -> ApprovalRequest:
        spec = approvals.RequestSpec(
            title=input.title,
            description=input.description,
            amount=input.amount,
            budget_period=input.budget_period,
            payload=input.payload,
        )
        async with change(info) as session:
            row = await approvals.submit(session, actor(info), kind, spec)
        return ApprovalRequest.from_row(row)

    @strawberry.mutation(
        description="Approve the current step (current approver only). `step`, if given, "
        "must be the current step's number (CONFLICT otherwise): it guards a repeated click."
    )
    async def approve(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        comment: str | None = None,
        step: int | None = None,
    ) -> ApprovalRequest:
        async with change(info) as session:
            row = await approvals.approve(session, actor(info), id, comment=comment, step=step)
        return ApprovalRequest.from_row(row)

    @strawberry.mutation(description="Reject the request at the current step, with a reason.")
    async def reject(
        self, info: Info[Any, Any], id: strawberry.ID, comment: str, step: int | None = None
    ) -> ApprovalRequest:
        async with change(info) as session:
            row = await approvals.reject(session, actor(info), id, comment=comment, step=step)
        return ApprovalRequest.from_row(row)

    @strawberry.mutation(description="Withdraw my pending request.")
    async def withdraw(self, info: Info[Any, Any], id: strawberry.ID) -> ApprovalRequest:
        async with change(info) as session:
            row = await approvals.withdraw(session, actor(info), id)
        return ApprovalRequest.from_row(row)

    @strawberry.mutation(description="Hand the current step over to another employee.")
    async def transfer(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        to_employee_id: strawberry.ID,
        comment: str | None = None,
    ) -> ApprovalRequest:
        async with change(info) as session:
            row = await approvals.transfer(
                session, actor(info), id, to_employee_id, comment=comment
            )
        return ApprovalRequest.from_row(row)
