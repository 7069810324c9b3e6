"""An operation over its cost limit is refused before any subgraph is called (issue 15's bar).

The demo subgraphs run as processes; the people subgraph is reached through the fault proxy
(``tests/support/fault_proxy.py``) in ``pass`` mode under a tag of the test's own, so what the
subgraph was asked shows up in the proxy's count for that tag. Each test sends the refused
operation first and an admitted one after it: the admitted one's fetch is counted, so a count
of exactly its fetches after both have been answered shows the refused one sent nothing (no
clock involved).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from gateway.auth.dev_identity import DevIdentity
from gateway.demand import CostSchema, DemandControl, DemandSettings, MemoryCostBudget
from gateway.executor.transport import AiohttpTransport
from gateway.http import create_app
from gateway.http.factory import build_app
from gateway.pipeline import Gateway
from gateway.settings import Settings
from gateway.supergraph import load_supergraph
from subgraphs.demo.people.data import people_store
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.fixtures import write_supergraph

EMPLOYEE = people_store().employees[0]
EXPENSIVE = "{ departments { members { name } } }"  # 10 x (1 + 10 x 1) = 110 by default
CHEAP = f'{{ employee(id: "{EMPLOYEE.id}") {{ name }} }}'  # 1
_tags = itertools.count()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.fixture(scope="module")
def proxy(demo_subgraphs: dict[str, str]) -> Iterator[FaultProxy]:
    with running_fault_proxy(demo_subgraphs["people"]) as running:
        yield running


def routed(proxy: FaultProxy, tmp_path: Path) -> tuple[Path, str]:
    """The demo supergraph with the people subgraph behind the proxy under a new tag."""
    tag = f"cost{next(_tags)}"
    path = write_supergraph({"people": proxy.url("pass", tag)}, tmp_path / "supergraph.graphql")
    return path, tag


@pytest.mark.anyio
async def test_an_operation_over_the_maximum_cost_never_reaches_a_subgraph(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    supergraph, tag = routed(proxy, tmp_path)
    app = build_app(
        Settings(
            supergraph=supergraph, data_dir=tmp_path, demand_mode="enforce", demand_max_cost=100
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        refused = await client.post(
            "/graphql",
            json={"query": EXPENSIVE},
            headers={"accept": "application/graphql-response+json"},
        )
        admitted = await client.post("/graphql", json={"query": CHEAP})
    assert refused.status_code == 400, refused.text
    assert refused.json() == {
        "errors": [
            {
                "message": "operation too expensive: estimated cost 110, at most 100",
                "extensions": {
                    "code": "COST_ESTIMATED_TOO_EXPENSIVE",
                    "cost": {"estimated": 110, "max": 100},
                },
            }
        ]
    }
    assert admitted.json() == {"data": {"employee": {"name": EMPLOYEE.name}}}
    assert proxy.count(tag) == 1  # the admitted operation's one fetch, nothing before it


@asynccontextmanager
async def budgeted_client(
    supergraph: Path, clock: list[float], budget: int
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose callers may spend ``budget`` per minute, on the test's clock."""
    loaded = load_supergraph(supergraph)
    demand = DemandControl(
        CostSchema.of(loaded.schema),
        DemandSettings(mode="enforce", budget_per_minute=budget, expose=True),
        budget=MemoryCostBudget(lambda: clock[0]),
    )
    gateway = Gateway(loaded, transport=AiohttpTransport(timeout=10.0), demand=demand)
    app = create_app(gateway, dev_identity=DevIdentity({}))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="http://t",
            headers={"x-tandem-dev-user": "emp-001"},
        ) as client:
            yield client
    finally:
        await gateway.close()


@pytest.mark.anyio
async def test_past_its_budget_a_caller_waits_for_the_next_minute(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    supergraph, tag = routed(proxy, tmp_path)
    clock = [60_000.0 + 20]
    async with budgeted_client(supergraph, clock, budget=150) as client:
        first = await client.post("/graphql", json={"query": EXPENSIVE})
        assert first.status_code == 200, first.text
        assert first.json()["extensions"]["cost"]["spent"] == 110
        over = await client.post("/graphql", json={"query": EXPENSIVE})
        assert over.status_code == 429, over.text
        assert over.headers["retry-after"] == "40"
        assert over.json()["errors"][0]["extensions"] == {
            "code": "COST_BUDGET_EXCEEDED",
            "cost": {"estimated": 110, "spent": 110, "budget": 150},
        }
        count_after_refusal = proxy.count(tag)
        clock[0] += 40  # the next minute: a new budget
        again = await client.post("/graphql", json={"query": EXPENSIVE})
        assert again.status_code == 200, again.text
    assert count_after_refusal == 1  # the first operation's fetch only
    assert proxy.count(tag) == 2
    cost = again.json()["extensions"]["cost"]
    departments = again.json()["data"]["departments"]
    members = sum(len(d["members"]) for d in departments)
    assert cost == {
        "estimated": 110,
        "actual": len(departments) + members,  # what the lists really held
        "max": 10_000,
        "budget": 150,
        "spent": 110,
    }
