"""Process analytics of approvals, computed by the database (issue 16, item 2).

What is measured, for the requests a :class:`AnalyticsFilter` selects (submitted in
``[since, until)``, of a kind, of a department):

- **cycle time** of a request: from submission to its outcome (``APPROVED`` or
  ``REJECTED``; withdrawn requests have no outcome and are left out);
- **waiting time** of a step: from the moment it became the current one (the decision of
  the step before it, or the submission for the first) to its decision;
- **backlog**: steps waiting for a decision now, and their **age** (now minus the same
  start);
- **throughput**: requests finished (approved, rejected or withdrawn) per week, weeks
  starting on Monday on the company's clock (UTC+08:00);
- **rejection and withdrawal rates**: rejected (withdrawn) among the finished requests.

Durations are whole seconds; medians and 90th percentiles interpolate as
``percentile_cont`` (:mod:`subgraphs.common.sql_stats`). Each figure is one ``GROUP BY``
query; Python only joins the aggregate rows of two queries by their keys.

Who may ask (:func:`scope`): holders of ``auditor`` for any department; a ``manager`` for
their own department only (asked without a department, theirs is taken); anyone else is
``FORBIDDEN``. The same scope guards the company-wide list of requests
(:func:`find_requests`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from subgraphs.common.errors import BadUserInput, Forbidden
from subgraphs.common.pagination import Page, paginate
from subgraphs.common.sql_stats import (
    DurationStats,
    duration_stats,
    elapsed_seconds,
    ordered_stats_columns,
    rank_columns,
    stats_columns,
    week_starting,
)
from subgraphs.oa.store.approval_reads import Status, StepStatus
from subgraphs.oa.store.models import ApprovalFlow, ApprovalRequest, ApprovalStep
from subgraphs.oa.store.people import Actor, acting_employee
from subgraphs.oa.store.validation import check_id, check_kind
from tandem_shared.timestamps import AwareDateTime, require_aware

__all__ = [
    "ANALYST_ROLES",
    "AnalyticsFilter",
    "ApproverFigures",
    "FlowFigures",
    "RequestFilter",
    "StepFigures",
    "WeekFigures",
    "approver_figures",
    "check_window",
    "find_requests",
    "flow_figures",
    "scope",
    "step_figures",
    "throughput",
]

ANALYST_ROLES: Final = ("auditor",)
"""Roles that see every department's figures and requests."""
DEPARTMENT_ROLES: Final = ("manager",)
"""Roles that see their own department's."""
_FINISHED: Final = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN)
_OUTCOMES: Final = (Status.APPROVED, Status.REJECTED)
_DECIDED_STEPS: Final = (StepStatus.APPROVED, StepStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class AnalyticsFilter:
    """Which requests count: every given condition holds (``until`` excluded)."""

    department_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """The company-wide list's conditions (``submitted`` in ``[since, until)``)."""

    department_id: str | None = None
    kind: str | None = None
    status: Status | None = None
    applicant_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class FlowFigures:
    kind: str
    name: str | None
    requests: int
    pending: int
    approved: int
    rejected: int
    withdrawn: int
    cycle_time: DurationStats

    @property
    def finished(self) -> int:
        return self.approved + self.rejected + self.withdrawn

    @property
    def rejection_rate(self) -> float | None:
        return None if not self.finished else self.rejected / self.finished

    @property
    def withdrawal_rate(self) -> float | None:
        return None if not self.finished else self.withdrawn / self.finished


@dataclass(frozen=True, slots=True)
class WeekFigures:
    kind: str
    week_starting: str
    finished: int
    approved: int
    rejected: int
    withdrawn: int


@dataclass(frozen=True, slots=True)
class StepFigures:
    kind: str
    position: int
    name: str
    rule: str
    role: str | None
    decided: int
    rejected: int
    waiting: DurationStats
    backlog: int
    backlog_age: DurationStats
    oldest_pending_since: datetime | None


@dataclass(frozen=True, slots=True)
class ApproverFigures:
    approver_id: str
    decided: int
    approved: int
    rejected: int
    waiting: DurationStats
    backlog: int
    backlog_age: DurationStats
    oldest_pending_since: datetime | None


# --- who may ask ---------------------------------------------------------------------------


async def scope(session: AsyncSession, actor: Actor, department_id: str | None) -> str | None:
    """The department the figures are restricted to (None: every one), or ``FORBIDDEN``."""
    if department_id is not None:
        department_id = check_id(department_id, field="filter.departmentId")
    if actor.has_role(*ANALYST_ROLES):
        return department_id
    if actor.has_role(*DEPARTMENT_ROLES):
        own = (await acting_employee(session, actor)).department_id
        if department_id not in (None, own):
            raise Forbidden("A manager sees their own department's approvals only.")
        return own
    raise Forbidden("Approval analytics are for managers and auditors.")


def check_window(since: datetime | None, until: datetime | None) -> None:
    """``BAD_USER_INPUT`` unless both ends carry an offset and ``to`` comes after ``from``."""
    for moment, field in ((since, "filter.from"), (until, "filter.to")):
        if moment is not None:
            try:
                require_aware(moment)
            except ValueError:
                raise BadUserInput("A time with its offset.", field=field) from None
    if since is not None and until is not None and until <= since:
        raise BadUserInput("`to` comes after `from`.", field="filter.to")


def _conditions(
    kind: str | None, department_id: str | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    check_window(since, until)
    conditions: list[ColumnElement[bool]] = []
    if kind is not None:
        conditions.append(ApprovalRequest.kind == check_kind(kind, field="filter.kind"))
    if department_id is not None:
        conditions.append(ApprovalRequest.department_id == department_id)
    if since is not None:
        conditions.append(ApprovalRequest.submitted_at >= since)
    if until is not None:
        conditions.append(ApprovalRequest.submitted_at < until)
    return conditions


def _where(selection: AnalyticsFilter) -> list[ColumnElement[bool]]:
    return _conditions(selection.kind, selection.department_id, selection.since, selection.until)


# --- per flow ------------------------------------------------------------------------------


async def flow_figures(session: AsyncSession, selection: AnalyticsFilter) -> list[FlowFigures]:
    """Counts, outcomes and cycle times per kind, by kind."""
    where = _where(selection)
    status = ApprovalRequest.status
    counts = (
        select(
            ApprovalRequest.kind,
            func.count().label("requests"),
            *(
                func.sum(case((status == value, 1), else_=0)).label(value.lower())
                for value in Status
            ),
        )
        .where(*where)
        .group_by(ApprovalRequest.kind)
    )
    cycles = (
        select(
            ApprovalRequest.kind,
            elapsed_seconds(ApprovalRequest.submitted_at, ApprovalRequest.decided_at).label(
                "seconds"
            ),
        )
        .where(*where, status.in_(_OUTCOMES))
        .subquery("cycles")
    )
    names = select(ApprovalFlow.kind, ApprovalFlow.name).where(ApprovalFlow.active.is_(True))
    ordered = _ordered(session)
    stats = {
        row.kind: DurationStats.of(row)
        for row in await session.execute(duration_stats(cycles, ["kind"], ordered=ordered))
    }
    flow_names = {row.kind: row.name for row in await session.execute(names)}
    return [
        FlowFigures(
            kind=row.kind,
            name=flow_names.get(row.kind),
            requests=int(row.requests),
            pending=int(row.pending or 0),
            approved=int(row.approved or 0),
            rejected=int(row.rejected or 0),
            withdrawn=int(row.withdrawn or 0),
            cycle_time=stats.get(row.kind, DurationStats.empty()),
        )
        for row in await session.execute(counts.order_by(ApprovalRequest.kind))
    ]


async def throughput(session: AsyncSession, selection: AnalyticsFilter) -> list[WeekFigures]:
    """Finished requests per kind and week, by kind and week."""
    status = ApprovalRequest.status
    week = week_starting(ApprovalRequest.decided_at)
    statement = (
        select(
            ApprovalRequest.kind,
            week.label("week"),
            func.count().label("finished"),
            *(
                func.sum(case((status == value, 1), else_=0)).label(value.lower())
                for value in _FINISHED
            ),
        )
        .where(*_where(selection), status.in_(_FINISHED), ApprovalRequest.decided_at.is_not(None))
        .group_by(ApprovalRequest.kind, week)
        .order_by(ApprovalRequest.kind, week)
    )
    return [
        WeekFigures(
            kind=row.kind,
            week_starting=str(row.week),
            finished=int(row.finished),
            approved=int(row.approved or 0),
            rejected=int(row.rejected or 0),
            withdrawn=int(row.withdrawn or 0),
        )
        for row in await session.execute(statement)
    ]


# --- per step and per approver -------------------------------------------------------------


def _step_times(selection: AnalyticsFilter, now: datetime) -> Any:
    """Every step of the selected requests with the time it became current (``since``), its
    waiting time once decided and its age while pending."""
    became_current = func.coalesce(
        func.max(ApprovalStep.decided_at).over(
            partition_by=ApprovalStep.request_id, order_by=ApprovalStep.position, rows=(None, -1)
        ),
        ApprovalRequest.submitted_at,
    )
    inner = (
        select(
            ApprovalRequest.kind,
            ApprovalStep.position,
            ApprovalStep.name,
            ApprovalStep.rule,
            ApprovalStep.role,
            ApprovalStep.status,
            ApprovalStep.assignee_id,
            ApprovalStep.decided_by,
            ApprovalStep.decided_at,
            became_current.label("since"),
        )
        .join(ApprovalRequest, ApprovalRequest.id == ApprovalStep.request_id)
        .where(*_where(selection))
        .subquery("steps")
    )
    now_value = literal(require_aware(now), AwareDateTime())
    decided = inner.c.status.in_(_DECIDED_STEPS)
    pending = inner.c.status == StepStatus.PENDING
    return select(
        inner,
        case((decided, elapsed_seconds(inner.c.since, inner.c.decided_at))).label("seconds"),
        case((pending, elapsed_seconds(inner.c.since, now_value))).label("age"),
    ).subquery("timed")


async def step_figures(
    session: AsyncSession, selection: AnalyticsFilter, now: datetime
) -> list[StepFigures]:
    """Decisions, waiting times and backlog per kind and step, by kind and position (one
    query: each step ranked once for its waiting time and once for its age)."""
    timed = _step_times(selection, now)
    keys = ["kind", "position", "name", "rule", "role"]
    group = [timed.c[key] for key in keys]
    statement = _figures(timed, group, _ordered(session)).order_by("kind", "position")
    return [
        StepFigures(
            kind=row.kind,
            position=int(row.position),
            name=row.name,
            rule=row.rule,
            role=row.role,
            decided=int(row.decided or 0),
            rejected=int(row.rejected or 0),
            waiting=DurationStats.of(row, "seconds"),
            backlog=int(row.backlog or 0),
            backlog_age=DurationStats.of(row, "age"),
            oldest_pending_since=_moment(row.oldest),
        )
        for row in await session.execute(statement)
    ]


async def approver_figures(
    session: AsyncSession, selection: AnalyticsFilter, now: datetime
) -> list[ApproverFigures]:
    """Per approver (the decider, or the assignee of a pending step): decisions, how long
    steps waited for them, what waits for them now; by approver id. Pending steps any
    holder of a role may decide belong to no one yet and are not counted here."""
    timed = _step_times(selection, now)
    approver = func.coalesce(timed.c.decided_by, timed.c.assignee_id).label("approver")
    people = (
        select(timed, approver)
        .where((timed.c.seconds.is_not(None)) | (timed.c.age.is_not(None)))
        .where(approver.is_not(None))
        .subquery("people")
    )
    statement = _figures(people, [people.c.approver], _ordered(session)).order_by("approver")
    return [
        ApproverFigures(
            approver_id=row.approver,
            decided=int(row.decided or 0),
            approved=int(row.approved or 0),
            rejected=int(row.rejected or 0),
            waiting=DurationStats.of(row, "seconds"),
            backlog=int(row.backlog or 0),
            backlog_age=DurationStats.of(row, "age"),
            oldest_pending_since=_moment(row.oldest),
        )
        for row in await session.execute(statement)
    ]


def _ordered(session: AsyncSession) -> bool:
    """Whether the database has ``percentile_cont`` (PostgreSQL): the statistics then come
    from it rather than from ranking every row twice (:mod:`subgraphs.common.sql_stats`)."""
    return session.get_bind().dialect.name == "postgresql"


def _figures(steps: Any, group: list[Any], ordered: bool) -> Select[Any]:
    """Per ``group`` of timed steps: decisions and backlog counted, waiting times and ages
    as :class:`DurationStats` columns (``seconds_*``, ``age_*``); ``ordered``: with
    ``percentile_cont`` straight from the steps, else over the steps ranked."""
    if ordered:
        rows = steps
        stats = [*ordered_stats_columns(steps, "seconds"), *ordered_stats_columns(steps, "age")]
    else:
        rows = select(
            steps,
            *rank_columns(steps.c.seconds, "seconds", group),
            *rank_columns(steps.c.age, "age", group),
        ).subquery("ranked")
        stats = [*stats_columns(rows, "seconds"), *stats_columns(rows, "age")]
    keys = [rows.c[column.key] for column in group]
    status = rows.c.status
    return select(
        *keys,
        func.count(rows.c.seconds).label("decided"),
        func.sum(case((status == StepStatus.APPROVED, 1), else_=0)).label("approved"),
        func.sum(case((status == StepStatus.REJECTED, 1), else_=0)).label("rejected"),
        func.count(rows.c.age).label("backlog"),
        func.min(case((rows.c.age.is_not(None), rows.c.since))).label("oldest"),
        *stats,
    ).group_by(*keys)


def _moment(value: Any) -> datetime | None:
    """A MIN over a subquery comes back untyped on SQLite (text): read it as the column is."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


# --- the company-wide list ------------------------------------------------------------------


async def find_requests(
    session: AsyncSession,
    selection: RequestFilter,
    *,
    first: int | None,
    after: str | None,
) -> Page[ApprovalRequest]:
    """One page of the requests ``selection`` names, newest first (the caller's
    :func:`scope` applied to ``selection.department_id`` beforehand)."""
    statement = select(ApprovalRequest).where(
        *_conditions(selection.kind, selection.department_id, selection.since, selection.until)
    )
    if selection.status is not None:
        statement = statement.where(ApprovalRequest.status == selection.status)
    if selection.applicant_id is not None:
        applicant = check_id(selection.applicant_id, field="filter.applicantId")
        statement = statement.where(ApprovalRequest.applicant_id == applicant)
    order = [ApprovalRequest.submitted_at.desc(), ApprovalRequest.id.desc()]
    return await paginate(session, statement, order, first=first, after=after)
