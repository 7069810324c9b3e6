"""The identity guard over a real ASGI app: every request needs the gateway's token.

Requests go through ``httpx.ASGITransport`` into the app ``create_subgraph_app`` builds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.types import Info

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.identity import (
    COMPOSITION_HEADER,
    MAX_BODY_BYTES,
    ReplayCache,
    current_principal,
    is_service_sdl_request,
)
from subgraphs.common.schema import create_schema
from subgraphs.common.settings import SubgraphSettings
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import mint_subgraph_token
from tests.common.forge import ALICE, forged_tokens

pytestmark = pytest.mark.anyio

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
SECRET = "composition-secret-for-tests"
UNAUTHENTICATED = {
    "errors": [
        {
            "message": "A valid gateway identity token is required.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


@strawberry.type
class WhoAmI:
    subject: str
    name: str
    roles: list[str]
    department: str | None
    client_id: str | None


@strawberry.federation.type(keys=["id"])
class Employee:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Employee:
        return cls(id=id)

    @strawberry.field
    def seen_by(self, info: Info) -> str:
        return current_principal(info).subject


@strawberry.type
class Query:
    @strawberry.field
    def whoami(self, info: Info) -> WhoAmI:
        principal = info.context["principal"]
        return WhoAmI(
            subject=principal.subject,
            name=principal.name,
            roles=list(principal.roles),
            department=principal.department,
            client_id=principal.client_id,
        )


SCHEMA = create_schema(query=Query, types=[Employee])
WHOAMI = "{ whoami { subject name roles department clientId } }"
ENTITIES = (
    'query { _entities(representations: [{__typename: "Employee", id: "e1"}])'
    " { ... on Employee { id seenBy } } }"
)
SERVICE = "{ _service { sdl } }"


def make_client(composition_secret: str | None = SECRET) -> httpx.AsyncClient:
    settings = SubgraphSettings(name="oa", composition_secret=composition_secret)
    app = create_subgraph_app(SCHEMA, "oa", settings=settings, public_key=PUBLIC)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://oa")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def encoded(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def token_for(body: Any) -> str:
    """A valid token for a request with exactly ``body`` (as :func:`post` encodes it)."""
    return mint_subgraph_token(PRIVATE, "oa", ALICE, body=encoded(body))


async def post(client: httpx.AsyncClient, body: Any, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/graphql", content=encoded(body), headers={"content-type": "application/json", **headers}
    )


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_valid_token_puts_its_principal_in_the_context(client: httpx.AsyncClient) -> None:
    response = await post(client, {"query": WHOAMI}, bearer(token_for({"query": WHOAMI})))

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "whoami": {
                "subject": "emp-001",
                "name": "Alice Li",
                "roles": ["employee", "manager"],
                "department": "dep-01",
                "clientId": "web",
            }
        }
    }


async def test_entities_and_service_answer_with_a_valid_token(client: httpx.AsyncClient) -> None:
    entities = await post(client, {"query": ENTITIES}, bearer(token_for({"query": ENTITIES})))
    service = await post(client, {"query": SERVICE}, bearer(token_for({"query": SERVICE})))

    assert entities.json() == {"data": {"_entities": [{"id": "e1", "seenBy": "emp-001"}]}}
    assert "type Employee @key" in service.json()["data"]["_service"]["sdl"]


@pytest.mark.parametrize("query", [WHOAMI, ENTITIES, SERVICE])
async def test_no_token_no_answer_entities_and_service_included(
    client: httpx.AsyncClient, query: str
) -> None:
    assert_refused(await post(client, {"query": query}, {}))


@pytest.mark.parametrize("forgery", sorted(forged_tokens(PRIVATE, PUBLIC, "oa")))
async def test_every_forged_token_is_refused(client: httpx.AsyncClient, forgery: str) -> None:
    for query in (WHOAMI, ENTITIES, SERVICE):
        body = encoded({"query": query})
        token = forged_tokens(PRIVATE, PUBLIC, "oa", body)[forgery]
        assert_refused(await post(client, body, bearer(token)))


async def test_a_token_opens_only_the_body_it_was_minted_for(client: httpx.AsyncClient) -> None:
    token = token_for({"query": "{ whoami { subject } }"})

    for other in (
        {"query": WHOAMI},
        {"query": ENTITIES},
        {"query": "{ whoami { subject } }", "variables": {"x": 1}},
        {"query": "{ whoami { subject } } "},
    ):
        assert_refused(await post(client, other, bearer(token)))
    answered = await post(client, {"query": "{ whoami { subject } }"}, bearer(token))
    assert answered.json() == {"data": {"whoami": {"subject": "emp-001"}}}


async def test_a_token_is_admitted_once(client: httpx.AsyncClient) -> None:
    token = token_for({"query": WHOAMI})

    first = await post(client, {"query": WHOAMI}, bearer(token))
    again = await post(client, {"query": WHOAMI}, bearer(token))

    assert first.status_code == 200
    assert_refused(again)


async def test_a_body_too_large_to_verify_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = b'{"query": "{ whoami { subject } }", "pad": "' + b" " * MAX_BODY_BYTES + b'"}'

    response = await post(client, body, bearer(token_for(body)))

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


def test_the_replay_cache_forgets_only_expired_tokens() -> None:
    cache = ReplayCache(leeway=2)
    for n in range(1024):  # the cache looks for expired entries from 1,024 on
        assert cache.admit(f"t{n}", expires=100 if n % 2 else 1000, now=50)
    assert not cache.admit("t1", expires=100, now=50)
    assert cache.admit("late", expires=1000, now=103)  # pruned: the odd ones expired at 100+2
    assert len(cache) == 513
    assert not cache.admit("t0", expires=1000, now=103)
    assert cache.admit("t1", expires=1000, now=103)  # expired tokens are refused by expiry


def test_a_full_replay_cache_refuses_rather_than_forgets() -> None:
    cache = ReplayCache(max_entries=1024)
    for n in range(1024):
        assert cache.admit(f"t{n}", expires=1000, now=0)
    assert not cache.admit("one-more", expires=1000, now=0)


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc", SECRET, f"Bearer {SECRET}"],
)
async def test_other_authorization_schemes_are_refused(
    client: httpx.AsyncClient, authorization: str
) -> None:
    assert_refused(await post(client, {"query": WHOAMI}, {"authorization": authorization}))


async def test_a_repeated_authorization_header_is_refused(client: httpx.AsyncClient) -> None:
    token = token_for({"query": WHOAMI})
    headers = [("authorization", f"Bearer {token}"), ("authorization", f"Bearer {token}")]

    response = await client.post("/graphql", json={"query": WHOAMI}, headers=headers)

    assert_refused(response)


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{ _service { sdl } }"},
        {"query": "query { _service { sdl } }", "variables": None},
        {"query": "query Compose { _service { sdl } }", "operationName": "Compose"},
        {"query": "{\n  _service {\n    sdl\n  }\n}\n", "variables": {}},
    ],
)
async def test_the_composition_credential_reads_the_sdl(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await post(client, body, {COMPOSITION_HEADER: SECRET})

    assert response.status_code == 200
    assert 'type Employee @key(fields: "id")' in response.json()["data"]["_service"]["sdl"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": WHOAMI},
        {"query": ENTITIES},
        {"query": "{ _service { sdl } whoami { subject } }"},
        {"query": "{ s: _service { sdl } }"},
        {"query": "{ _service { s: sdl } }"},
        {"query": "{ _service { sdl __typename } }"},
        {"query": "{ _service { ...F } } fragment F on _Service { sdl }"},
        {"query": "{ ... on Query { _service { sdl } } }"},
        {"query": "{ _service @include(if: true) { sdl } }"},
        {"query": "query @skip(if: false) { _service { sdl } }"},
        {"query": "query ($a: Boolean) { _service { sdl } }", "variables": {"a": True}},
        {"query": "query A { _service { sdl } } query B { whoami { subject } }"},
        {"query": "mutation { _service { sdl } }"},
        {"query": "{ __schema { types { name } } }"},
        {"query": "{ _service { sdl } }", "extensions": {"persistedQuery": {}}},
        {"query": "{ _service { sdl "},
        {"query": ["{ _service { sdl } }"]},
        [{"query": "{ _service { sdl } }"}],
        b"{ _service { sdl } }",
        b'{"query": "{ _service { sdl } }' + b" " * 5000 + b'"}',
    ],
)
async def test_the_composition_credential_opens_nothing_else(
    client: httpx.AsyncClient, body: Any
) -> None:
    assert_refused(await post(client, body, {COMPOSITION_HEADER: SECRET}))


async def test_the_composition_credential_must_match_exactly(client: httpx.AsyncClient) -> None:
    for offered in ("", "composition-secret", SECRET + "x", SECRET.upper()):
        assert_refused(await post(client, {"query": SERVICE}, {COMPOSITION_HEADER: offered}))


async def test_without_a_configured_secret_no_credential_works() -> None:
    async with make_client(composition_secret=None) as client:
        for offered in ("", SECRET, "None"):
            assert_refused(await post(client, {"query": SERVICE}, {COMPOSITION_HEADER: offered}))


async def test_the_composition_credential_only_posts(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": SERVICE}, headers={COMPOSITION_HEADER: SECRET}
    )
    assert_refused(response)


async def test_health_needs_no_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "subgraph": "oa"}


async def test_unknown_paths_are_refused_before_routing(client: httpx.AsyncClient) -> None:
    assert_refused(await client.get("/graphql"))
    assert_refused(await client.get("/anything"))


def test_service_sdl_request_recognizer() -> None:
    assert is_service_sdl_request(b'{"query": "{ _service { sdl } }"}')
    assert not is_service_sdl_request(b'{"query": "{ _service { sdl } }", "variables": {"a": 1}}')
    assert not is_service_sdl_request(b"\xff")
