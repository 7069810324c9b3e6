"""The production shape as real processes, from the files ``deploy/`` ships.

Keys come from the init step exactly as the compose file runs it (``tandem keys provision``);
OA, ERP and two gateway replicas start with ``TANDEM_ENV=production`` from
``deploy/config/*.env`` plus ``secrets/database.env``, with the commands of the compose file.
Only these are changed for this machine (:func:`local`), and the test fails if anything else
in the files still points elsewhere:

- addresses and ports: ``oa:4201``, ``erp:4202``, ``0.0.0.0`` and the gateway's port -> free
  ports of 127.0.0.1; ``redis://redis:6379/0`` -> the test Redis;
- databases: ``postgresql://tandem@postgres:5432/tandem_<name>`` -> scratch databases;
- paths: ``/run/secrets/`` -> the init step's directory, ``/app/`` (the image) -> the checkout;
- the identity provider: ``https://idp.example.com/...`` -> the suite's OpenID provider, the
  client id and secret it registered, ``https://tandem.example.com`` -> replica A's address.

Added for the test only: a Redis key prefix of its own (events, sessions, policy channel),
the demo company (``TANDEM_OA_SEED``/``TANDEM_ERP_SEED``) and shorter event timings.

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
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.shape import (
    DEPLOY,
    IMAGE_ROOT,
    compose,
    env_file,
    provisioned_copy,
    subgraph_ready,
)
from tests.e2e.stack import (
    TEST_EVENT_TIMINGS,
    Service,
    eventually,
    scratch_database,
    service_env,
    sql,
    tandem_command,
)
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcUser, default_settings, running_oidc_provider
from tests.support.processes import REPO_ROOT, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
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


def local(value: str, table: dict[str, str]) -> str:
    for pattern, replacement in table.items():
        value = value.replace(pattern, replacement)
    return value


def localized(path: Path, table: dict[str, str]) -> dict[str, str]:
    settings = {name: local(value, table) for name, value in env_file(path).items()}
    stray = [
        f"{name}={value}"
        for name, value in settings.items()
        if re.search(r"example\.com|//(oa|erp|postgres|redis)[:/]|/run/secrets|0\.0\.0\.0", value)
    ]
    assert not stray, f"{path.name}: not localized: {stray}"
    return settings


def command(service: dict[str, Any], table: dict[str, str]) -> list[str]:
    words = [local(word, table) for word in service["command"]]
    head = tandem_command() if words[0] == "tandem" else [sys.executable]
    return [*head, *words[1:]]


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
    folder = tmp_path_factory.mktemp("production")
    deploy = provisioned_copy(folder / "deploy")
    secrets = deploy / "secrets"
    services = compose()["services"]
    prefix = f"tandem-test:{uuid.uuid4().hex[:10]}:"
    oa_port, erp_port, port_a, port_b = (free_port() for _ in range(4))
    base_a = f"http://127.0.0.1:{port_a}"
    with ExitStack() as stack:
        databases = {
            name: stack.enter_context(scratch_database(f"deploy_{name}"))
            for name in ("oa", "erp", "policy", "audit")
        }
        table = {
            f"postgresql://tandem@postgres:5432/tandem_{name}": url
            for name, url in databases.items()
        } | {
            "redis://redis:6379/0": REDIS_URL,
            "://oa:4201": f"://127.0.0.1:{oa_port}",
            "://erp:4202": f"://127.0.0.1:{erp_port}",
            "/run/secrets/": f"{secrets}/",
            f"{IMAGE_ROOT}/": f"{REPO_ROOT}/",
            "0.0.0.0": "127.0.0.1",
        }
        database_env = env_file(secrets / "database.env")
        test_only = {"TANDEM_EVENTS_PREFIX": prefix, **TEST_EVENT_TIMINGS}
        subgraphs = []
        for name, port in (("oa", oa_port), ("erp", erp_port)):
            settings = localized(DEPLOY / "config" / f"{name}.env", table)
            words = command(services[name], table | {"4201": str(port), "4202": str(port)})
            subgraphs.append(
                Service(
                    name,
                    words,
                    service_env(
                        **settings, **database_env, **test_only,
                        **{f"TANDEM_{name.upper()}_SEED": "1",
                           "TANDEM_EVENTS_CONSUMER": f"{name}-1"},
                    ),
                    port,
                    folder,
                    subgraph_ready(secrets),  # HTTPS, as the gateway reaches them
                )
            )  # fmt: skip
        for service in subgraphs:
            service.start()
            stack.callback(service.stop)
        users = {who: person(databases["oa"], who) for who in (EMPLOYEE, MANAGER)}
        provider = stack.enter_context(
            running_oidc_provider(default_settings().with_changes(users=tuple(users.values())))
        )
        client = provider.register_web_client(
            [f"{base_a}/auth/callback"], post_logout_redirect_uris=[f"{base_a}/"]
        )
        (secrets / "oidc-client-secret").write_text(f"{client.client_secret}\n")
        identity = {
            "https://idp.example.com/realms/tandem": provider.issuer,
            "https://tandem.example.com": base_a,
        }
        replicas = []
        for label, port in (("a", port_a), ("b", port_b)):
            settings = localized(DEPLOY / "config" / "gateway.env", table | identity)
            settings |= {"TANDEM_PORT": str(port), "TANDEM_OIDC_CLIENT_ID": client.client_id}
            replica = Service(
                f"gateway-{label}",
                command(services["gateway"], table),
                service_env(
                    **settings,
                    **database_env,
                    TANDEM_SESSION_KEY_PREFIX=f"{prefix}auth:",
                    TANDEM_POLICY_CHANNEL=f"{prefix}policy",
                ),
                port,
                folder,
                lambda client, url: client.get(f"{url}/ready").status_code == 200,
            )
            replica.start()
            stack.callback(replica.stop)
            replicas.append(replica)
        yield Shape((replicas[0], replicas[1]), databases["oa"], users, {})


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
               "budgetPeriod": current_period().replace("-", "")},
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
