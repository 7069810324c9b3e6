"""OA's approval analytics at a large history: ranked percentiles against ``percentile_cont``.

    .venv/bin/python benchmarks/approval_analytics.py [--history 5000] [--runs 15]
        [--postgres URL]

Migrates and seeds a scratch OA database (a SQLite file by default, or a scratch database
on the PostgreSQL server at ``--postgres``, dropped afterwards), adds ``--history``
decided requests of two steps each (``dashboards.py``'s history: 5000 requests are 10 000
steps), then times the flow, step and approver figures in-process, alternating the two
ways :mod:`subgraphs.common.sql_stats` computes medians and 90th percentiles: ranking every
row with window functions (``ranked``, the only way on SQLite) and PostgreSQL's
``percentile_cont`` (``ordered``). Prints p50 and max in milliseconds per query and way, and
whether both ways gave the same answers (they must).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from dashboards import _add_history, _scratch_database  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from subgraphs.oa.app import migrate  # noqa: E402
from subgraphs.oa.seed import seed_demo_data  # noqa: E402
from subgraphs.oa.store import approval_analytics as analytics  # noqa: E402
from tandem_shared.db import create_engine  # noqa: E402

Query = Callable[[AsyncSession], Awaitable[Any]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--history", type=int, default=5000, help="decided requests added")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tandem-analytics-") as scratch, ExitStack() as stack:
        if args.postgres:
            url = stack.enter_context(_scratch_database(args.postgres, "oa"))
            url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        else:
            url = f"sqlite+aiosqlite:///{scratch}/oa.db"
        asyncio.run(_measure(url, args.history, args.runs))


async def _measure(url: str, history: int, runs: int) -> None:
    await migrate(url)
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    await seed_demo_data(sessions)
    await _add_history(url, history)
    selection, now = analytics.AnalyticsFilter(), datetime.now(UTC)
    queries: dict[str, Query] = {
        "flows": lambda s: analytics.flow_figures(s, selection),
        "steps": lambda s: analytics.step_figures(s, selection, now),
        "approvers": lambda s: analytics.approver_figures(s, selection, now),
    }
    native = getattr(analytics, "_ordered", None)  # None: a version from before the choice
    ways: dict[str, Callable[[AsyncSession], bool]] = {"ranked": lambda _: False}
    if engine.dialect.name == "postgresql" and native is not None:
        ways["ordered"] = native
    times: dict[tuple[str, str], list[float]] = {(q, w): [] for q in queries for w in ways}
    answers: dict[tuple[str, str], Any] = {}
    try:
        for _ in range(runs):
            for way, choose in ways.items():
                analytics._ordered = choose  # type: ignore[assignment]
                for name, query in queries.items():
                    async with sessions() as session:
                        start = time.perf_counter()
                        answers[(name, way)] = await query(session)
                        times[(name, way)].append((time.perf_counter() - start) * 1000)
    finally:
        if native is not None:
            analytics._ordered = native  # type: ignore[assignment]
        await engine.dispose()
    print(f"{engine.dialect.name}, {history} extra requests ({2 * history} steps), {runs} runs")
    for name in queries:
        cells = [f"{way}: p50 {statistics.median(times[(name, way)]):7.1f} ms, "
                 f"max {max(times[(name, way)]):7.1f} ms" for way in ways]  # fmt: skip
        same = len({repr(answers[(name, way)]) for way in ways}) == 1
        print(f"  {name:10s} " + "   ".join(cells) + f"   same answers: {same}")


if __name__ == "__main__":
    main()
