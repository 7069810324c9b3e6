"""``/metrics``: Prometheus text counting operations by name, kind and outcome, their latency,
each subgraph's latency and failures by code, the document and plan caches' answers; operation
names bounded; off by a setting. Against the gateway ``build_app`` makes and the demo
subgraphs as real processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.auth.sessions import MemorySessionStore, Session
from gateway.http.factory import build_app
from gateway.settings import Settings
from gateway.telemetry.metrics import OTHER, Metrics
from gateway.telemetry.observation import Observation
from tests.support.fixtures import write_supergraph
from tests.support.processes import free_port

pytestmark = pytest.mark.anyio

WHO = "query Who($id: ID!) { employee(id: $id) { name } }"


@asynccontextmanager
async def serving(
    supergraph: Path, data_dir: Path, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(Settings(supergraph=supergraph, data_dir=data_dir, **settings))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tandem.test") as c,
    ):
        yield c


def value(metrics: str, name: str, **labels: str) -> float:
    """The sample ``name`` with exactly these labels (0 when absent)."""
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_operations_caches_and_subgraph_latency_are_counted(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    async with serving(demo_supergraph, tmp_path) as client:
        for _ in range(2):
            answered = await client.post("/graphql", json={"query": WHO, "variables": {"id": "1"}})
            assert answered.status_code == 200 and "errors" not in answered.json()
        await client.post("/graphql", json={"query": "{ nope }"})
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    requests = "tandem_requests_total"
    assert value(text, requests, operation="Who", kind="query", outcome="success") == 2
    assert value(text, requests, operation="(unknown)", kind="(unknown)", outcome="error") == 1
    assert value(text, "tandem_request_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    count = "tandem_request_duration_seconds_count"
    assert value(text, count, operation="Who", kind="query") == 2
    assert value(text, "tandem_subgraph_request_duration_seconds_count", subgraph="people") == 2
    lookups = "tandem_cache_lookups_total"
    assert value(text, lookups, cache="document", result="miss") == 2  # Who, then { nope }
    assert value(text, lookups, cache="document", result="hit") == 1
    assert value(text, lookups, cache="plan", result="miss") == 1
    assert value(text, lookups, cache="plan", result="hit") == 1


async def test_a_subgraph_that_cannot_be_reached_is_counted_by_its_code(
    demo_subgraphs: dict[str, str], tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/graphql"
    supergraph = write_supergraph({**demo_subgraphs, "people": closed}, tmp_path / "s.graphql")
    async with serving(supergraph, tmp_path, subgraph_retries=0) as client:
        answered = await client.post("/graphql", json={"query": WHO, "variables": {"id": "1"}})
        text = (await client.get("/metrics")).text
    (error,) = answered.json()["errors"]
    assert error["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    errors = "tandem_subgraph_errors_total"
    assert value(text, errors, subgraph="people", code="SUBGRAPH_UNAVAILABLE") == 1
    outcome = "partial" if answered.json()["data"] is not None else "error"
    assert value(text, "tandem_requests_total", operation="Who", kind="query", outcome=outcome) == 1


async def test_a_batch_counts_each_operation(demo_supergraph: Path, tmp_path: Path) -> None:
    batch = [{"query": WHO, "variables": {"id": "1"}}, {"query": "query Kind { __typename }"}]
    async with serving(demo_supergraph, tmp_path, batching=True) as client:
        answered = await client.post("/graphql", json=batch)
        text = (await client.get("/metrics")).text
    assert answered.status_code == 200
    requests = "tandem_requests_total"
    assert value(text, requests, operation="Who", kind="query", outcome="success") == 1
    assert value(text, requests, operation="Kind", kind="query", outcome="success") == 1
    assert (
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == requests
        )
        == 2
    )


async def test_metrics_can_be_turned_off(demo_supergraph: Path, tmp_path: Path) -> None:
    async with serving(demo_supergraph, tmp_path, metrics=False) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404


def test_operation_names_past_the_bound_count_as_other() -> None:
    metrics = Metrics(operation_names=2)
    for name in ("A", "B", "C", "A"):
        observed = Observation("id")
        observed.identify("{ __typename }", name, "query")
        observed.outcome = "success"
        metrics.record(observed, 0.001)
    text = metrics.exposition().decode()
    counted = {
        sample.labels["operation"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "tandem_requests_total"
    }
    assert counted == {"A": 2, "B": 1, OTHER: 1}


async def test_active_sessions_are_the_unexpired_ones_of_the_store() -> None:
    now = [1000.0]
    store = MemorySessionStore(clock=lambda: now[0])
    metrics = Metrics()
    metrics.sessions(store.active)
    for ttl in (60, 600):
        session = Session("emp-001", None, {}, None, "access", now[0] + 60)
        await store.create(session, ttl)
    gauge = "tandem_sessions_active"
    assert value(metrics.exposition().decode(), gauge) == 2
    now[0] += 120  # the first has expired
    assert value(metrics.exposition().decode(), gauge) == 1


async def test_estimated_costs_and_what_measure_mode_would_refuse(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    settings = {"demand_mode": "measure", "demand_max_cost": 1}
    async with serving(demo_supergraph, tmp_path, **settings) as client:
        answered = await client.post("/graphql", json={"query": "{ employees { name } }"})
        text = (await client.get("/metrics")).text
    assert answered.status_code == 200 and "errors" not in answered.json()  # measured only
    assert value(text, "tandem_operation_estimated_cost_count") == 1
    assert value(text, "tandem_operation_estimated_cost_sum") > 1
    refusals = "tandem_cost_refusals_total"
    assert value(text, refusals, code="COST_ESTIMATED_TOO_EXPENSIVE", mode="measure") == 1
