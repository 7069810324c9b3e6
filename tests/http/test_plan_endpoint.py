"""``POST /plan``: a query plan and its estimated cost for a signed-in developer, from a real
``tandem serve`` (issue 18, item 3).

The benchmark supergraph (``products``, ``inventory``, ``reviews``, ``accounts``; inventory's
``shippingEstimate`` ``@requires`` ``price weight``) is served with development identities,
filtered schema visibility and a small policy: a ``developer`` may see plans but not
``Product.weight``, a ``shopper`` reads the same but may not see plans. Every subgraph is a
fault proxy URL answering a canned response, so what reaches a subgraph is counted there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.benchmark_subgraphs import SUPERGRAPH
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.gateway_process import running_gateway
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT

DEVELOPER = {"x-tandem-dev-user": "dana", "x-tandem-dev-roles": "developer"}
SHOPPER = {"x-tandem-dev-user": "sam", "x-tandem-dev-roles": "shopper"}
SUBGRAPHS = ("accounts", "products", "reviews", "inventory")
POLICY = """\
p, developer, *, Gateway.queryPlan, read, allow
p, developer, *, Query.*, read, allow
p, developer, *, Product.*, read, allow
p, developer, *, Product.weight, read, deny
p, developer, *, Review.*, read, allow
p, shopper, *, Query.*, read, allow
p, shopper, *, Product.*, read, allow
"""
PRODUCTS = {"data": {"topProducts": [{"name": "Table"}]}}


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    with running_fault_proxy(f"http://127.0.0.1:{free_port()}/graphql") as running:
        yield running  # only canned answers: nothing is forwarded


@pytest.fixture(scope="module")
def gateway(proxy: FaultProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("plan")
    policy = folder / "policy"
    policy.mkdir()
    (policy / "model.conf").write_text((REPO_ROOT / "policies/model.conf").read_text())
    (policy / "policy.csv").write_text(POLICY)
    (policy / "roles.csv").write_text("developer, plans\nshopper, reads\n")
    routes = {name: proxy.answering(PRODUCTS, name) for name in SUBGRAPHS}
    env = {
        "TANDEM_SUBGRAPH_URLS": ",".join(f"{name}={url}" for name, url in routes.items()),
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_POLICY_DIR": str(policy),
        "TANDEM_SCHEMA_VISIBILITY": "filtered",
        "TANDEM_DATA_DIR": str(folder / "data"),
    }
    with running_gateway(SUPERGRAPH, env=env) as url:
        yield url.removesuffix("/graphql")


def _plan(gateway: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{gateway}/plan", json=body, headers=headers or DEVELOPER, timeout=30)


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def test_a_developer_gets_the_plan_naming_its_subgraphs_and_its_cost(gateway: str) -> None:
    response = _plan(gateway, {"query": "{ topProducts { name reviews { body } } }"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["subgraphs"] == ["products", "reviews"]
    assert answer["plan"]["text"].startswith("QueryPlan {\n  Sequence {\n")
    assert 'Fetch(service: "reviews")' in answer["plan"]["text"]
    sequence = answer["plan"]["node"]["node"]
    assert sequence["kind"] == "Sequence"
    assert [n["kind"] for n in sequence["nodes"]] == ["Fetch", "Flatten"]
    assert sequence["nodes"][1]["path"] == ["topProducts", "@"]
    assert sequence["nodes"][1]["node"]["serviceName"] == "reviews"
    assert sequence["nodes"][1]["node"]["requires"] == ["... on Product { upc }"]
    assert isinstance(answer["cost"]["estimated"], int) and answer["cost"]["estimated"] > 0
    assert answer["cost"]["defaultListSize"] == 10
    assert answer["withheld"] == 0 and answer["denied"] == []


def test_a_fetch_naming_a_field_hidden_from_the_caller_is_withheld(gateway: str) -> None:
    # shippingEstimate @requires price and weight; this developer may not see weight
    response = _plan(gateway, {"query": "{ topProducts { name shippingEstimate } }"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "weight" not in response.text
    assert answer["subgraphs"] == ["products", "inventory"]
    assert answer["withheld"] == 2  # products fetches weight, inventory requires it
    assert answer["plan"]["text"].count("# withheld:") == 2


def test_a_caller_whose_role_may_not_see_plans_is_refused(gateway: str) -> None:
    response = _plan(gateway, {"query": "{ topProducts { name } }"}, SHOPPER)
    assert response.status_code == 403
    assert _code(response) == "FORBIDDEN"
    assert "plan" not in response.json()


def test_a_caller_without_identity_is_unauthenticated(gateway: str) -> None:
    response = _plan(gateway, {"query": "{ topProducts { name } }"}, {"x-unrelated": "1"})
    assert response.status_code == 401
    assert _code(response) == "UNAUTHENTICATED"


def test_a_hidden_field_gets_the_error_graphql_gives(gateway: str) -> None:
    body = {"query": "{ topProducts { weight } }"}
    planned = _plan(gateway, body)
    graphql = httpx.post(
        f"{gateway}/graphql",
        json=body,
        headers={**DEVELOPER, "accept": "application/graphql-response+json"},
        timeout=30,
    )
    assert planned.status_code == graphql.status_code == 400
    assert planned.json()["errors"] == graphql.json()["errors"]
    assert _code(planned) == "GRAPHQL_VALIDATION_FAILED"


def test_planning_calls_no_subgraph(gateway: str, proxy: FaultProxy) -> None:
    before = {name: proxy.count(name) for name in SUBGRAPHS}
    for query in (
        "{ topProducts { name reviews { body } } }",
        '{ product(upc: "1") { name inStock } }',
    ):
        assert _plan(gateway, {"query": query}).status_code == 200
    assert {name: proxy.count(name) for name in SUBGRAPHS} == before
    # the same counter sees a request that runs
    ran = httpx.post(f"{gateway}/graphql", json={"query": "{ topProducts { name } }"},
                     headers=DEVELOPER, timeout=30)  # fmt: skip
    assert ran.json() == PRODUCTS
    assert proxy.count("products") == before["products"] + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "BAD_REQUEST"),
        ({"query": "   "}, "BAD_REQUEST"),
        ({"query": "{ topProducts { name "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ topProducts { name } }", "variables": [1]}, "BAD_REQUEST"),
        ([{"query": "{ topProducts { name } }"}], "BAD_REQUEST"),
    ],
)
def test_bad_input_is_a_coded_400(gateway: str, body: Any, code: str) -> None:
    response = _plan(gateway, body)
    assert response.status_code == 400, response.text
    assert _code(response) == code


def test_a_body_that_is_not_json_is_a_coded_400(gateway: str) -> None:
    response = httpx.post(f"{gateway}/plan", content=b"{nope", timeout=30,
                          headers={**DEVELOPER, "content-type": "application/json"})  # fmt: skip
    assert response.status_code == 400
    assert _code(response) == "BAD_REQUEST"
