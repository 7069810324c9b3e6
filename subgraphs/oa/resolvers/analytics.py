# mypy: disable-error-code="untyped-decorator"
"""``approvalAnalytics`` and the company-wide ``approvalRequests``, for managers (their
department) and auditors (every one); see :mod:`subgraphs.oa.store.approval_analytics`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, sessions
from subgraphs.oa.store import approval_analytics as analytics
from subgraphs.oa.store.approval_reads import Status
from subgraphs.oa.types.analytics import (
    ApprovalAnalytics,
    ApprovalAnalyticsFilter,
    ApprovalRequestFilter,
)
from subgraphs.oa.types.approvals import ApprovalRequest
from tandem_shared.db import transaction
from tandem_shared.timestamps import utc_now

__all__ = ["AnalyticsQuery"]


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Cycle times, waiting times, backlog, throughput and rejection and "
        "withdrawal rates per flow, step and approver. Managers: their department; "
        "auditors: any. FORBIDDEN for others."
    )
    async def approval_analytics(
        self, info: Info[Any, Any], filter: ApprovalAnalyticsFilter | None = None
    ) -> ApprovalAnalytics:
        given = filter or ApprovalAnalyticsFilter()
        analytics.check_window(given.since, given.until)
        async with transaction(sessions(info)) as session:
            department = await analytics.scope(session, actor(info), given.department_id)
        selection = analytics.AnalyticsFilter(
            department_id=department, kind=given.kind, since=given.since, until=given.until
        )
        return ApprovalAnalytics(as_of=utc_now(), selection=selection)

    @strawberry.field(
        description="Every approval request the filter names, newest first: the company's "
        "for auditors, their department's for managers; FORBIDDEN for others."
    )
    async def approval_requests(
        self,
        info: Info[Any, Any],
        filter: ApprovalRequestFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[ApprovalRequest]:
        given = filter or ApprovalRequestFilter()
        async with transaction(sessions(info)) as session:
            department = await analytics.scope(session, actor(info), given.department_id)
            selection = analytics.RequestFilter(
                department_id=department,
                kind=given.kind,
                status=None if given.status is None else Status(given.status.value),
                applicant_id=given.applicant_id,
                since=given.since,
                until=given.until,
            )
            page = await analytics.find_requests(session, selection, first=first, after=after)
        return page.to_connection(ApprovalRequest.from_row)
