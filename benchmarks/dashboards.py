"""Latency of the dashboard and analytics queries on the demo data, against the 100 ms bar.

    .venv/bin/python benchmarks/dashboards.py [--runs 200] [--postgres URL] [--history 0]

Starts the OA and ERP subgraphs (each migrating and seeding its own scratch database:
SQLite files by default, or two scratch databases on the PostgreSQL server at ``--postgres``,
dropped afterwards) and ``tandem serve --policy policies`` over the committed supergraph, then
sends each query ``--runs`` times, one at a time, through the gateway (as the auditor for the
approval analytics, as the CEO for the management overview) and prints p50, p99 and max in
milliseconds per query, with whether p99 is under the bar. ``--history N`` first adds N
decided approval requests (two steps each, spread over 52 weeks) to the OA database, to see
how the analytics grow past the demo data's handful. Every answer is checked to have no
errors before timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from subgraphs.erp.store.base import current_period  # noqa: E402
from tests.support.fixtures import write_supergraph  # noqa: E402
from tests.support.processes import free_port  # noqa: E402

BAR_MS = 100.0
AUDITOR = {"x-tandem-dev-user": "emp-048", "x-tandem-dev-roles": "employee,auditor",
           "x-tandem-dev-department": "dept-08"}  # fmt: skip
CEO = {"x-tandem-dev-user": "emp-001", "x-tandem-dev-roles": "employee,manager",
       "x-tandem-dev-department": "dept-01"}  # fmt: skip
STATS = "{ count median p90 max }"
QUERIES: dict[str, tuple[dict[str, str], str]] = {
    "approvalAnalytics.flows": (
        AUDITOR,
        f"""{{ approvalAnalytics {{ flows {{ kind requests
        cycleTime {STATS} rejectionRate withdrawalRate throughput {{ weekStarting finished }}
        }} }} }}""",
    ),
    "approvalAnalytics.steps": (
        AUDITOR,
        f"""{{ approvalAnalytics {{ steps {{ kind number
        waiting {STATS} backlog backlogAge {STATS} oldestPendingSince }}
        slowestSteps {{ number }} }} }}""",
    ),
    "approvalAnalytics.approvers": (
        AUDITOR,
        f"""{{ approvalAnalytics {{ approvers {{
        approver {{ id }} decided waiting {STATS} backlog }} }} }}""",
    ),
    "approvalRequests": (
        AUDITOR,
        """{ approvalRequests(first: 20) { edges { node { id title
        status } } } }""",
    ),
    "salesAgainstForecast": (
        CEO,
        """query ($p: String!) { salesAgainstForecast(period: $p) {
        key quantity amount { amount } forecastQuantity } }""",
    ),
    "budgetUse": (
        CEO,
        """query ($p: String!) { budgetUse(period: $p) { department { id }
        available { amount } exceeded } }""",
    ),
    "stockValue": (CEO, "{ stockValue { warehouseId units value { amount } } }"),
    "itemsBelowReorderLevel": (CEO, "{ itemsBelowReorderLevel { item { sku } shortfall } }"),
    "productionSummary": (
        CEO,
        """query ($p: String!) { productionSummary(period: $p) {
        item { sku } completed yieldRate defectRate } }""",
    ),
    "openPurchaseOrders": (CEO, "{ openPurchaseOrders { supplier { name } orders } }"),
    "lateDeliveries": (CEO, "{ lateDeliveries { order { orderNo } daysLate } }"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite files)")
    parser.add_argument("--history", type=int, default=0, help="extra decided requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tandem-dashboards-") as scratch, ExitStack() as stack:
        folder = Path(scratch)
        if args.postgres:
            oa = stack.enter_context(_scratch_database(args.postgres, "oa"))
            erp = stack.enter_context(_scratch_database(args.postgres, "erp"))
        else:
            oa, erp = f"sqlite+aiosqlite:///{folder}/oa.db", f"sqlite+aiosqlite:///{folder}/erp.db"
        url = stack.enter_context(_system(folder, oa, erp, args.history))
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{backend}, {args.runs} runs per query, +{args.history} requests of history")
        print(f"{'query':30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  under {BAR_MS:.0f} ms")
        with httpx.Client(timeout=30) as client:
            for name, (who, query) in QUERIES.items():
                timings = _time(client, url, who, query, args.runs)
                p50 = statistics.median(timings)
                p99 = statistics.quantiles(timings, n=100, method="inclusive")[98]
                print(f"{name:30} {p50:8.2f} {p99:8.2f} {max(timings):8.2f}  "
                      f"{'yes' if p99 < BAR_MS else 'NO'}")  # fmt: skip


def _time(client: httpx.Client, url: str, who: dict[str, str], query: str, runs: int
          ) -> list[float]:  # fmt: skip
    body = {"query": query, "variables": {"p": current_period()} if "$p" in query else {}}
    first = client.post(url, json=body, headers=who).json()
    if first.get("errors"):
        raise SystemExit(f"{query}: {first['errors']}")
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.post(url, json=body, headers=who)
        timings.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return timings


@contextmanager
def _system(folder: Path, oa: str, erp: str, history: int) -> Any:
    ports = {"oa": free_port(), "erp": free_port(), "gateway": free_port()}
    env = {key: value for key, value in os.environ.items() if not key.startswith("TANDEM_")}
    env |= {"TANDEM_DATA_DIR": str(folder), "TANDEM_OA_DATABASE_URL": oa,
            "TANDEM_ERP_DATABASE_URL": erp, "TANDEM_OA_SEED": "1",
            "TANDEM_ERP_SEED": "1"}  # fmt: skip
    supergraph = write_supergraph(
        {name: f"http://127.0.0.1:{ports[name]}/graphql" for name in ("oa", "erp")},
        folder / "supergraph.graphql",
        source=REPO / "subgraphs" / "supergraph.graphql",
    )
    tandem = Path(sys.executable).with_name("tandem")
    commands = {
        name: [sys.executable, "-m", f"subgraphs.{name}", "--port", str(ports[name]),
               "--log-level", "warning"]
        for name in ("oa", "erp")
    }  # fmt: skip
    commands["gateway"] = [str(tandem), "serve", "--supergraph", str(supergraph), "--port",
                           str(ports["gateway"]), "--policy", str(REPO / "policies")]  # fmt: skip
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in ("oa", "erp", "gateway"):
            extra = {"TANDEM_DEV_IDENTITY": "1"} if name == "gateway" else {}
            log = (folder / f"{name}.log").open("wb")
            processes.append(subprocess.Popen(commands[name], env=env | extra, stdout=log,
                                              stderr=subprocess.STDOUT, cwd=REPO))  # fmt: skip
            _wait(f"http://127.0.0.1:{ports[name]}", name, folder)
            if name == "oa" and history:
                asyncio.run(_add_history(oa, history))
        yield f"http://127.0.0.1:{ports['gateway']}/graphql"
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=15)


def _wait(base: str, name: str, folder: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if name == "gateway":
                ok = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}).is_success
            else:
                ok = httpx.get(f"{base}/health").is_success
            if ok:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{name} did not start: {(folder / f'{name}.log').read_text()[-3000:]}")


async def _add_history(url: str, count: int) -> None:
    """``count`` decided requests of kind BENCH, two steps each, over the past 52 weeks."""
    from sqlalchemy import insert

    from subgraphs.oa.store.models import ApprovalFlow, ApprovalRequest, ApprovalStep
    from tandem_shared.db import create_engine

    start = datetime.now(UTC) - timedelta(weeks=52)
    requests, steps = [], []
    for n in range(count):
        rid, submitted = f"bench-{n}", start + timedelta(minutes=157 * n % (52 * 7 * 24 * 60))
        first, second = submitted + timedelta(seconds=60 + n % 3600), None
        second = first + timedelta(seconds=120 + (n * 7) % 7200)
        status = "REJECTED" if n % 9 == 0 else ("WITHDRAWN" if n % 13 == 0 else "APPROVED")
        requests.append({"id": rid, "kind": "BENCH", "title": f"Bench {n}", "description": None,
                         "applicant_id": f"emp-{15 + n % 30:03d}", "department_id": "dept-03",
                         "flow_id": "flow-bench", "status": status, "current_step": None,
                         "amount": None, "currency": None, "budget_period": None,
                         "payload": {}, "submitted_at": submitted, "updated_at": second,
                         "decided_at": second, "version": 1})  # fmt: skip
        for position, at in ((1, first), (2, second)):
            steps.append({"request_id": rid, "position": position, "name": f"Step {position}",
                          "rule": "EMPLOYEE", "role": None, "assignee_id": "emp-013",
                          "min_amount": None, "currency": None,
                          "status": "REJECTED" if status == "REJECTED" and position == 2
                          else "APPROVED", "comment": None, "decided_by": "emp-013",
                          "decided_at": at})  # fmt: skip
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(ApprovalFlow), [{
                "id": "flow-bench", "kind": "BENCH", "name": "Bench", "version": 1,
                "active": True, "defined_by": None, "defined_at": start}])  # fmt: skip
            for chunk in range(0, count, 1000):
                await connection.execute(insert(ApprovalRequest), requests[chunk : chunk + 1000])
                await connection.execute(insert(ApprovalStep), steps[2 * chunk : 2 * chunk + 2000])
    finally:
        await engine.dispose()


@contextmanager
def _scratch_database(server: str, label: str) -> Any:
    import asyncpg  # type: ignore[import-untyped]

    name = f"tandem_bench_{label}_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(server)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
