"""Subgraph answers that are well-formed HTTP 200 JSON but wrong for the fetch (issue 11).

A fault-injecting proxy (``tests/support/fault_proxy.py``) stands between the gateway and the
faulty subgraph of ``tests/support/faulty_supergraph.graphql``; the people subgraph answers for
real. Whatever the wrong answer, the client gets the other subgraph's data intact, null where
the wrong answer was, and an ``INVALID_SUBGRAPH_RESPONSE`` error naming the subgraph at that
path: never a plausible null without an error, never a value of the wrong type.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from subgraphs.demo.people.data import people_store
from tests.support.fault_proxy import FaultProxy
from tests.support.faulty_subgraph import ANNOUNCEMENTS, nickname
from tests.support.fixtures import write_supergraph
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH
from tests.support.processes import REPO_ROOT

INVALID = "INVALID_SUBGRAPH_RESPONSE"
PEOPLE = people_store()
EMPLOYEE = PEOPLE.employees[0]
TANDEM_SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
_tags = itertools.count()


def tag() -> str:
    return f"t{next(_tags)}"


@asynccontextmanager
async def client_for(supergraph: Path, **gateway_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = AiohttpTransport(timeout=10.0)
    gateway = Gateway(load_supergraph(supergraph), transport=transport, **gateway_options)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(gateway)), base_url="http://tandem.test"
        ) as client:
            yield client
    finally:
        await gateway.close()


async def ask(people_url: str, faulty_url: str, tmp_path: Path, query: str) -> dict[str, Any]:
    """POST ``query`` to a gateway whose faulty graph is ``faulty_url``: the HTTP 200 body."""
    supergraph = write_supergraph(
        {"people": people_url, "faulty": faulty_url},
        tmp_path / "supergraph.graphql",
        source=FAULTY_SUPERGRAPH,
    )
    async with client_for(supergraph) as client:
        response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_invalid_from_faulty(errors: list[dict[str, Any]], paths: list[list[Any]]) -> None:
    """Exactly one INVALID_SUBGRAPH_RESPONSE error naming ``faulty`` at each of ``paths``."""
    assert sorted((e["path"] for e in errors), key=str) == sorted(paths, key=str), errors
    for error in errors:
        assert error["extensions"] == {"code": INVALID, "serviceName": "faulty"}, error
        assert "faulty" in error["message"], error


ROOT_QUERY = f'{{ employee(id: "{EMPLOYEE.id}") {{ name }} announcements }}'
ROOT_ANSWERS: dict[str, tuple[Any, list[Any], str]] = {
    # case: (the subgraph's answer, the error path, words of the message)
    "data_null": ({"data": None}, ["announcements"], "data: null without errors"),
    "data_list": ({"data": [ANNOUNCEMENTS[0]]}, ["announcements"], "a list, not an object"),
    "errors_a_string": (
        {"data": None, "errors": "the database is on fire"},
        ["announcements"],
        "errors that are a string",
    ),
    "errors_not_objects": ({"data": None, "errors": [1, 2]}, ["announcements"], "not all"),
    "item_of_the_wrong_type": (
        {"data": {"announcements": [{"evil": 1}]}},
        ["announcements", 0],
        "an object where a String",
    ),
    "a_number_for_a_string": (
        {"data": {"announcements": [ANNOUNCEMENTS[0], 7]}},
        ["announcements", 1],
        "an integer where a String",
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(ROOT_ANSWERS))
async def test_wrong_root_answer_is_one_coded_error_at_its_field(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path, case: str
) -> None:
    answer, path, words = ROOT_ANSWERS[case]
    body = await ask(demo_subgraphs["people"], proxy.answering(answer, tag()), tmp_path, ROOT_QUERY)
    assert body["data"] == {"employee": {"name": EMPLOYEE.name}, "announcements": None}
    assert_invalid_from_faulty(body["errors"], [path])
    assert words in body["errors"][0]["message"]


@pytest.mark.anyio
async def test_answer_to_a_different_query_is_not_a_null(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    """The subgraph's real answer to ``{ __typename }``: it lacks the field asked for."""
    body = await ask(demo_subgraphs["people"], proxy.url("other", tag()), tmp_path, ROOT_QUERY)
    assert body["data"] == {"employee": {"name": EMPLOYEE.name}, "announcements": None}
    assert_invalid_from_faulty(body["errors"], [["announcements"]])
    assert "announcements" in body["errors"][0]["message"]


@pytest.mark.anyio
async def test_the_proxy_passes_a_good_answer_through_untouched(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    """The errors above come from the answers, not from the proxy being in the way."""
    query = (
        f'{{ employee(id: "{EMPLOYEE.id}") {{ name nickname badge {{ code }} }} announcements }}'
    )
    body = await ask(demo_subgraphs["people"], proxy.url("pass", tag()), tmp_path, query)
    assert "errors" not in body, body
    assert body["data"]["announcements"] == list(ANNOUNCEMENTS)
    assert body["data"]["employee"]["nickname"] == nickname(EMPLOYEE.id)


LIST_QUERY = "{ employees(first: 3) { name nickname } }"
ENTITY_ANSWERS: dict[str, Any] = {
    "entities_not_a_list": {"data": {"_entities": "nope"}},
    "entities_missing": {"data": {"announcements": None}},
    "too_few_entities": {"data": {"_entities": [{"nickname": "only one"}]}},
    "data_null": {"data": None},
}


@pytest.mark.anyio
@pytest.mark.parametrize("case", list(ENTITY_ANSWERS))
async def test_wrong_entities_answer_covers_every_entity_with_an_error(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path, case: str
) -> None:
    answer = ENTITY_ANSWERS[case]
    body = await ask(demo_subgraphs["people"], proxy.answering(answer, tag()), tmp_path, LIST_QUERY)
    employees = PEOPLE.employees[:3]
    assert body["data"] == {"employees": [{"name": e.name, "nickname": None} for e in employees]}
    assert_invalid_from_faulty(body["errors"], [["employees", i] for i in range(3)])


@pytest.mark.anyio
async def test_entity_that_is_not_an_object_is_an_error_at_its_path_only(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    answer = {"data": {"_entities": [{"nickname": "good"}, "bad", None]}}
    body = await ask(demo_subgraphs["people"], proxy.answering(answer, tag()), tmp_path, LIST_QUERY)
    assert [e["nickname"] for e in body["data"]["employees"]] == ["good", None, None]
    assert_invalid_from_faulty(body["errors"], [["employees", 1]])


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("badge", "path"),
    [
        ({"code": {"evil": 1}, "level": 2}, "code"),  # String!
        ({"code": "B-1", "level": "2"}, "level"),  # Int!
        ({"code": "B-1", "level": 2**40}, "level"),  # beyond GraphQL's 32-bit Int
        ({"code": "B-1", "level": True}, "level"),  # a JSON boolean is no Int
    ],
)
async def test_non_null_leaf_of_the_wrong_type_nulls_its_parent_with_one_error(
    demo_subgraphs: dict[str, str],
    proxy: FaultProxy,
    tmp_path: Path,
    badge: dict[str, Any],
    path: str,
) -> None:
    query = f'{{ employee(id: "{EMPLOYEE.id}") {{ name badge {{ code level }} }} }}'
    answer = {"data": {"_entities": [{"badge": badge}]}}
    body = await ask(demo_subgraphs["people"], proxy.answering(answer, tag()), tmp_path, query)
    assert body["data"] == {"employee": None}  # Employee.badge: Badge! takes employee with it
    assert_invalid_from_faulty(body["errors"], [["employee", "badge", path]])


@pytest.mark.anyio
async def test_nullable_leaf_of_the_wrong_type_is_null_with_an_error(
    demo_subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    answer = {"data": {"_entities": [{"nickname": 42}, {"nickname": "ok"}, {"nickname": None}]}}
    body = await ask(demo_subgraphs["people"], proxy.answering(answer, tag()), tmp_path, LIST_QUERY)
    assert [e["nickname"] for e in body["data"]["employees"]] == [None, "ok", None]
    assert_invalid_from_faulty(body["errors"], [["employees", 0, "nickname"]])


@pytest.mark.anyio
async def test_money_amount_of_the_wrong_type_names_erp(proxy: FaultProxy, tmp_path: Path) -> None:
    """``Money.amount`` is a decimal string (DOMAIN.md); an object there never reaches a client."""
    answer = {
        "data": {
            "budgets": {"edges": [{"node": {"amount": {"amount": {"evil": 1}, "currency": "CNY"}}}]}
        }
    }
    supergraph = write_supergraph(
        {"erp": proxy.answering(answer, tag())},
        tmp_path / "tandem.graphql",
        source=TANDEM_SUPERGRAPH,
    )
    query = '{ budgets(period: "2026-11") { edges { node { amount { amount currency } } } } }'
    async with client_for(supergraph) as client:
        response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"] is None  # every type up to Query.budgets is non-null
    assert body["errors"] == [
        {
            "message": "Subgraph erp returned an object where a String was expected.",
            "path": ["budgets", "edges", 0, "node", "amount", "amount"],
            "extensions": {"code": INVALID, "serviceName": "erp"},
        }
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "sent_at",
    [
        "yesterday",
        "2026-11-25",  # a date, no time
        "2026-11-25T09:30:00",  # no offset
        "2026-02-30T09:30:00+08:00",  # no such day
        1764034200,  # seconds since the epoch
    ],
)
async def test_a_date_time_not_in_its_specified_format_is_an_error(
    proxy: FaultProxy, tmp_path: Path, sent_at: Any
) -> None:
    """``DateTime`` names RFC 3339 by ``@specifiedBy``: a value in another format is not passed
    on as if it were one (a client would parse it, or show it, wrongly)."""
    node = {"id": "po-1", "sentAt": sent_at}
    good = {"id": "po-2", "sentAt": "2026-11-25T09:30:00.5+08:00"}
    answer = {"data": {"purchaseOrders": {"edges": [{"node": node}, {"node": good}]}}}
    supergraph = write_supergraph(
        {"erp": proxy.answering(answer, tag())},
        tmp_path / "tandem.graphql",
        source=TANDEM_SUPERGRAPH,
    )
    query = "{ purchaseOrders { edges { node { id sentAt } } } }"
    async with client_for(supergraph) as client:
        response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert response.status_code == 200, body
    edges = body["data"]["purchaseOrders"]["edges"]
    assert edges == [{"node": {"id": "po-1", "sentAt": None}}, {"node": good}]
    kind = "an integer" if isinstance(sent_at, int) else "a string"
    assert body["errors"] == [
        {
            "message": f"Subgraph erp returned {kind} where a DateTime was expected.",
            "path": ["purchaseOrders", "edges", 0, "node", "sentAt"],
            "extensions": {"code": INVALID, "serviceName": "erp"},
        }
    ]
