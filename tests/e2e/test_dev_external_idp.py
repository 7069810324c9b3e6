"""``tandem dev`` with the company's own OpenID provider (``TANDEM_OIDC_ISSUER``): the
built-in provider steps aside, an employee signs in at the external one and reads OA and ERP
data through the default policy. The first-wave ``tandem dev`` ignored the setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.stack import Service, service_env, tandem_command
from tests.support.oidc import browser
from tests.support.oidc.fixture import (
    OidcProvider,
    OidcUser,
    default_settings,
    running_oidc_provider,
)
from tests.support.processes import free_port

EMPLOYEE = OidcUser(  # emp-031 of the demo company, as the company's provider knows her
    username="hui.ma",
    password="hui-ma-correct-horse-7",
    sub="emp-031",
    claims={
        "name": "Hui Ma",
        "email": "emp-031@tandem.test",
        "email_verified": True,
        "roles": ["employee", "production"],
        "department": "dept-06",
    },
)


QUERY = "{ me { id name purchaseOrders(first: 5) { edges { node { requestedBy { id } } } } } }"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_oidc_provider(default_settings().with_changes(users=(EMPLOYEE,))) as running:
        yield running


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, provider: OidcProvider) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("dev-external-idp")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = provider.register_web_client([f"{base}/auth/callback"])
    service = Service(
        "tandem-dev",
        [*tandem_command(), "dev", "--port", str(port)],
        service_env(
            TANDEM_DATA_DIR=str(folder),
            TANDEM_DEV_OA_PORT="0",
            TANDEM_DEV_ERP_PORT="0",
            TANDEM_OIDC_ISSUER=provider.issuer,
            TANDEM_OIDC_CLIENT_ID=client.client_id,
            TANDEM_OIDC_CLIENT_SECRET=client.client_secret or "",
            TANDEM_OIDC_REDIRECT_URI=f"{base}/auth/callback",
            TANDEM_OIDC_ROLES_CLAIM="roles",
            TANDEM_OIDC_SCOPES="openid profile email groups department offline_access",
            TANDEM_SESSION_INSECURE_LOCALHOST="1",
        ),
        port,
        folder,
        lambda http, url: http.get(f"{url}/health").status_code == 200,
    )
    try:
        service.start(timeout=120)
        yield base
    finally:
        service.stop()


def test_dev_signs_in_at_the_configured_provider_not_its_own(
    dev: str, provider: OidcProvider
) -> None:
    with httpx.Client(timeout=10) as http:
        assert http.get(f"{dev}/dev-idp/.well-known/openid-configuration").status_code == 404
        login = http.get(f"{dev}/auth/login")
    assert login.status_code in (302, 303), login.text
    assert login.headers["location"].startswith(provider.authorization_endpoint)

    with browser.user_agent() as agent:
        callback = browser.login(
            f"{dev}/auth/login", EMPLOYEE.username, EMPLOYEE.password, client=agent
        )
        agent.get(callback)
        me = agent.get(f"{dev}/auth/me").json()
        assert (me["roles"], me["department"]) == (["employee", "production"], "dept-06"), me
        response = agent.post(
            f"{dev}/graphql",
            json={"query": QUERY},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["me"]["id"] == "emp-031"
    assert body["data"]["me"]["name"] == "Hui Ma"
    orders = body["data"]["me"]["purchaseOrders"]["edges"]  # ERP, for the signed-in employee
    assert orders and {edge["node"]["requestedBy"]["id"] for edge in orders} == {"emp-031"}
