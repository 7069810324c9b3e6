"""A subgraph that fails in every way a subgraph can, behind the gateway's HTTP face.

The supergraph (``tests/support/faulty_supergraph.graphql``) joins the real demo people
subgraph with ``tests/support/faulty_subgraph.py``, whose behaviour each test picks by URL.
Whatever the fault, the gateway answers HTTP 200 with the people subgraph's data, ``null``
where the faulty subgraph's fields were (propagated to the nearest nullable parent when the
field is non-null: GraphQL spec, "Handling Field Errors"), and an error with the fault's
``extensions.code``; a per-subgraph timeout fails the slow one fast while the others answer.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import AiohttpTransport, HttpTransport, Transport
from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from subgraphs.demo.people.data import people_store
from tests.support.faulty_subgraph import (
    ANNOUNCEMENTS,
    SLOW_SECONDS,
    acknowledgement,
    badge_code,
    badge_level,
    nickname,
)
from tests.support.gateway_process import running_gateway

PEOPLE = people_store()
EMPLOYEE = PEOPLE.employees[0]
FAULTY_TIMEOUT = 0.3
"""The faulty subgraph's own timeout; every other subgraph gets :data:`DEFAULT_TIMEOUT`."""
DEFAULT_TIMEOUT = 10.0
FAST = SLOW_SECONDS / 2
"""A bound that only catches a hang: half the slow mode's wait, many times the faulty
subgraph's timeout (the codes and messages say the timeout cut the fetch, not the clock)."""

FAULT_CODES = {
    "http500": "SUBGRAPH_BAD_RESPONSE",  # an HTML error page is no GraphQL response
    "not-json": "SUBGRAPH_BAD_RESPONSE",
    "not-graphql": "SUBGRAPH_BAD_RESPONSE",
    "slow": "SUBGRAPH_TIMEOUT",
    "truncated": "SUBGRAPH_UNAVAILABLE",
    "closed": "SUBGRAPH_UNAVAILABLE",
    "down": "SUBGRAPH_UNAVAILABLE",
}
TRANSPORTS: dict[str, Callable[..., Transport]] = {
    "aiohttp": AiohttpTransport,
    "httpx": HttpTransport,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


# -- the operations, with their data when the faulty subgraph answers and when it fails ------


@dataclass(frozen=True)
class Shape:
    """An operation touching the faulty subgraph, and what becomes of it."""

    query: str
    healthy: dict[str, Any]
    faulty: dict[str, Any] | None
    """The data when the faulty subgraph fails: ``None`` when a null reaches the root."""
    nulled: tuple[tuple[str | int, ...], ...]
    """The response paths of the faulty subgraph's fields."""
    root_fetch: bool = False
    """Whether the faulty subgraph's fields are root fields (a root fetch, not ``_entities``)."""


def _employees(count: int) -> list[Any]:
    return list(PEOPLE.employees[:count])


SHAPES = {
    "root_field": Shape(
        query=f'{{ employee(id: "{EMPLOYEE.id}") {{ name }} announcements }}',
        healthy={"employee": {"name": EMPLOYEE.name}, "announcements": list(ANNOUNCEMENTS)},
        faulty={"employee": {"name": EMPLOYEE.name}, "announcements": None},
        nulled=(("announcements",),),
        root_fetch=True,
    ),
    "mutation": Shape(
        query="mutation { acknowledge(index: 0) }",
        healthy={"acknowledge": acknowledgement(ANNOUNCEMENTS[0])},
        faulty={"acknowledge": None},
        nulled=(("acknowledge",),),
        root_fetch=True,
    ),
    "nullable_entity_field": Shape(
        query=f'{{ employee(id: "{EMPLOYEE.id}") {{ name nickname }} }}',
        healthy={"employee": {"name": EMPLOYEE.name, "nickname": nickname(EMPLOYEE.id)}},
        faulty={"employee": {"name": EMPLOYEE.name, "nickname": None}},
        nulled=(("employee", "nickname"),),
    ),
    "non_null_entity_field": Shape(
        query=f'{{ departments {{ code }} employee(id: "{EMPLOYEE.id}") '
        "{ name badge { code level } } }",
        healthy={
            "departments": [{"code": d.code} for d in PEOPLE.departments],
            "employee": {
                "name": EMPLOYEE.name,
                "badge": {"code": badge_code(EMPLOYEE.id), "level": badge_level(EMPLOYEE.id)},
            },
        },
        # Employee.badge is Badge!: its null takes the nullable employee with it
        faulty={"departments": [{"code": d.code} for d in PEOPLE.departments], "employee": None},
        nulled=(("employee", "badge"),),
    ),
    "entity_field_in_a_list": Shape(
        query="{ employees(first: 3) { name nickname } }",
        healthy={
            "employees": [{"name": e.name, "nickname": nickname(e.id)} for e in _employees(3)]
        },
        faulty={"employees": [{"name": e.name, "nickname": None} for e in _employees(3)]},
        nulled=tuple(("employees", i, "nickname") for i in range(3)),
    ),
    "non_null_up_to_the_root": Shape(
        query="{ employees(first: 2) { name badge { code } } }",
        healthy={
            "employees": [
                {"name": e.name, "badge": {"code": badge_code(e.id)}} for e in _employees(2)
            ]
        },
        # badge: Badge!, in [Employee!]!, in Query.employees: [Employee!]!: nothing nullable
        faulty=None,
        nulled=tuple(("employees", i, "badge") for i in range(2)),
    ),
}


# -- a gateway in front of one mode ------------------------------------------------------------


@asynccontextmanager
async def gateway_client(
    supergraph: Path, transport: Transport
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``create_app`` serving ``supergraph`` through ``transport``."""
    gateway = Gateway(load_supergraph(supergraph), transport=transport)
    app = create_app(gateway)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://tandem.test"
        ) as client:
            yield client
    finally:
        await gateway.close()


def standard_transport(kind: str) -> Transport:
    return TRANSPORTS[kind](timeout=DEFAULT_TIMEOUT, timeouts={"faulty": FAULTY_TIMEOUT})


async def ask(client: httpx.AsyncClient, query: str) -> tuple[dict[str, Any], float]:
    """POST ``query``; the decoded HTTP 200 response and the seconds it took."""
    started = time.monotonic()
    response = await client.post("/graphql", json={"query": query})
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body, elapsed


def is_prefix(prefix: list[Any], path: tuple[Any, ...]) -> bool:
    return tuple(prefix) == path[: len(prefix)]


# -- the tests -----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
@pytest.mark.parametrize("shape", list(SHAPES))
async def test_healthy_subgraph_answers_in_full(
    fault_supergraphs: dict[str, Path], shape: str, transport: str
) -> None:
    async with gateway_client(
        fault_supergraphs["healthy"], standard_transport(transport)
    ) as client:
        body, _ = await ask(client, SHAPES[shape].query)
    assert body == {"data": SHAPES[shape].healthy}


@pytest.mark.anyio
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("mode", list(FAULT_CODES))
async def test_fault_gives_partial_data_and_a_coded_error(
    fault_supergraphs: dict[str, Path], mode: str, shape: str, transport: str
) -> None:
    expected = SHAPES[shape]
    async with gateway_client(fault_supergraphs[mode], standard_transport(transport)) as client:
        body, elapsed = await ask(client, expected.query)
    assert body["data"] == expected.faulty
    errors = body["errors"]
    assert {e["extensions"]["code"] for e in errors} == {FAULT_CODES[mode]}, errors
    for error in errors:
        assert error["extensions"]["serviceName"] == "faulty"
        assert "faulty" in error["message"]
        assert any(is_prefix(error["path"], nulled) for nulled in expected.nulled), error
    for nulled in expected.nulled:  # no null the fault left looks like a real null
        assert any(is_prefix(e["path"], nulled) for e in errors), nulled
    assert elapsed < FAST


@pytest.mark.anyio
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
async def test_per_subgraph_timeout_fails_the_slow_one_while_others_answer(
    fault_supergraphs: dict[str, Path], transport: str
) -> None:
    query = (
        f'{{ departments {{ code }} employee(id: "{EMPLOYEE.id}") {{ name nickname }} '
        "announcements }"
    )
    async with gateway_client(
        fault_supergraphs["slow"],
        TRANSPORTS[transport](timeout=30.0, timeouts={"faulty": FAULTY_TIMEOUT}),
    ) as client:
        body, elapsed = await ask(client, query)
    assert body["data"] == {
        "departments": [{"code": d.code} for d in PEOPLE.departments],
        "employee": {"name": EMPLOYEE.name, "nickname": None},
        "announcements": None,
    }
    assert {e["extensions"]["code"] for e in body["errors"]} == {"SUBGRAPH_TIMEOUT"}
    for error in body["errors"]:  # the second fetch is not sent: the first one's error says why
        assert error["message"].startswith(
            f"subgraph faulty did not answer within {FAULTY_TIMEOUT:g}s"
        ), error
    assert len(body["errors"]) == 2  # the root fetch and the entity fetch
    # the root fetch and the people fetch run side by side, the entity fetch after people's;
    # that it was not sent the messages above say (a clock on a loaded machine cannot)
    assert FAULTY_TIMEOUT <= elapsed < FAST


@pytest.mark.anyio
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
async def test_the_default_timeout_covers_subgraphs_without_their_own(
    fault_supergraphs: dict[str, Path], transport: str
) -> None:
    async with gateway_client(
        fault_supergraphs["slow"],
        TRANSPORTS[transport](timeout=FAULTY_TIMEOUT, timeouts={"people": 30.0}),
    ) as client:
        body, elapsed = await ask(client, SHAPES["nullable_entity_field"].query)
    assert body["data"] == SHAPES["nullable_entity_field"].faulty
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SUBGRAPH_TIMEOUT"]
    assert elapsed < FAST


@pytest.mark.anyio
@pytest.mark.parametrize("transport", sorted(TRANSPORTS))
async def test_one_gateway_keeps_answering_through_faults(
    fault_supergraphs: dict[str, Path], transport: str
) -> None:
    """Connections dropped mid-response leave no broken connection in the pool."""
    async with gateway_client(
        fault_supergraphs["truncated"], standard_transport(transport)
    ) as client:
        for _ in range(3):
            body, _ = await ask(client, SHAPES["nullable_entity_field"].query)
            assert body["data"] == SHAPES["nullable_entity_field"].faulty
            body, _ = await ask(client, f'{{ employee(id: "{EMPLOYEE.id}") {{ name }} }}')
            assert body == {"data": {"employee": {"name": EMPLOYEE.name}}}


@pytest.mark.anyio
async def test_every_entity_nulled_by_a_failed_fetch_is_covered_by_an_error(
    fault_supergraphs: dict[str, Path],
) -> None:
    shape = SHAPES["entity_field_in_a_list"]
    async with gateway_client(fault_supergraphs["down"], standard_transport("aiohttp")) as client:
        body, _ = await ask(client, shape.query)
    assert body["data"] == shape.faulty
    paths = [e["path"] for e in body["errors"] if "path" in e]
    for nulled in shape.nulled:
        assert any(is_prefix(path, nulled) for path in paths), nulled


@pytest.mark.anyio
async def test_failed_fetch_under_a_non_null_field_is_reported_once(
    fault_supergraphs: dict[str, Path],
) -> None:
    shape = SHAPES["non_null_entity_field"]
    async with gateway_client(fault_supergraphs["down"], standard_transport("aiohttp")) as client:
        body, _ = await ask(client, shape.query)
    assert body["data"] == shape.faulty
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SUBGRAPH_UNAVAILABLE"]


@pytest.fixture(scope="module")
def slow_tandem_server(fault_supergraphs: dict[str, Path]) -> Iterator[str]:
    """``tandem serve`` of the slow mode with its own timeout for the faulty subgraph."""
    with running_gateway(
        fault_supergraphs["slow"], "--subgraph-timeout", f"faulty={FAULTY_TIMEOUT}"
    ) as url:
        yield url


def test_tandem_serve_honours_subgraph_timeout_option(slow_tandem_server: str) -> None:
    shape = SHAPES["non_null_entity_field"]
    started = time.monotonic()
    response = httpx.post(slow_tandem_server, json={"query": shape.query}, timeout=30.0)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == shape.faulty
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("SUBGRAPH_TIMEOUT", ["employee"])
    ]
    assert elapsed < FAST


# -- where the gateway falls short (strict: a fix turns these into failures to update) ----


@pytest.mark.anyio
async def test_failed_root_fetch_reports_the_path_of_its_field(
    fault_supergraphs: dict[str, Path],
) -> None:
    async with gateway_client(fault_supergraphs["down"], standard_transport("aiohttp")) as client:
        body, _ = await ask(client, SHAPES["root_field"].query)
    assert body["data"] == SHAPES["root_field"].faulty
    assert [e.get("path") for e in body["errors"]] == [["announcements"]]
