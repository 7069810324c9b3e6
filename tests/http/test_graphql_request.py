"""Every GraphQL endpoint reads its request the same way (``gateway/graphql_request.py``):
``/graphql``, the policy admin API and the decryption audit API refuse the same bad requests
with the same status and code, under the same body limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from gateway.auth.dev_identity import DevIdentity
from gateway.auth.identify import Identifier
from gateway.crypto.audit import MemoryAuditLog
from gateway.crypto.audit_api import AuditAPI, audit_route
from gateway.graphql_request import MAX_BODY_BYTES
from tests.authz.policy_support import admin_headers, build_replica, identity, scratch_postgres
from tests.support.fixtures import DEMO_SUPERGRAPH

pytestmark = pytest.mark.anyio

ENDPOINTS = ("/graphql", "/admin/graphql", "/admin/crypto/graphql")
JSON = {"content-type": "application/json"}
QUERY = b'{"query": "{ __typename }"}'

# (what is wrong, body, extra headers) -> the same (status, code) from every endpoint
REFUSED: list[tuple[str, bytes, dict[str, str], int, str]] = [
    ("body over the limit", b" " * (MAX_BODY_BYTES + 1) + QUERY, JSON, 413, "PAYLOAD_TOO_LARGE"),
    ("text/plain", QUERY, {"content-type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("form", QUERY, {"content-type": "application/x-www-form-urlencoded"}, 415,
     "UNSUPPORTED_MEDIA_TYPE"),
    ("not JSON", b"{query", JSON, 400, "BAD_REQUEST"),
    ("a list", b"[" + QUERY + b"]", JSON, 400, "BAD_REQUEST"),
    ("no query", b'{"variables": {}}', JSON, 400, "BAD_REQUEST"),
    ("blank query", b'{"query": "  "}', JSON, 400, "BAD_REQUEST"),
    ("query not a string", b'{"query": 7}', JSON, 400, "BAD_REQUEST"),
    ("variables a list", b'{"query": "{ __typename }", "variables": []}', JSON, 400,
     "BAD_REQUEST"),
    ("operationName a number", b'{"query": "{ __typename }", "operationName": 1}', JSON, 400,
     "BAD_REQUEST"),
]  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def database_url() -> Iterator[str]:
    with scratch_postgres() as url:
        yield url


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A replica wired as the factory wires it, with the decryption audit API beside."""
    replica = build_replica(DEMO_SUPERGRAPH, database_url)
    audit = AuditAPI(MemoryAuditLog(), replica.enforcer)
    identify = Identifier(dev_identity=DevIdentity({})).identify
    replica.app.router.routes.append(audit_route(audit, identify))
    async with replica.app.router.lifespan_context(replica.app):
        transport = httpx.ASGITransport(app=replica.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            yield client


def refusal(response: httpx.Response) -> tuple[int, str]:
    body: dict[str, Any] = response.json()
    return response.status_code, body["errors"][0]["extensions"]["code"]


async def test_every_endpoint_refuses_a_bad_request_with_the_same_status_and_code(
    client: httpx.AsyncClient,
) -> None:
    for endpoint in ENDPOINTS:
        for wrong, body, headers, status, code in REFUSED:
            response = await client.post(endpoint, content=body, headers=headers)
            assert refusal(response) == (status, code), (endpoint, wrong)


async def test_a_streamed_body_over_the_limit_is_refused_by_every_endpoint(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY_BYTES // 65_536 + 2):
            yield b" " * 65_536

    for endpoint in ENDPOINTS:
        response = await client.post(endpoint, content=chunks(), headers=JSON)
        assert "content-length" not in response.request.headers
        assert refusal(response) == (413, "PAYLOAD_TOO_LARGE"), endpoint


async def test_a_well_formed_request_reaches_each_endpoints_api(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", content=QUERY, headers=JSON)
    assert response.json() == {"data": {"__typename": "Query"}}
    admin = await client.post(
        "/admin/graphql",
        json={"query": "{ currentVersion }", "variables": None},
        headers=admin_headers(),
    )
    assert admin.status_code == 200 and isinstance(admin.json()["data"]["currentVersion"], int)
    auditor = identity("aud-001", "employee", "auditor")
    reads = await client.post(
        "/admin/crypto/graphql",
        content=b'{"query": "{ plaintextReads(first: 5) { nodes { subject } } }"}',
        headers={**auditor, "content-type": "application/json; charset=utf-8"},
    )
    assert reads.json() == {"data": {"plaintextReads": {"nodes": []}}}
