"""Single sign-on end to end: an employee logs in once through a real OpenID provider, and
one query with their session returns OA and ERP fields, each subgraph acting for them.

The provider is panva's oidc-provider (tests/support/oidc); the user's subject is the OA
employee id, their roles and department come from the ID token, as a company IdP gives them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.stack import Service, Stack, _gateway_answers, service_env, sql, tandem_command
from tests.support.oidc import browser
from tests.support.oidc.fixture import (
    OidcProvider,
    OidcUser,
    default_settings,
    running_oidc_provider,
)
from tests.support.processes import free_port

EMPLOYEE = "emp-012"


@pytest.fixture(scope="module")
def employee(stack: Stack) -> OidcUser:
    person = stack.person(EMPLOYEE)
    return OidcUser(
        username="wang",
        password="wang-correct-horse-7",
        sub=person.id,
        claims={
            "name": person.name,
            "email": f"{person.id}@tandem.test",
            "email_verified": True,
            "groups": list(person.roles),
            "roles": list(person.roles),
            "department": person.department,
        },
    )


@pytest.fixture(scope="module")
def provider(employee: OidcUser) -> Iterator[OidcProvider]:
    with running_oidc_provider(default_settings().with_changes(users=(employee,))) as running:
        yield running


@pytest.fixture(scope="module")
def sso_gateway(stack: Stack, provider: OidcProvider) -> Iterator[str]:
    """A second gateway over the same OA and ERP, with browser login at the provider."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = provider.register_web_client([f"{base}/auth/callback"])
    supergraph = stack.oa.logs / "supergraph.graphql"
    gateway = Service(
        "gateway-sso",
        [*tandem_command(), "serve", "--supergraph", str(supergraph), "--port", str(port)],
        service_env(
            TANDEM_DATA_DIR=str(stack.oa.logs),
            TANDEM_OIDC_ISSUER=provider.issuer,
            TANDEM_OIDC_CLIENT_ID=client.client_id,
            TANDEM_OIDC_CLIENT_SECRET=client.client_secret or "",
            TANDEM_OIDC_REDIRECT_URI=f"{base}/auth/callback",
            TANDEM_OIDC_ROLES_CLAIM="roles",
            TANDEM_SESSION_INSECURE_LOCALHOST="1",
        ),
        port,
        stack.oa.logs,
        _gateway_answers,
    )
    gateway.start()
    try:
        yield base
    finally:
        gateway.stop()


QUERY = """{
  me {
    id name department { id name }
    purchaseOrders(first: 50) { edges { node { orderNo } } }
  }
}"""


def test_one_login_then_one_query_returns_oa_and_erp_fields(
    sso_gateway: str, employee: OidcUser, stack: Stack
) -> None:
    with browser.user_agent() as agent:
        callback = browser.login(
            f"{sso_gateway}/auth/login", employee.username, employee.password, client=agent
        )
        agent.get(callback)  # the gateway's callback: the session cookie is set on the agent
        assert "tandem_session" in agent.cookies
        me = agent.get(f"{sso_gateway}/auth/me").json()
        assert me["subject"] == EMPLOYEE or me.get("sub") == EMPLOYEE, me
        response = agent.post(f"{sso_gateway}/graphql", json={"query": QUERY})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data = body["data"]["me"]
    assert data["id"] == EMPLOYEE and data["name"] == employee.claims["name"]
    assert data["department"]["id"] == employee.claims["department"]  # from OA
    orders = sql(
        stack.erp_database,
        "SELECT order_no FROM erp_purchase_orders WHERE requested_by = $1",
        EMPLOYEE,
    )
    assert sorted(e["node"]["orderNo"] for e in data["purchaseOrders"]["edges"]) == sorted(
        row["order_no"] for row in orders
    )  # from ERP, for the same person


def test_without_login_the_subgraphs_refuse(sso_gateway: str) -> None:
    body = httpx.post(f"{sso_gateway}/graphql", json={"query": "{ me { id } }"}).json()
    assert body["data"] is None or body["data"]["me"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"UNAUTHENTICATED"}
