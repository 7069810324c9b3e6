"""The demo stack over real HTTP: ``tandem serve`` in front of the three demo subgraph processes.

Every expectation is computed from the demo data modules (see ``demo_cases.py``) or from the
subgraphs' own introspection, never copied from the gateway's output; responses are compared
with their key order, since GraphQL orders a response as the selection set does (GraphQL
spec, "Executing Selection Sets"). The same operations run in-process through both
transports, which must give identical responses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import AiohttpTransport, HttpTransport, Transport
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.integration.demo_cases import (
    BIG_ORDER,
    CASES,
    PEOPLE,
    PROCUREMENT,
    REQUESTER,
    Case,
    reorder_needed,
)


def test_the_chosen_records_exercise_what_the_queries_cross() -> None:
    assert len(PROCUREMENT.orders_requested_by(REQUESTER.id)) >= 2
    assert len(BIG_ORDER.lines) >= 3
    line_skus = {line.sku for o in PROCUREMENT.orders for line in o.lines}
    assert {reorder_needed(sku) for sku in line_skus} == {True, False}
    assert any(not PROCUREMENT.orders_requested_by(e.id) for e in PEOPLE.employees)


# -- helpers -------------------------------------------------------------------------------


def assert_same_response(actual: Any, expected: Any) -> None:
    """Equal, and with every object's keys in the same order."""
    assert actual == expected
    assert json.dumps(actual) == json.dumps(expected), "same content, different key order"


def post(
    url: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = dict(variables)
    if operation_name is not None:
        body["operationName"] = operation_name
    return httpx.post(url, json=body, timeout=10.0)


# -- through `tandem serve` ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_tandem_serve_answers_with_the_demo_data(tandem_server: str, name: str) -> None:
    case = CASES[name]
    assert case.expected is not None
    response = post(tandem_server, case.query, case.variables, case.operation_name)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert_same_response(response.json(), {"data": case.expected()})


def introspect(url: str, type_name: str) -> dict[str, Any]:
    """``__type(name:)`` as a subgraph itself answers it: field name -> printed type."""
    query = """
    query ($name: String!) {
      __type(name: $name) { fields { name type { kind name ofType { kind name ofType {
        kind name ofType { kind name } } } } } }
    }
    """
    response = post(url, query, {"name": type_name})
    assert response.status_code == 200, response.text
    fields = response.json()["data"]["__type"]["fields"]
    return {f["name"]: f["type"] for f in fields}


INTROSPECTION = """
{
  __schema { queryType { name } mutationType { name } subscriptionType { name } }
  employee: __type(name: "Employee") {
    name
    kind
    fields {
      name
      type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
    }
  }
  entity: __type(name: "_Entity") { name }
  graphs: __type(name: "join__Graph") { name }
  employees(first: 1) { name }
}
"""


def test_introspection_merges_the_subgraphs_and_hides_federation(
    tandem_server: str, demo_subgraphs: dict[str, str]
) -> None:
    response = post(tandem_server, INTROSPECTION)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    data = body["data"]
    assert list(data) == ["__schema", "employee", "entity", "graphs", "employees"]
    assert data["__schema"] == {
        "queryType": {"name": "Query"},
        "mutationType": None,
        "subscriptionType": None,
    }
    # Employee is people's fields plus what procurement contributes (both key it by id)
    expected_fields = {
        **introspect(demo_subgraphs["people"], "Employee"),
        **introspect(demo_subgraphs["procurement"], "Employee"),
    }
    employee_type = data["employee"]
    assert (employee_type["name"], employee_type["kind"]) == ("Employee", "OBJECT")
    assert {f["name"]: f["type"] for f in employee_type["fields"]} == expected_fields
    assert data["entity"] is None
    assert data["graphs"] is None
    assert data["employees"] == [{"name": PEOPLE.employees[0].name}]


def test_query_type_has_the_root_fields_of_every_subgraph(
    tandem_server: str, demo_subgraphs: dict[str, str]
) -> None:
    response = post(tandem_server, '{ __type(name: "Query") { fields { name } } }')
    fields = {f["name"] for f in response.json()["data"]["__type"]["fields"]}
    expected = set()
    for url in demo_subgraphs.values():
        expected |= set(introspect(url, "Query"))
    assert fields == expected - {"_entities", "_service"}


# -- both transports, in-process -------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


async def run_with(transport: Transport, supergraph: Path, requests: list[Case]) -> list[Any]:
    gateway = Gateway(load_supergraph(supergraph), transport=transport)
    try:
        return [await gateway.execute(c.query, c.variables, c.operation_name) for c in requests]
    finally:
        await gateway.close()


@pytest.mark.anyio
async def test_both_transports_give_identical_responses(demo_supergraph: Path) -> None:
    requests = [*CASES.values(), Case(INTROSPECTION, None)]
    requests += requests  # the second round reuses pooled connections and cached plans
    by_aiohttp = await run_with(AiohttpTransport(), demo_supergraph, requests)
    by_httpx = await run_with(HttpTransport(), demo_supergraph, requests)
    for request, first, second in zip(requests, by_aiohttp, by_httpx, strict=True):
        assert_same_response(first, second)
        assert "errors" not in first, request.query
    for request, response in zip(requests, by_aiohttp, strict=True):
        if request.expected is not None:
            assert_same_response(response, {"data": request.expected()})
