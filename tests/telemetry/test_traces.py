"""Traces: a span per request with children per phase and per subgraph fetch; a trusted
client's ``traceparent`` continued, an untrusted one linked; the OA and ERP subgraphs (real
processes, exporting over OTLP) continue the trace below the gateway's fetch spans, down to
their SQL statements; the request id travels with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from tests.e2e.stack import eventually
from tests.support.otlp_receiver import ReceivedSpan, Receiver
from tests.telemetry.stack import gateway_client

pytestmark = pytest.mark.anyio

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
BUDGET = """query DepartmentBudget($id: ID!, $period: String!) {
  department(id: $id) { id name budget(period: $period) { amount { amount } } }
}"""
VARIABLES = {"id": "dept-01", "period": "2026-12"}
EMPLOYEE = {"x-tandem-dev-user": "emp-029", "x-tandem-dev-roles": "manager,employee"}


def hex_trace(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}"


def hex_span(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.span_id:016x}"


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_a_trusted_traceparent_is_continued_by_the_gateway_and_both_subgraphs(
    supergraph: Path, data_dir: Path, receiver: Receiver
) -> None:
    async with gateway_client(supergraph, data_dir) as (client, exported):
        response = await client.post(
            "/graphql",
            json={"query": BUDGET, "variables": VARIABLES},
            headers={**EMPLOYEE, "traceparent": TRACEPARENT},
        )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["department"]["id"] == "dept-01"
    request_id = response.headers["x-request-id"]
    spans = exported.get_finished_spans()
    (root,) = [span for span in spans if span.kind == SpanKind.SERVER]
    assert hex_trace(root) == CLIENT_TRACE and root.parent is not None
    assert f"{root.parent.span_id:016x}" == CLIENT_SPAN
    assert root.name == "query DepartmentBudget"
    assert root.attributes is not None
    assert root.attributes["graphql.operation.name"] == "DepartmentBudget"
    assert root.attributes["graphql.operation.type"] == "query"
    assert root.attributes["tandem.request_id"] == request_id
    assert root.attributes["http.response.status_code"] == 200
    for phase in ("graphql.parse", "graphql.authorize", "graphql.plan", "graphql.protect"):
        (child,) = by_name(spans, phase)
        assert child.parent is not None and child.parent.span_id == root.context.span_id
    (plan,) = by_name(spans, "graphql.plan")
    assert plan.attributes == {"tandem.plan.cache_hit": False}
    fetches = {span.name: span for span in spans if span.kind == SpanKind.CLIENT}
    assert set(fetches) == {"subgraph oa", "subgraph erp"}
    assert all(hex_trace(span) == CLIENT_TRACE for span in spans)

    def subgraph_spans() -> list[ReceivedSpan] | None:
        received = receiver.of_trace(CLIENT_TRACE)
        servers = [s for s in received if s.name == "POST /graphql"]
        sql = [
            s for s in received if "db.statement" in s.attributes or "db.query.text" in s.attributes
        ]
        services = {s.service for s in sql}
        return received if len(servers) == 2 and {"tandem-oa", "tandem-erp"} <= services else None

    received = eventually(subgraph_spans)
    for service, fetch in (
        ("tandem-oa", fetches["subgraph oa"]),
        ("tandem-erp", fetches["subgraph erp"]),
    ):
        (server,) = [s for s in received if s.service == service and s.name == "POST /graphql"]
        assert server.parent_span_id == hex_span(fetch)  # below the gateway's fetch
        assert server.attributes["tandem.request_id"] == request_id
        below = {s.parent_span_id for s in received if s.service == service}
        assert server.span_id in below  # strawberry's operation span hangs below it


async def test_an_untrusted_traceparent_starts_a_new_trace_linked_to_the_clients(
    supergraph: Path, data_dir: Path
) -> None:
    async with gateway_client(supergraph, data_dir, trust=("10.0.0.0/8",)) as (client, exported):
        response = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"traceparent": TRACEPARENT}
        )
    assert response.status_code == 200
    (root,) = exported.get_finished_spans()[-1:]
    assert root.kind == SpanKind.SERVER and root.parent is None
    assert hex_trace(root) != CLIENT_TRACE
    (link,) = root.links
    assert f"{link.context.trace_id:032x}" == CLIENT_TRACE


async def test_a_client_in_a_trusted_block_continues_its_trace(
    supergraph: Path, data_dir: Path
) -> None:
    """The in-process client's address is 127.0.0.1."""
    async with gateway_client(supergraph, data_dir, trust=("127.0.0.0/8",)) as (client, exported):
        await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"traceparent": TRACEPARENT}
        )
    (root,) = [s for s in exported.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert hex_trace(root) == CLIENT_TRACE


async def test_the_second_request_finds_its_plan_cached(supergraph: Path, data_dir: Path) -> None:
    async with gateway_client(supergraph, data_dir) as (client, exported):
        for _ in range(2):
            response = await client.post(
                "/graphql", json={"query": BUDGET, "variables": VARIABLES}, headers=EMPLOYEE
            )
            assert response.status_code == 200
    plans = by_name(exported.get_finished_spans(), "graphql.plan")
    assert [p.attributes and p.attributes["tandem.plan.cache_hit"] for p in plans] == [False, True]
    roots = [s for s in exported.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert [r.attributes and r.attributes["tandem.document.cache_hit"] for r in roots] == [
        False,
        True,
    ]


async def test_a_refused_operation_has_an_error_status_and_code(
    supergraph: Path, data_dir: Path
) -> None:
    async with gateway_client(supergraph, data_dir) as (client, exported):
        response = await client.post("/graphql", json={"query": "{ nope }"})
    assert response.status_code in (200, 400)
    (root,) = [s for s in exported.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert root.attributes is not None
    assert root.attributes["error.type"] == "GRAPHQL_VALIDATION_FAILED"
    assert not root.status.is_ok
    (parse,) = by_name(exported.get_finished_spans(), "graphql.parse")
    assert parse.attributes == {"error.type": "GRAPHQL_VALIDATION_FAILED"}


async def test_each_operation_of_a_batch_has_its_own_span_below_the_request(
    supergraph: Path, data_dir: Path
) -> None:
    batch = [{"query": BUDGET, "variables": VARIABLES}, {"query": "query Kind { __typename }"}]
    async with gateway_client(supergraph, data_dir, batching=True) as (client, exported):
        response = await client.post("/graphql", json=batch, headers=EMPLOYEE)
    assert response.status_code == 200 and len(response.json()) == 2
    spans = exported.get_finished_spans()
    (root,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert root.name == "POST /graphql" and root.parent is None
    operations = {
        s.attributes["tandem.batch.index"]: s
        for s in by_name(spans, "graphql.operation")
        if s.attributes is not None
    }
    assert set(operations) == {0, 1}
    for operation in operations.values():
        assert operation.parent is not None and operation.parent.span_id == root.context.span_id
    names = {
        i: op.attributes and op.attributes["graphql.operation.name"] for i, op in operations.items()
    }
    assert names == {0: "DepartmentBudget", 1: "Kind"}
    first = operations[0].context.span_id
    fetches = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert len(fetches) == 2 and all(f.parent and f.parent.span_id == first for f in fetches)
    parses = by_name(spans, "graphql.parse")
    assert {p.parent.span_id for p in parses if p.parent} == {
        op.context.span_id for op in operations.values()
    }
