"""The built-in development provider (``tandem dev``): the gateway's login through it with
every demo user, over real HTTP, with both mounted on one app as ``tandem dev`` does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.auth.dev_provider import DevProvider
from gateway.auth.routes import SSO
from gateway.demo import DEMO_ROLES, demo_users
from gateway.errors import TandemError
from tests.auth.test_sso_support import error_code, gateway_app, serve, session_cookie
from tests.support.oidc import browser
from tests.support.processes import free_port


@dataclass
class DevStack:
    base: str
    provider: DevProvider
    sso: SSO


@pytest.fixture(scope="module")
def stack() -> Iterator[DevStack]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = DevProvider.for_gateway(base, users=demo_users(), access_token_ttl=2, environ={})
    sso = SSO.from_environ(provider.sso_environ())
    assert sso is not None
    app = gateway_app(sso)
    app.router.routes.append(provider.routes())
    with serve(app, port):
        yield DevStack(base, provider, sso)


def test_every_demo_role_has_a_user_printed_with_its_password() -> None:
    provider = DevProvider.for_gateway("http://127.0.0.1:4000", users=demo_users(), environ={})
    banner = provider.banner()
    assert sorted(provider.users) == sorted(DEMO_ROLES)
    for user in provider.users.values():
        assert user.password in banner and user.username in banner
        assert len(user.password) >= 12


def test_it_refuses_to_start_in_production() -> None:
    with pytest.raises(TandemError, match="production"):
        DevProvider.for_gateway(
            "http://127.0.0.1:4000", users=demo_users(), environ={"TANDEM_ENV": "production"}
        )


@pytest.mark.parametrize("role", DEMO_ROLES)
def test_each_demo_user_signs_in_through_the_gateway(stack: DevStack, role: str) -> None:
    user = stack.provider.users[role]
    with browser.user_agent() as ua:
        login = f"{stack.base}/auth/login"
        callback = browser.login(login, user.username, user.password, client=ua)
        assert ua.get(callback).status_code == 303
        me = ua.get(f"{stack.base}/auth/me").json()
    assert me["subject"] == user.subject
    assert me["name"] == user.name
    assert role in me["roles"] and me["roles"] == list(user.roles)
    assert me["department"] == user.department


def test_a_wrong_password_is_refused(stack: DevStack) -> None:
    with browser.user_agent() as ua:
        page = browser.login_refused(f"{stack.base}/auth/login", "finance", "wrong", client=ua)
        assert page.status_code == 401
        assert session_cookie(ua) is None
    assert "Wrong user name or password" in page.text


def test_pkce_with_s256_is_required(stack: DevStack) -> None:
    with browser.user_agent() as ua:
        location = ua.get(f"{stack.base}/auth/login").headers["location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        authorize = location.split("?")[0]
        plain = {**query, "code_challenge_method": "plain"}
        without = {k: v for k, v in query.items() if not k.startswith("code_challenge")}
        for params in (plain, without):
            assert ua.get(authorize, params=params).status_code == 400


def test_the_session_refreshes_and_logs_out_at_the_provider(stack: DevStack) -> None:
    user = stack.provider.users["manager"]
    with browser.user_agent() as ua:
        login = f"{stack.base}/auth/login"
        callback = browser.login(login, user.username, user.password, client=ua)
        ua.get(callback)
        before = stack.sso.sessions.refreshes
        time.sleep(1.2)  # the access token lives 2 s: refreshed halfway
        assert ua.get(f"{stack.base}/auth/me").status_code == 200
        assert stack.sso.sessions.refreshes == before + 1
        logout = ua.post(f"{stack.base}/auth/logout")
        location = logout.headers["location"]
        assert location.startswith(f"{stack.base}/dev-idp/end_session?")
        assert "id_token_hint=" in location
        back = ua.get(location)
        assert (back.status_code, back.headers["location"]) == (302, f"{stack.base}/")
        response = ua.get(f"{stack.base}/auth/me")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")


def test_discovery_names_the_mounted_issuer(stack: DevStack) -> None:
    document = httpx.get(f"{stack.base}/dev-idp/.well-known/openid-configuration").json()
    assert document["issuer"] == f"{stack.base}/dev-idp"
    assert document["code_challenge_methods_supported"] == ["S256"]
    keys = httpx.get(document["jwks_uri"]).json()["keys"]
    assert keys and all("d" not in key for key in keys)  # public keys only
