"""GraphQL over HTTP (the GraphQL-over-HTTP draft): methods, media types, statuses, codes.

The app runs in-process (``httpx.ASGITransport``); its gateway sends real HTTP requests to
the demo subgraph processes. With ``Accept: application/graphql-response+json`` a request
error gets its 4xx status; with ``application/json`` a well-formed request gets 200 whatever
its GraphQL errors, and only a request that is not a GraphQL request at all (unreadable
JSON, no query, too large, wrong media type, wrong method) gets a 4xx.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from subgraphs.demo.people.data import people_store
from subgraphs.demo.procurement.data import procurement_store
from tests.support.faulty_subgraph import ANNOUNCEMENTS, acknowledgement

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY = 4096
PEOPLE = people_store()
FIRST = PEOPLE.employees[0]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@asynccontextmanager
async def serving(supergraph: Path) -> AsyncIterator[httpx.AsyncClient]:
    gateway = Gateway(load_supergraph(supergraph))
    app = create_app(gateway, max_body_bytes=MAX_BODY)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://tandem.test"
        ) as client:
            yield client
    finally:
        await gateway.close()


@pytest.fixture
async def client(demo_supergraph: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app serving the demo supergraph."""
    async with serving(demo_supergraph) as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The one error of a request-error response, which has no ``data`` entry."""
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


# -- requests that execute -----------------------------------------------------------------


@pytest.mark.anyio
async def test_post_json_executes_the_operation(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "query ($id: ID!) { employee(id: $id) { name purchaseOrders { orderNo } } }",
            "variables": {"id": FIRST.id},
        },
    )
    assert response.status_code == 200
    assert media_type(response) == JSON
    orders = procurement_store().orders_requested_by(FIRST.id)
    assert response.json() == {
        "data": {
            "employee": {
                "name": FIRST.name,
                "purchaseOrders": [{"orderNo": o.order_no} for o in orders],
            }
        }
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),
        (None, JSON),
    ],
)
async def test_response_media_type_follows_accept(
    client: httpx.AsyncClient, accept: str | None, expected: str
) -> None:
    headers = {"accept": accept} if accept is not None else {}
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.anyio
@pytest.mark.parametrize("content_type", [JSON, f"{JSON}; charset=utf-8", GRAPHQL_RESPONSE])
async def test_post_accepts_json_media_types(client: httpx.AsyncClient, content_type: str) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": content_type}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.anyio
async def test_get_executes_a_query_from_the_url(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query Few($n: Int) { employees(first: $n) { name } } "
            "query Other { __typename }",
            "variables": json.dumps({"n": 2}),
            "operationName": "Few",
        },
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {"employees": [{"name": e.name} for e in PEOPLE.employees[:2]]}
    }


# -- mutations -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_demo_schema_has_no_mutations_so_a_mutation_fails_validation(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "mutation { __typename }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert error_of(response)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.fixture
async def mutation_client(fault_supergraphs: dict[str, Path]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app serving people and the (healthy) faulty subgraph, which has a
    ``Mutation`` type: the demo supergraph has none."""
    async with serving(fault_supergraphs["healthy"]) as client:
        yield client


MUTATION = "mutation Ack { acknowledge(index: 1) }"


@pytest.mark.anyio
async def test_post_executes_a_mutation(mutation_client: httpx.AsyncClient) -> None:
    response = await mutation_client.post("/graphql", json={"query": MUTATION})
    assert response.status_code == 200
    assert response.json() == {"data": {"acknowledge": acknowledgement(ANNOUNCEMENTS[1])}}


@pytest.mark.anyio
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_get_refuses_a_mutation_with_405(
    mutation_client: httpx.AsyncClient, accept: str
) -> None:
    response = await mutation_client.get(
        "/graphql", params={"query": MUTATION}, headers={"accept": accept}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_of(response)["extensions"]["code"] == "OPERATION_NOT_ALLOWED"


@pytest.mark.anyio
async def test_get_runs_the_query_of_a_document_that_also_has_a_mutation(
    mutation_client: httpx.AsyncClient,
) -> None:
    response = await mutation_client.get(
        "/graphql",
        params={"query": f"{MUTATION} query News {{ announcements }}", "operationName": "News"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"announcements": list(ANNOUNCEMENTS)}}


# -- GraphQL request errors: 400 with graphql-response+json, 200 with json ---------------------


OPERATION_ERRORS = {
    "parse_error": ({"query": "{ employees(first: 2) { name "}, "GRAPHQL_PARSE_FAILED"),
    "validation_error": ({"query": "{ employees { salary } }"}, "GRAPHQL_VALIDATION_FAILED"),
    "unknown_operation_name": (
        {"query": "query A { __typename }", "operationName": "B"},
        "OPERATION_NOT_FOUND",
    ),
    "several_operations_without_a_name": (
        {"query": "query A { __typename } query B { __typename }"},
        "OPERATION_NAME_REQUIRED",
    ),
    "variable_of_the_wrong_type": (
        {"query": "query ($n: Int) { employees(first: $n) { name } }", "variables": {"n": "two"}},
        "BAD_USER_INPUT",
    ),
    "required_variable_missing": (
        {"query": "query ($id: ID!) { employee(id: $id) { name } }", "variables": {}},
        "BAD_USER_INPUT",
    ),
    "null_for_a_non_null_variable": (
        {"query": "query ($n: Int!) { items(first: $n) { sku } }", "variables": {"n": None}},
        "BAD_USER_INPUT",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
@pytest.mark.parametrize("name", list(OPERATION_ERRORS))
async def test_operation_errors_are_coded(
    client: httpx.AsyncClient, name: str, accept: str, status: int
) -> None:
    body, code = OPERATION_ERRORS[name]
    response = await client.post("/graphql", json=body, headers={"accept": accept})
    assert response.status_code == status
    assert media_type(response) == accept
    assert error_of(response)["extensions"]["code"] == code


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "location"),
    [("{\n  employees { salary }\n}", (2, 15)), ("{\n  employees {\n", (3, 1))],
    ids=["validation", "parse"],
)
async def test_document_errors_say_where(
    client: httpx.AsyncClient, query: str, location: tuple[int, int]
) -> None:
    response = await client.post("/graphql", json={"query": query})
    error = error_of(response)
    assert error["locations"] == [{"line": location[0], "column": location[1]}]


@pytest.mark.anyio
async def test_null_variables_operation_name_and_extensions_are_allowed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": "{ __typename }",
            "variables": None,
            "operationName": None,
            "extensions": None,
        },
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


# -- requests that are not GraphQL requests: 4xx whatever the client accepts -----------------


NOT_GRAPHQL = {
    "malformed_json": (b'{"query": "{ __typename }"', 400, "BAD_REQUEST"),
    "json_not_an_object": (b'["{ __typename }"]', 400, "BAD_REQUEST"),
    "missing_query": (b'{"variables": {}}', 400, "BAD_REQUEST"),
    "empty_query": (b'{"query": "  "}', 400, "BAD_REQUEST"),
    "query_not_a_string": (b'{"query": 42}', 400, "BAD_REQUEST"),
    "variables_not_an_object": (
        b'{"query": "{ __typename }", "variables": [1]}',
        400,
        "BAD_REQUEST",
    ),
    "operation_name_not_a_string": (
        b'{"query": "{ __typename }", "operationName": 1}',
        400,
        "BAD_REQUEST",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize("name", list(NOT_GRAPHQL))
async def test_requests_that_are_not_graphql_are_refused(
    client: httpx.AsyncClient, name: str, accept: str
) -> None:
    content, status, code = NOT_GRAPHQL[name]
    response = await client.post(
        "/graphql", content=content, headers={"content-type": JSON, "accept": accept}
    )
    assert response.status_code == status
    assert error_of(response)["extensions"]["code"] == code


@pytest.mark.anyio
@pytest.mark.parametrize(
    "params",
    [{}, {"query": ""}, {"query": "{ __typename }", "variables": "{not json"}],
    ids=["no_query", "empty_query", "variables_not_json"],
)
async def test_get_without_a_usable_query_is_a_bad_request(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/graphql", params=params)
    assert response.status_code == 400
    assert error_of(response)["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/graphql"]
)
async def test_unsupported_content_type_is_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert error_of(response)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def padded_query(size: int) -> bytes:
    """A valid request body of ``size`` bytes: ``{ __typename }`` and a long comment."""
    start = b'{"query": "{ __typename } #'
    end = b'"}'
    return start + b"x" * (size - len(start) - len(end)) + end


@pytest.mark.anyio
async def test_body_at_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=padded_query(MAX_BODY), headers={"content-type": JSON}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.anyio
async def test_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=padded_query(MAX_BODY + 1), headers={"content-type": JSON}
    )
    assert response.status_code == 413
    assert error_of(response)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.anyio
async def test_streamed_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    """Without a Content-Length (chunked), the limit holds while the body streams in."""
    body = padded_query(MAX_BODY * 3)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    response = await client.post("/graphql", content=chunks(), headers={"content-type": JSON})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert error_of(response)["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.anyio
async def test_other_methods_are_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405


# -- health ------------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "status"), [("/health", "ok"), ("/ready", "ready")])
async def test_health_and_readiness(client: httpx.AsyncClient, path: str, status: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": status}
