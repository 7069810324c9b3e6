"""Subgraph requests bound to their content, and walls in the subgraphs (issue 10, items 2, 3).

The production stack (``tests/security/production.py``: ``TANDEM_ENV=production``, the deploy's
files, OA and ERP over TLS) with a wiretap between the gateway and its subgraphs: what an
attacker who sees that traffic gets. Tokens are taken off the wire *before* they reach their
subgraph (the tap keeps the request), so each is still unused and a refusal can only come
from what the test changed: another body, another subgraph, or the passing of its life.
The same token with its own body is then admitted once, which shows it was good.

The walls: an employee's identity, signed with the gateway's own key (a stolen key, or a
route the gateway should never have taken), asks ERP directly for what the default policy
gives other roles: OA and ERP refuse it with ``FORBIDDEN`` and nothing is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from subgraphs.erp.store.base import current_period
from tandem_shared.tokens import DEFAULT_LEEWAY, Principal, mint_subgraph_token
from tests.e2e.stack import sql
from tests.security.production import ProductionStack, person, production_stack
from tests.security.wiretap import Captured, Wiretap, running_wiretap
from tests.support.jwt_parts import unverified_claims

EMPLOYEE = person("emp-031", "employee", department="dept-06")
FINANCE = person("emp-012", "employee", "finance", department="dept-02")
ITEMS = "{ items(first: 1) { edges { node { sku } } } }"
ME = "{ me { id name } }"
TRIAL_BALANCE = "query ($p: String!) { trialBalance(period: $p) { totalDebit { amount } } }"
CREDIT_LIMITS = "{ customers(first: 3) { edges { node { name creditLimit { amount } } } } }"
SET_BUDGET = """mutation ($input: SetBudgetInput!) {
  setBudget(input: $input) { departmentId amount { amount } } }"""
CREATE_ROOM = 'mutation { createMeetingRoom(input: {name: "Mine", capacity: 2}) { id } }'


@dataclass
class Scene:
    stack: ProductionStack
    tap: Wiretap
    gateway_key: str
    early: Captured  # taken at start-up, kept unused: it outlives its life while tests run


def body(query: str, **variables: Any) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    folder = tmp_path_factory.mktemp("replay")
    secrets = folder / "deploy" / "secrets"
    with running_wiretap(secrets / "tls-ca.pem") as tap:
        urls = f"oa={tap.url('oa')},erp={tap.url('erp')}"
        # the tap answers 502 to what it keeps: neither a retry (a second request) nor an
        # open circuit breaker (no request at all) may blur "the one request" it keeps
        settings = {
            "TANDEM_SUBGRAPH_URLS": urls,
            "TANDEM_SUBGRAPH_RETRIES": "0",
            "TANDEM_SUBGRAPH_CIRCUIT_THRESHOLD": "0",
        }
        with production_stack(folder, [EMPLOYEE, FINANCE], gateway_settings=settings) as stack:
            oa, erp = stack.subgraphs
            tap.upstreams = {"oa": f"https://127.0.0.1:{oa.port}/graphql",
                             "erp": f"https://127.0.0.1:{erp.port}/graphql"}  # fmt: skip
            gateway_key = (secrets / "gateway-key.pem").read_text()
            yield Scene(stack, tap, gateway_key, steal(stack, tap, "erp", ITEMS))


def steal(stack: ProductionStack, tap: Wiretap, subgraph: str, query: str) -> Captured:
    """The employee asks the gateway; the tap keeps the one request it sends to ``subgraph``."""
    with tap.stealing() as taken:
        stack.post(EMPLOYEE.username, query)
    (captured,) = [c for c in taken if c.subgraph == subgraph]
    assert captured.token and captured.body
    return captured


def refused(response: httpx.Response, code: str = "UNAUTHENTICATED") -> list[str]:
    assert response.status_code == (401 if code == "UNAUTHENTICATED" else 403), response.text
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code]
    coordinates: list[str] = errors[0]["extensions"].get("coordinates", [])
    return coordinates


def answered(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    assert "errors" not in document, document
    data: dict[str, Any] = document["data"]
    return data


# -- item 2: a copied token buys nothing but its own request ----------------------------------


def test_what_the_gateway_sends_is_a_token_for_one_body_one_subgraph_ten_seconds(
    scene: Scene,
) -> None:
    taken = steal(scene.stack, scene.tap, "oa", ME)
    claims = unverified_claims(taken.token)

    assert claims["aud"] == "oa" and claims["sub"] == "emp-031"
    assert claims["exp"] - claims["iat"] == 10
    assert set(claims) >= {"bh", "jti"}


@pytest.mark.parametrize(("subgraph", "query"), [("erp", ITEMS), ("oa", ME)])
def test_a_stolen_token_with_another_body_is_refused(
    scene: Scene, subgraph: str, query: str
) -> None:
    taken = steal(scene.stack, scene.tap, subgraph, query)
    attack = {"erp": body(TRIAL_BALANCE, p=current_period()), "oa": body(CREATE_ROOM)}[subgraph]
    variants = [
        attack,
        taken.body.replace(b"first: 1", b"first: 100").replace(b"id name", b"id name email"),
        taken.body + b" ",
        taken.body.replace(b'"query"', b'"variables":{"x":1},"query"', 1),
    ]

    for other in variants:
        assert other != taken.body
        refused(scene.tap.forward(subgraph, taken.token, other))
    assert answered(scene.tap.forward(subgraph, taken.token, taken.body))  # it was good
    refused(scene.tap.forward(subgraph, taken.token, taken.body))  # once


@pytest.mark.parametrize(("subgraph", "other"), [("erp", "oa"), ("oa", "erp")])
def test_a_stolen_token_sent_to_another_subgraph_is_refused(
    scene: Scene, subgraph: str, other: str
) -> None:
    taken = steal(scene.stack, scene.tap, subgraph, {"erp": ITEMS, "oa": ME}[subgraph])

    refused(scene.tap.forward(other, taken.token, taken.body))
    assert answered(scene.tap.forward(subgraph, taken.token, taken.body))


def test_a_stolen_token_after_its_life_is_refused_with_its_own_body(scene: Scene) -> None:
    taken = scene.early
    expires = unverified_claims(taken.token)["exp"]
    while time.time() <= expires + DEFAULT_LEEWAY + 1:  # the subgraph's clock is this clock
        time.sleep(0.2)

    refused(scene.tap.forward("erp", taken.token, taken.body))


def test_a_token_minted_long_ago_is_refused_by_both(scene: Scene) -> None:
    who = Principal("emp-031", "emp-031", ("employee",), "dept-06")
    for subgraph, query in (("erp", ITEMS), ("oa", ME)):
        sent = body(query)
        old = mint_subgraph_token(
            scene.gateway_key, subgraph, who, 10, body=sent, issued_at=int(time.time()) - 60
        )
        refused(scene.tap.forward(subgraph, old, sent))


# -- item 3: the subgraphs' own wall ------------------------------------------------------------


def signed(scene: Scene, subgraph: str, roles: tuple[str, ...], sent: bytes) -> httpx.Response:
    """``sent`` to ``subgraph`` with a valid token of the gateway's key for ``roles``."""
    who = Principal("emp-031", "emp-031", roles, "dept-06")
    token = mint_subgraph_token(scene.gateway_key, subgraph, who, body=sent)
    return scene.tap.forward(subgraph, token, sent)


@pytest.mark.parametrize(
    ("query", "variables", "needed"),
    [
        (TRIAL_BALANCE, {"p": "2026-11"}, "TrialBalance.totalDebit (read)"),
        (CREDIT_LIMITS, {}, "Customer.creditLimit (read)"),
    ],
)
def test_an_employee_reads_no_other_roles_data_from_erp_directly(
    scene: Scene, query: str, variables: dict[str, Any], needed: str
) -> None:
    sent = body(query, **variables)
    assert needed in refused(signed(scene, "erp", ("employee",), sent), "FORBIDDEN")
    assert answered(signed(scene, "erp", ("employee", "finance"), sent))


def test_an_employee_cannot_set_a_budget_at_erp_directly(scene: Scene) -> None:
    period = current_period()
    erp = scene.stack.databases["erp"]
    query = "SELECT amount FROM erp_budgets WHERE department_id = $1 AND period = $2"
    before = sql(erp, query, "dept-06", period)
    attack = body(
        SET_BUDGET,
        input={"departmentId": "dept-06", "period": period,
               "amount": {"amount": "99999999.00", "currency": "CNY"}},
    )  # fmt: skip

    coordinates = refused(signed(scene, "erp", ("employee",), attack), "FORBIDDEN")

    assert "Mutation.setBudget (write)" in coordinates
    assert sql(erp, query, "dept-06", period) == before
    assert answered(signed(scene, "erp", ("employee", "finance"), attack))  # finance may
    assert sql(erp, query, "dept-06", period) != before


def test_an_employee_cannot_run_hr_work_at_oa_directly(scene: Scene) -> None:
    coordinates = refused(signed(scene, "oa", ("employee",), body(CREATE_ROOM)), "FORBIDDEN")

    assert "Mutation.createMeetingRoom (write)" in coordinates
    rooms = "SELECT count(*) AS n FROM oa_meeting_rooms WHERE name = 'Mine'"
    assert sql(scene.stack.databases["oa"], rooms)[0]["n"] == 0


def test_through_the_gateway_the_same_people_still_work(scene: Scene) -> None:
    status, document = scene.stack.post(FINANCE.username, TRIAL_BALANCE, p=current_period())
    assert status == 200 and "errors" not in document, document
    status, document = scene.stack.post(EMPLOYEE.username, ME)
    assert document["data"] == {"me": {"id": "emp-031", "name": document["data"]["me"]["name"]}}
