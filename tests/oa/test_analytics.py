"""Approval analytics and the company-wide list, on the OA app over SQLite and PostgreSQL:
figures of a known history (``tests/support/approval_history.py``) computed by hand."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.timestamps import serialize_datetime as shown
from tandem_shared.db import create_engine
from tandem_shared.tokens import Principal
from tests.oa.client import OAClient
from tests.oa.org import ALICE, BOB, FIONA, FRANK
from tests.support.approval_history import KIND, T0, WEEK, People, add_history, at, epoch

pytestmark = pytest.mark.anyio

AUDITOR = Principal("emp-helen", "Helen Zhou", ("employee", "auditor"), "dept-hq")
PEOPLE = People(applicant=BOB.subject, department="dept-eng", manager=ALICE.subject,
                finance=FIONA.subject)  # fmt: skip

STATS = "{ count median p90 max }"
ANALYTICS = f"""
query ($filter: ApprovalAnalyticsFilter) {{
  approvalAnalytics(filter: $filter) {{
    asOf department {{ id }}
    flows {{ kind name requests pending approved rejected withdrawn cycleTime {STATS}
             rejectionRate withdrawalRate
             throughput {{ weekStarting finished approved rejected withdrawn }} }}
    steps {{ kind number name approverRule role decided rejected waiting {STATS}
             backlog backlogAge {STATS} oldestPendingSince }}
    slowestSteps(first: 1) {{ number name }}
    approvers {{ approver {{ id }} decided approved rejected waiting {STATS}
                 backlog backlogAge {STATS} oldestPendingSince }}
  }}
}}"""
LIST = """
query ($filter: ApprovalRequestFilter, $first: Int, $after: String) {
  approvalRequests(filter: $filter, first: $first, after: $after) {
    edges { node { id title status } } pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def history(database_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await add_history(connection, PEOPLE)
    finally:
        await engine.dispose()


def stats(count: int, median: float | None, p90: float | None, longest: int | None) -> Any:
    return {"count": count, "median": median, "p90": p90, "max": longest}


async def test_figures_of_a_known_history(oa: OAClient, history: None) -> None:
    data = await oa.data(AUDITOR, ANALYTICS, filter={"kind": KIND})
    result = data["approvalAnalytics"]
    now = epoch(result["asOf"])
    assert result["department"] is None
    assert result["flows"] == [
        {"kind": KIND, "name": "Analytics check", "requests": 7, "pending": 2, "approved": 3,
         "rejected": 1, "withdrawn": 1, "cycleTime": stats(4, 650.0, 1150.0, 1300),
         "rejectionRate": 0.2, "withdrawalRate": 0.2,
         "throughput": [
             {"weekStarting": "2026-11-02", "finished": 4, "approved": 2, "rejected": 1,
              "withdrawn": 1},
             {"weekStarting": "2026-11-09", "finished": 1, "approved": 1, "rejected": 0,
              "withdrawn": 0},
         ]}
    ]  # fmt: skip
    r5_since, r6_since = epoch(at(4000).isoformat()), epoch(at(5050).isoformat())
    assert result["steps"] == [
        {"kind": KIND, "number": 1, "name": "Department manager",
         "approverRule": "DEPARTMENT_MANAGER", "role": None, "decided": 5, "rejected": 0,
         "waiting": stats(5, 100.0, 260.0, 300), "backlog": 1,
         "backlogAge": stats(1, float(now - r5_since), float(now - r5_since), now - r5_since),
         "oldestPendingSince": shown(at(4000))},
        {"kind": KIND, "number": 2, "name": "Finance", "approverRule": "ROLE",
         "role": "finance", "decided": 4, "rejected": 1,
         "waiting": stats(4, 500.0, 880.0, 1000), "backlog": 1,
         "backlogAge": stats(1, float(now - r6_since), float(now - r6_since), now - r6_since),
         "oldestPendingSince": shown(at(5050))},
    ]  # fmt: skip
    assert result["slowestSteps"] == [{"number": 2, "name": "Finance"}]
    assert result["approvers"] == [
        {"approver": {"id": ALICE.subject}, "decided": 5, "approved": 5, "rejected": 0,
         "waiting": stats(5, 100.0, 260.0, 300), "backlog": 1,
         "backlogAge": stats(1, float(now - r5_since), float(now - r5_since), now - r5_since),
         "oldestPendingSince": shown(at(4000))},
        {"approver": {"id": FIONA.subject}, "decided": 4, "approved": 3, "rejected": 1,
         "waiting": stats(4, 500.0, 880.0, 1000), "backlog": 0,
         "backlogAge": stats(0, None, None, None), "oldestPendingSince": None},
    ]  # fmt: skip


async def test_the_period_and_department_filters(oa: OAClient, history: None) -> None:
    week_two = {"kind": KIND, "from": at(WEEK).isoformat(), "to": at(WEEK + 1).isoformat()}
    flows = (await oa.data(AUDITOR, ANALYTICS, filter=week_two))["approvalAnalytics"]["flows"]
    assert [(f["requests"], f["approved"], f["cycleTime"]["median"]) for f in flows] == [
        (1, 1, 160.0)
    ]
    elsewhere = {"kind": KIND, "departmentId": "dept-fin"}
    result = (await oa.data(AUDITOR, ANALYTICS, filter=elsewhere))["approvalAnalytics"]
    assert (result["department"], result["flows"], result["steps"]) == (
        {"id": "dept-fin"},
        [],
        [],
    )


async def test_a_manager_sees_their_department_only(oa: OAClient, history: None) -> None:
    mine = await oa.data(ALICE, ANALYTICS, filter={"kind": KIND})
    assert mine["approvalAnalytics"]["department"] == {"id": "dept-eng"}
    assert mine["approvalAnalytics"]["flows"][0]["requests"] == 7
    theirs = await oa.data(FRANK, ANALYTICS, filter={"kind": KIND})
    assert theirs["approvalAnalytics"]["flows"] == []  # Frank's department: Finance
    error = await oa.error(FRANK, ANALYTICS, filter={"departmentId": "dept-eng"})
    assert error["code"] == "FORBIDDEN"


async def test_an_employee_is_refused(oa: OAClient, history: None) -> None:
    assert (await oa.error(BOB, ANALYTICS))["code"] == "FORBIDDEN"
    assert (await oa.error(BOB, LIST))["code"] == "FORBIDDEN"


async def test_a_period_ending_before_it_starts_is_bad_input(oa: OAClient) -> None:
    window = {"from": at(10).isoformat(), "to": T0.isoformat()}
    error = await oa.error(AUDITOR, ANALYTICS, filter=window)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "filter.to")


async def test_the_company_wide_list_pages_newest_first(oa: OAClient, history: None) -> None:
    first = await oa.data(AUDITOR, LIST, filter={"kind": KIND}, first=4)
    page = first["approvalRequests"]
    assert [e["node"]["title"] for e in page["edges"]] == [
        "Analytics R7", "Analytics R6", "Analytics R5", "Analytics R4"
    ]  # fmt: skip
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await oa.data(
        AUDITOR, LIST, filter={"kind": KIND}, first=4, after=page["pageInfo"]["endCursor"]
    )
    assert [e["node"]["title"] for e in rest["approvalRequests"]["edges"]] == [
        "Analytics R3", "Analytics R2", "Analytics R1"
    ]  # fmt: skip
    pending = await oa.data(AUDITOR, LIST, filter={"kind": KIND, "status": "PENDING"})
    assert {e["node"]["title"] for e in pending["approvalRequests"]["edges"]} == {
        "Analytics R5",
        "Analytics R6",
    }
    other = await oa.data(FRANK, LIST, filter={"kind": KIND})
    assert other["approvalRequests"]["edges"] == []
