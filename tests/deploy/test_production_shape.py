"""The production shape as real processes, from the files ``deploy/`` ships.

OA, ERP and two gateway replicas start as ``tests/deploy/running.py`` describes: production
mode, keys from the init step, the compose file's commands and ``deploy/config/*.env``, with
only addresses, databases, paths and the identity provider changed for this machine.

Production session cookies are ``Secure``; over this plain-HTTP loopback the test carries
them by hand, as a browser does over TLS. The journey: an employee signs in at the provider
through replica A and submits a purchase request; their manager signs in and approves it
through replica B; the ERP's purchase order appears, read through replica B with the
session made on replica A (sessions live in Redis); the employee's own ID-card number,
sealed by OA with the public keyring, opens at the gateway with the master key.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.running import command, local, running_production
from tests.deploy.shape import DEPLOY, IMAGE_ROOT, compose, env_file
from tests.e2e.stack import Service, eventually, service_env, sql, tandem_command
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcUser
from tests.support.processes import REPO_ROOT

EMPLOYEE, MANAGER = "emp-031", "emp-029"
SUBMIT = """
mutation ($input: PurchaseRequestInput!) {
  submitPurchaseRequest(input: $input) { id status }
}"""
APPROVE = "mutation ($id: ID!) { approve(id: $id, step: 1) { id status } }"
ORDER = """
query ($id: ID!) {
  approvalRequest(id: $id) { status purchaseOrder { orderNo requestedBy { id } } }
}"""
ME = "{ me { id idCardNumber department { id } } }"


@dataclass
class Shape:
    replicas: tuple[Service, Service]
    oa_database: str
    users: dict[str, OidcUser]
    sessions: dict[str, str]


def person(oa_database: str, employee: str) -> OidcUser:
    row = sql(
        oa_database,
        "SELECT id, name, roles, department_id FROM oa_employees WHERE id = $1",
        employee,
    )[0]
    roles = row["roles"] if isinstance(row["roles"], list) else json.loads(row["roles"])
    return OidcUser(
        username=employee,
        password=f"{employee}-correct-horse-7",
        sub=employee,
        claims={"name": row["name"], "groups": list(roles), "department": row["department_id"]},
    )


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shape]:
    def people(databases: Mapping[str, str]) -> list[OidcUser]:
        return [person(databases["oa"], who) for who in (EMPLOYEE, MANAGER)]

    folder = tmp_path_factory.mktemp("production")
    with running_production(folder, people, replicas=2) as running:
        users = {user.username: user for user in running.users}
        yield Shape((running.replicas[0], running.replicas[1]), running.databases["oa"], users, {})


def sign_in(shape: Shape, who: str) -> str:
    """Sign ``who`` in through replica A's /auth/login at the provider; their session id."""
    if who in shape.sessions:
        return shape.sessions[who]
    gateway = shape.replicas[0].base_url
    user = shape.users[who]
    with browser.user_agent() as agent:
        callback = browser.login(
            f"{gateway}/auth/login", user.username, user.password, client=agent
        )
        login_state = agent.cookies.get("tandem_login")
        assert login_state, "the gateway set no login cookie"
        answer = agent.get(callback, headers={"cookie": f"tandem_login={login_state}"})
        assert answer.status_code in (302, 303), answer.text
        assert "secure" in answer.headers["set-cookie"].lower()  # production cookies
        session = answer.cookies.get("tandem_session")
    assert session
    shape.sessions[who] = session
    return session


def graphql(shape: Shape, replica: int, who: str, query: str, **variables: Any) -> Any:
    response = httpx.post(
        shape.replicas[replica].url,
        json={"query": query, "variables": variables},
        headers={"cookie": f"tandem_session={sign_in(shape, who)}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_an_employee_request_approved_by_the_manager_becomes_an_order_on_either_replica(
    shape: Shape,
) -> None:
    from subgraphs.erp.store.base import current_period

    line = {"sku": "SKU-0013", "quantity": 10, "supplierId": "sup-02",
            "unitPrice": {"amount": "37.00", "currency": "CNY"}}  # fmt: skip
    request = graphql(
        shape, 0, EMPLOYEE, SUBMIT,
        input={"title": "Deploy check", "items": [line],
               "budgetPeriod": current_period()},
    )["submitPurchaseRequest"]  # fmt: skip
    assert request["status"] == "PENDING"
    approved = graphql(shape, 1, MANAGER, APPROVE, id=request["id"])["approve"]
    assert approved["status"] == "APPROVED"

    def ordered() -> dict[str, Any] | None:
        order = graphql(shape, 1, EMPLOYEE, ORDER, id=request["id"])["approvalRequest"]
        found: dict[str, Any] | None = order["purchaseOrder"]
        return found

    order = eventually(ordered, timeout=45)
    assert re.fullmatch(r"PO-\d{6}-\d{4}", order["orderNo"]), order
    assert order["requestedBy"] == {"id": EMPLOYEE}


def test_a_sealed_field_opens_only_at_the_gateway(shape: Shape) -> None:
    stored = sql(shape.oa_database, "SELECT id_card_number FROM oa_employees WHERE id = $1",
                 EMPLOYEE)[0]["id_card_number"]  # fmt: skip
    assert stored.startswith("t1."), "OA stored a plaintext"
    me = graphql(shape, 1, EMPLOYEE, ME)["me"]
    assert me["id"] == EMPLOYEE
    assert re.fullmatch(r"\d{17}[\dX]", me["idCardNumber"]), me


def test_without_a_session_nothing_is_read(shape: Shape) -> None:
    body = httpx.post(shape.replicas[1].url, json={"query": ME}, timeout=30).json()
    assert not (body.get("data") or {}).get("me"), body
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes and codes <= {"UNAUTHENTICATED", "FORBIDDEN"}, body


def test_a_missing_key_stops_the_init_container_with_one_line(tmp_path: Path) -> None:
    settings = env_file(DEPLOY / "config" / "gateway.env")
    settings = {k: local(v, {"/run/secrets/": f"{tmp_path}/"}) for k, v in settings.items()}
    result = subprocess.run(
        [*tandem_command(), "keys", "check", "--role", "gateway"],
        env=service_env(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "keyring" in lines[0], result.stderr


@pytest.mark.parametrize("name", ["gateway", "oa"])
def test_a_process_started_without_its_secrets_stops_with_a_message_not_a_traceback(
    name: str, tmp_path: Path
) -> None:
    table = {"/run/secrets/": f"{tmp_path}/", f"{IMAGE_ROOT}/": f"{REPO_ROOT}/"}
    settings = {k: local(v, table) for k, v in env_file(DEPLOY / "config" / f"{name}.env").items()}
    result = subprocess.run(
        command(compose()["services"][name], table),
        env=service_env(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert str(tmp_path) in result.stderr or "TANDEM_" in result.stderr, result.stderr
