# mypy: disable-error-code="untyped-decorator"
"""The GraphQL shape of approval analytics (:mod:`subgraphs.oa.store.approval_analytics`).

Each section (``flows``, ``steps``, ``approvers``, ``slowestSteps``) is its own resolver, so
a dashboard pays only for the queries of the sections it selects.
"""

from __future__ import annotations

import asyncio
from dataclasses import field
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput
from subgraphs.common.sql_stats import DurationStats as Stats
from subgraphs.oa.context import loaders, sessions
from subgraphs.oa.store import approval_analytics as analytics
from subgraphs.oa.types.approvals import ApprovalStatus, ApproverRule
from subgraphs.oa.types.people import Department, Employee
from tandem_shared.db import transaction

__all__ = [
    "ApprovalAnalytics",
    "ApprovalAnalyticsFilter",
    "ApprovalFlowAnalytics",
    "ApprovalRequestFilter",
    "ApprovalStepAnalytics",
    "ApproverAnalytics",
    "DurationStats",
    "WeeklyThroughput",
]

MAX_SLOWEST = 50


@strawberry.input(description="Which requests count; every given condition holds.")
class ApprovalAnalyticsFilter:
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="The applicant's department when submitted (managers: theirs)."
    )
    kind: str | None = strawberry.field(default=None, description="One flow's kind: PURCHASE...")
    since: datetime | None = strawberry.field(
        default=None, name="from", description="Submitted at or after this time."
    )
    until: datetime | None = strawberry.field(
        default=None, name="to", description="Submitted before this time."
    )


@strawberry.input(description="The company-wide list's conditions; every given one holds.")
class ApprovalRequestFilter:
    status: ApprovalStatus | None = None
    kind: str | None = None
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="The applicant's department when submitted (managers: theirs)."
    )
    applicant_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(
        default=None, name="from", description="Submitted at or after this time."
    )
    until: datetime | None = strawberry.field(
        default=None, name="to", description="Submitted before this time."
    )


@strawberry.type(
    description="Statistics of durations in seconds (whole seconds measured; the median and "
    "90th percentile interpolate linearly, as SQL's percentile_cont). Null when count is 0."
)
class DurationStats:
    count: int
    median: float | None = strawberry.field(description="Seconds.")
    p90: float | None = strawberry.field(description="Seconds: 90% took at most this long.")
    max: int | None = strawberry.field(description="Seconds.")

    @classmethod
    def of(cls, stats: Stats) -> Self:
        return cls(count=stats.count, median=stats.median, p90=stats.p90, max=stats.max)


@strawberry.type(description="Requests of one flow finished in one week (Monday, UTC+08:00).")
class WeeklyThroughput:
    week_starting: str = strawberry.field(description="The week's Monday: YYYY-MM-DD.")
    finished: int = strawberry.field(description="Approved, rejected or withdrawn that week.")
    approved: int
    rejected: int
    withdrawn: int


@strawberry.type(description="One flow (kind): volumes, outcomes, cycle time, throughput.")
class ApprovalFlowAnalytics:
    kind: str
    name: str | None = strawberry.field(description="The active flow's name.")
    requests: int = strawberry.field(description="Requests submitted (in the filter's period).")
    pending: int
    approved: int
    rejected: int
    withdrawn: int
    cycle_time: DurationStats = strawberry.field(
        description="Submission to outcome, of approved and rejected requests."
    )
    rejection_rate: float | None = strawberry.field(
        description="Rejected / finished (approved + rejected + withdrawn); null if none."
    )
    withdrawal_rate: float | None = strawberry.field(
        description="Withdrawn / finished; null if none finished."
    )
    throughput: list[WeeklyThroughput] = strawberry.field(description="Per week, oldest first.")


@strawberry.type(description="One step of a flow: decisions, waiting time, backlog.")
class ApprovalStepAnalytics:
    kind: str
    number: int = strawberry.field(description="The step's position in its requests (1-based).")
    name: str
    approver_rule: ApproverRule
    role: str | None = strawberry.field(description="The role of a ROLE step.")
    decided: int
    rejected: int
    waiting: DurationStats = strawberry.field(
        description="From becoming the current step to its decision."
    )
    backlog: int = strawberry.field(description="Requests waiting at this step now.")
    backlog_age: DurationStats = strawberry.field(description="How long they have waited so far.")
    oldest_pending_since: datetime | None = strawberry.field(
        description="Since when the longest-waiting one waits."
    )

    @classmethod
    def of(cls, row: analytics.StepFigures) -> Self:
        return cls(
            kind=row.kind,
            number=row.position,
            name=row.name,
            approver_rule=ApproverRule(row.rule),
            role=row.role,
            decided=row.decided,
            rejected=row.rejected,
            waiting=DurationStats.of(row.waiting),
            backlog=row.backlog,
            backlog_age=DurationStats.of(row.backlog_age),
            oldest_pending_since=row.oldest_pending_since,
        )


@strawberry.type(description="One approver: decisions, response time, what waits for them.")
class ApproverAnalytics:
    decided: int
    approved: int
    rejected: int
    waiting: DurationStats = strawberry.field(
        description="How long the steps they decided waited for them."
    )
    backlog: int = strawberry.field(description="Steps assigned to them, waiting now.")
    backlog_age: DurationStats
    oldest_pending_since: datetime | None
    approver_id: strawberry.Private[str]

    @strawberry.field
    async def approver(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.approver_id)
        assert row is not None, self.approver_id  # a foreign key
        return Employee.from_row(row)


@strawberry.type(
    description="How approvals flow: per flow, step and approver (managers: their department; "
    "auditors: any). Durations in seconds."
)
class ApprovalAnalytics:
    as_of: datetime = strawberry.field(description="The moment backlog ages are measured at.")
    selection: strawberry.Private[analytics.AnalyticsFilter]
    step_cache: strawberry.Private[asyncio.Future[list[analytics.StepFigures]] | None] = field(
        default=None
    )

    @strawberry.field(description="The department the figures are restricted to; null: all.")
    async def department(self, info: Info[Any, Any]) -> Department | None:
        if self.selection.department_id is None:
            return None
        row = await loaders(info).department.load(self.selection.department_id)
        return None if row is None else Department.from_row(row)

    @strawberry.field(description="Per flow (kind), by kind.")
    async def flows(self, info: Info[Any, Any]) -> list[ApprovalFlowAnalytics]:
        async with transaction(sessions(info)) as session:
            flows = await analytics.flow_figures(session, self.selection)
            weeks = await analytics.throughput(session, self.selection)
        return [
            ApprovalFlowAnalytics(
                kind=flow.kind,
                name=flow.name,
                requests=flow.requests,
                pending=flow.pending,
                approved=flow.approved,
                rejected=flow.rejected,
                withdrawn=flow.withdrawn,
                cycle_time=DurationStats.of(flow.cycle_time),
                rejection_rate=flow.rejection_rate,
                withdrawal_rate=flow.withdrawal_rate,
                throughput=[
                    WeeklyThroughput(
                        week_starting=week.week_starting,
                        finished=week.finished,
                        approved=week.approved,
                        rejected=week.rejected,
                        withdrawn=week.withdrawn,
                    )
                    for week in weeks
                    if week.kind == flow.kind
                ],
            )
            for flow in flows
        ]

    @strawberry.field(description="Per flow and step, by kind and step number.")
    async def steps(self, info: Info[Any, Any]) -> list[ApprovalStepAnalytics]:
        return [ApprovalStepAnalytics.of(row) for row in await self._step_rows(info)]

    @strawberry.field(
        description="The steps with the longest median waiting time, longest first (at most 50)."
    )
    async def slowest_steps(
        self, info: Info[Any, Any], first: int = 5
    ) -> list[ApprovalStepAnalytics]:
        if not 0 <= first <= MAX_SLOWEST:
            raise BadUserInput(f"`first` is 0 to {MAX_SLOWEST}.", field="first")
        timed = [row for row in await self._step_rows(info) if row.waiting.median is not None]
        timed.sort(key=lambda row: (-(row.waiting.median or 0.0), row.kind, row.position))
        return [ApprovalStepAnalytics.of(row) for row in timed[:first]]

    @strawberry.field(description="Per approver, by approver id.")
    async def approvers(self, info: Info[Any, Any]) -> list[ApproverAnalytics]:
        async with transaction(sessions(info)) as session:
            rows = await analytics.approver_figures(session, self.selection, self.as_of)
        return [
            ApproverAnalytics(
                decided=row.decided,
                approved=row.approved,
                rejected=row.rejected,
                waiting=DurationStats.of(row.waiting),
                backlog=row.backlog,
                backlog_age=DurationStats.of(row.backlog_age),
                oldest_pending_since=row.oldest_pending_since,
                approver_id=row.approver_id,
            )
            for row in rows
        ]

    async def _step_rows(self, info: Info[Any, Any]) -> list[analytics.StepFigures]:
        """The per-step figures, queried once however many sections ask (``steps`` and
        ``slowestSteps`` resolve concurrently: the second awaits the first's task)."""
        if self.step_cache is None:
            self.step_cache = asyncio.ensure_future(self._query_steps(info))
        return await self.step_cache

    async def _query_steps(self, info: Info[Any, Any]) -> list[analytics.StepFigures]:
        async with transaction(sessions(info)) as session:
            return await analytics.step_figures(session, self.selection, self.as_of)
