"""Approval analytics (OA) and the management overview (ERP) through the gateway with the
default policy, OA and ERP as real processes on SQLite and on PostgreSQL (issue 16, items 2
and 3).

Each backend gets a stack of its own (the figures are of a known history written into its
OA database, ``tests/support/approval_history.py``, beside the demo company). The people are
demo people: ``emp-015`` applies in IT (``dept-03``, managed by ``emp-013``), ``emp-006`` of
Finance approves, ``emp-048`` audits, ``emp-016`` is an ordinary employee, ``emp-019``
manages HR, ``emp-001`` (the CEO) manages the Executive Office, ``emp-023`` works in
procurement. The ERP figures are of known records of 2021 (``tests/support/erp_overview.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select

from subgraphs.oa.store.models import Employee
from tandem_shared.db import create_engine
from tests.e2e.stack import POSTGRES_URL, Gateway, Person, Stack, scratch_database, sql
from tests.support.approval_history import KIND, WEEK, People, add_history, at, epoch
from tests.support.erp_overview import LATE_SENT_AT, PERIOD, add_overview_records
from tests.support.processes import REPO_ROOT

APPLICANT, MANAGER, FINANCE = "emp-015", "emp-013", "emp-006"
AUDITOR, EMPLOYEE, OTHER_MANAGER = "emp-048", "emp-016", "emp-019"
PEOPLE = People(applicant=APPLICANT, department="dept-03", manager=MANAGER, finance=FINANCE)
STATS = "{ count median p90 max }"
ANALYTICS = f"""
query ($filter: ApprovalAnalyticsFilter) {{
  approvalAnalytics(filter: $filter) {{
    asOf department {{ id }}
    flows {{ kind requests pending approved rejected withdrawn cycleTime {STATS}
             rejectionRate withdrawalRate throughput {{ weekStarting finished }} }}
    steps {{ number approverRule waiting {STATS} backlog oldestPendingSince }}
    slowestSteps(first: 2) {{ number name }}
    approvers {{ approver {{ id name }} decided rejected waiting {STATS} backlog }}
  }}
}}"""
LIST = """
query ($filter: ApprovalRequestFilter, $first: Int, $after: String) {
  approvalRequests(filter: $filter, first: $first, after: $after) {
    edges { node { title status applicant { id } } } pageInfo { hasNextPage endCursor }
  }
}"""


async def _people(url: str) -> dict[str, Person]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(Employee))
            return {
                row.id: Person(row.id, row.name, tuple(row.roles), row.department_id)
                for row in rows
            }
    finally:
        await engine.dispose()


async def _add_history(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await add_history(connection, PEOPLE)
    finally:
        await engine.dispose()


async def _add_overview_records(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await add_overview_records(connection)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def gateway(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,
    redis_prefix: str,
) -> Iterator[Gateway]:
    """A stack on ``request.param`` whose gateway enforces the default policy, holding the
    demo company and the known history; GraphQL through it as the demo people."""
    folder: Path = tmp_path_factory.mktemp(f"analytics-{request.param}")
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            oa = f"sqlite+aiosqlite:///{folder}/oa.db"
            erp = f"sqlite+aiosqlite:///{folder}/erp.db"
        else:
            _require_postgres()
            oa = cleanup.enter_context(scratch_database("analytics_oa"))
            erp = cleanup.enter_context(scratch_database("analytics_erp"))
        yield from _serve(folder, oa, erp, redis_url, f"{redis_prefix}{request.param}:")


def _require_postgres() -> None:
    try:
        sql(POSTGRES_URL, "SELECT 1")
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise


def _serve(folder: Path, oa: str, erp: str, redis_url: str, prefix: str) -> Iterator[Gateway]:
    stack = Stack.create(
        folder,
        oa_database=oa,
        erp_database=erp,
        redis_url=redis_url,
        prefix=prefix,
    )
    stack.gateway.command += ["--policy", str(REPO_ROOT / "policies")]
    try:
        stack.start()
        asyncio.run(_add_history(oa))
        asyncio.run(_add_overview_records(erp))
        people = asyncio.run(_people(oa))
        client = Gateway(stack.gateway.url, people.__getitem__)
        yield client
        client.close()
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()


def _codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def test_an_auditor_sees_the_figures_of_the_known_history(gateway: Gateway) -> None:
    result = gateway.data(AUDITOR, ANALYTICS, filter={"kind": KIND})["approvalAnalytics"]
    assert result["department"] is None
    assert result["flows"] == [
        {"kind": KIND, "requests": 7, "pending": 2, "approved": 3, "rejected": 1,
         "withdrawn": 1,
         "cycleTime": {"count": 4, "median": 650.0, "p90": 1150.0, "max": 1300},
         "rejectionRate": 0.2, "withdrawalRate": 0.2,
         "throughput": [{"weekStarting": "2026-11-02", "finished": 4},
                        {"weekStarting": "2026-11-09", "finished": 1}]},
    ]  # fmt: skip
    steps = [{**step, "oldestPendingSince": datetime.fromisoformat(step["oldestPendingSince"])}
             for step in result["steps"]]  # fmt: skip
    assert steps == [
        {"number": 1, "approverRule": "DEPARTMENT_MANAGER",
         "waiting": {"count": 5, "median": 100.0, "p90": 260.0, "max": 300}, "backlog": 1,
         "oldestPendingSince": at(4000)},
        {"number": 2, "approverRule": "ROLE",
         "waiting": {"count": 4, "median": 500.0, "p90": 880.0, "max": 1000}, "backlog": 1,
         "oldestPendingSince": at(5050)},
    ]  # fmt: skip
    assert result["slowestSteps"] == [
        {"number": 2, "name": "Finance"},
        {"number": 1, "name": "Department manager"},
    ]
    approvers = [(a["approver"]["id"], a["decided"], a["rejected"], a["waiting"]["median"],
                  a["backlog"]) for a in result["approvers"]]  # fmt: skip
    assert approvers == [(FINANCE, 4, 1, 500.0, 0), (MANAGER, 5, 0, 100.0, 1)]
    assert epoch(result["asOf"]) >= epoch(at(WEEK).isoformat())


def test_the_period_filter(gateway: Gateway) -> None:
    window = {"kind": KIND, "from": at(WEEK).isoformat(), "to": at(WEEK + 1).isoformat()}
    flows = gateway.data(AUDITOR, ANALYTICS, filter=window)["approvalAnalytics"]["flows"]
    assert [(f["requests"], f["cycleTime"]["median"]) for f in flows] == [(1, 160.0)]


def test_a_manager_sees_their_own_department(gateway: Gateway) -> None:
    mine = gateway.data(MANAGER, ANALYTICS, filter={"kind": KIND})["approvalAnalytics"]
    assert (mine["department"], mine["flows"][0]["requests"]) == ({"id": "dept-03"}, 7)
    theirs = gateway.data(OTHER_MANAGER, ANALYTICS, filter={"kind": KIND})["approvalAnalytics"]
    assert (theirs["department"], theirs["flows"]) == ({"id": "dept-04"}, [])
    refused = gateway.post(OTHER_MANAGER, ANALYTICS, filter={"departmentId": "dept-03"})
    assert refused["data"] is None and _codes(refused) == ["FORBIDDEN"], json.dumps(refused)


def test_an_ordinary_employee_is_refused_by_the_policy(gateway: Gateway) -> None:
    for query in (ANALYTICS, LIST):
        body = gateway.post(EMPLOYEE, query)
        assert body["data"] is None and set(_codes(body)) == {"FORBIDDEN"}, json.dumps(body)


def test_the_company_wide_list(gateway: Gateway) -> None:
    first = gateway.data(AUDITOR, LIST, filter={"kind": KIND}, first=5)["approvalRequests"]
    assert [edge["node"]["title"] for edge in first["edges"]] == [
        f"Analytics R{n}" for n in (7, 6, 5, 4, 3)
    ]
    cursor = first["pageInfo"]["endCursor"]
    rest = gateway.data(AUDITOR, LIST, filter={"kind": KIND}, first=5, after=cursor)
    assert [edge["node"]["title"] for edge in rest["approvalRequests"]["edges"]] == [
        "Analytics R2",
        "Analytics R1",
    ]
    rejected = gateway.data(MANAGER, LIST, filter={"kind": KIND, "status": "REJECTED"})
    assert [e["node"] for e in rejected["approvalRequests"]["edges"]] == [
        {"title": "Analytics R2", "status": "REJECTED", "applicant": {"id": APPLICANT}}
    ]
    elsewhere = gateway.data(OTHER_MANAGER, LIST, filter={"kind": KIND})
    assert elsewhere["approvalRequests"]["edges"] == []


CEO, BUYER = "emp-001", "emp-023"
OVERVIEW = """
query ($period: String!, $group: SalesOverviewGroup!) {
  salesAgainstForecast(period: $period, groupBy: $group, history: 3) {
    key label quantity amount { amount currency } orders forecastQuantity
  }
  budgetUse(period: $period) {
    department { id } amount { amount } committed { amount } spent { amount }
    available { amount } exceeded
  }
  stockValue { warehouseId units value { amount currency } }
  itemsBelowReorderLevel { item { sku } reorderLevel onHand available shortfall }
  productionSummary(period: $period) {
    item { sku } workOrders planned completed inspected defects yieldRate defectRate
  }
  openPurchaseOrders { supplier { id name } orders value { amount } }
  lateDeliveries(leadTimeDays: 14) { order { id orderNo } dueAt daysLate }
}"""


def test_the_management_overview_of_known_records(gateway: Gateway) -> None:
    before = datetime.now(UTC)
    items = gateway.data(CEO, OVERVIEW, period=PERIOD, group="ITEM")
    after = datetime.now(UTC)
    assert items["salesAgainstForecast"] == [
        {"key": "T-A", "label": "Test T-A", "quantity": 25,
         "amount": {"amount": "500.00", "currency": "CNY"}, "orders": 2,
         "forecastQuantity": "40.00"},
        {"key": "T-B", "label": "Test T-B", "quantity": 4,
         "amount": {"amount": "20.00", "currency": "CNY"}, "orders": 1,
         "forecastQuantity": "2.00"},
    ]  # fmt: skip
    assert items["budgetUse"] == [
        {"department": {"id": "dept-03"}, "amount": {"amount": "10000.00"},
         "committed": {"amount": "2500.00"}, "spent": {"amount": "1500.00"},
         "available": {"amount": "6000.00"}, "exceeded": False},
        {"department": {"id": "dept-04"}, "amount": {"amount": "1000.00"},
         "committed": {"amount": "800.00"}, "spent": {"amount": "700.00"},
         "available": {"amount": "-500.00"}, "exceeded": True},
    ]  # fmt: skip
    stock = {row["warehouseId"]: row for row in items["stockValue"]}
    assert stock["wh-t"] == {
        "warehouseId": "wh-t", "units": 1048, "value": {"amount": "1420.00", "currency": "CNY"}
    }  # fmt: skip
    alerts = {row["item"]["sku"]: row for row in items["itemsBelowReorderLevel"]}
    assert alerts["T-A"] == {
        "item": {"sku": "T-A"}, "reorderLevel": 100, "onHand": 40, "available": 30,
        "shortfall": 70,
    }  # fmt: skip
    assert "T-B" not in alerts and "T-C" not in alerts
    assert items["productionSummary"] == [
        {"item": {"sku": "T-C"}, "workOrders": 2, "planned": 150, "completed": 140,
         "inspected": 140, "defects": 8, "yieldRate": 132 / 140, "defectRate": 8 / 140},
    ]  # fmt: skip
    open_orders = {row["supplier"]["id"]: row for row in items["openPurchaseOrders"]}
    assert open_orders["sup-t"] == {
        "supplier": {"id": "sup-t", "name": "Test Supplier"}, "orders": 2,
        "value": {"amount": "1500.00"},
    }  # fmt: skip
    late = {row["order"]["id"]: row for row in items["lateDeliveries"]}
    assert set(late) & {"po-t-1", "po-t-2", "po-t-3"} == {"po-t-2"}
    due = LATE_SENT_AT + timedelta(days=14)
    assert datetime.fromisoformat(late["po-t-2"]["dueAt"]) == due
    assert (before - due).days <= late["po-t-2"]["daysLate"] <= (after - due).days
    customers = gateway.data(CEO, OVERVIEW, period=PERIOD, group="CUSTOMER")
    assert [
        (row["key"], row["quantity"], row["amount"]["amount"], row["forecastQuantity"])
        for row in customers["salesAgainstForecast"]
    ] == [("cus-t1", 19, "320.00", None), ("cus-t2", 10, "200.00", None)]


def test_a_department_manager_sees_their_own_budget_use_only(gateway: Gateway) -> None:
    query = "query ($p: String!) { budgetUse(period: $p) { department { id } spent { amount } } }"
    body = gateway.post(MANAGER, query, p=PERIOD)
    assert body["data"] is not None, json.dumps(body)
    rows = body["data"]["budgetUse"]
    assert rows[0] == {"department": {"id": "dept-03"}, "spent": {"amount": "1500.00"}}
    assert rows[1] is None, json.dumps(body)  # dept-04's
    assert [(e["extensions"]["code"], e["path"][:2]) for e in body["errors"]] == [
        ("FORBIDDEN", ["budgetUse", 1])
    ]


def test_each_role_sees_its_own_area_of_the_overview(gateway: Gateway) -> None:
    stock = gateway.data(BUYER, "{ stockValue { warehouseId } lateDeliveries { daysLate } }")
    assert "wh-t" in {row["warehouseId"] for row in stock["stockValue"]}
    production = "query ($p: String!) { productionSummary(period: $p) { planned } }"
    refused = gateway.post(BUYER, production, p=PERIOD)
    assert refused["data"] is None and _codes(refused) == ["FORBIDDEN"], json.dumps(refused)
    for query in ("{ stockValue { units } }", "{ openPurchaseOrders { orders } }"):
        body = gateway.post(EMPLOYEE, query)
        assert body["data"] is None and _codes(body) == ["FORBIDDEN"], json.dumps(body)
