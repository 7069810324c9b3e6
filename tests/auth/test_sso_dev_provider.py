"""The built-in development provider (``tandem dev``): the gateway's login through it with
every demo user, over real HTTP, with both mounted on one app as ``tandem dev`` does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.auth.dev_provider import DemoUser, DevProvider
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


def test_a_user_the_provider_does_not_admit_cannot_sign_in() -> None:
    """``tandem dev`` gives the provider a check of the OA database: a deactivated employee's
    right password still gets no session, and the page names EMPLOYEE_DEACTIVATED."""
    asked: list[str] = []

    async def admit(user: DemoUser) -> bool:
        asked.append(user.subject)
        return user.username != "sales"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider = DevProvider.for_gateway(base, users=demo_users(), environ={}, admit=admit)
    sso = SSO.from_environ(provider.sso_environ())
    assert sso is not None
    app = gateway_app(sso)
    app.router.routes.append(provider.routes())
    refused_user, admitted = provider.users["sales"], provider.users["hr"]
    with serve(app, port), browser.user_agent() as ua:
        login = f"{base}/auth/login"
        page = browser.login_refused(login, "sales", refused_user.password, client=ua)
        assert page.status_code == 401
        assert "EMPLOYEE_DEACTIVATED" in page.text
        assert session_cookie(ua) is None
        callback = browser.login(login, "hr", admitted.password, client=ua)
        assert ua.get(callback).status_code == 303
    assert asked == [refused_user.subject, admitted.subject]


def test_tandem_dev_admits_whom_the_oa_database_does_not_hold_deactivated(tmp_path: Path) -> None:
    from gateway.dev import _still_active
    from subgraphs.oa.app import migrate
    from subgraphs.oa.store.models import Department, Employee
    from tandem_shared.db import create_engine, create_session_factory, transaction

    url = f"sqlite:///{tmp_path / 'oa.db'}"

    async def prepare() -> None:
        await migrate(url)
        engine = create_engine(url)
        try:
            async with transaction(create_session_factory(engine)) as session:
                session.add(Department(id="dept-1", code="ONE", name="One"))
                await session.flush()
                for n, active in ((1, True), (2, False)):
                    session.add(Employee(id=f"emp-{n}", employee_no=f"EMP-00000{n}", name=f"P{n}",
                                         email=f"p{n}@x.example", title="T", department_id="dept-1",
                                         roles=["employee"], active=active))  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(prepare())
    admit = _still_active(url)
    user = demo_users()[0]
    verdicts = {
        subject: asyncio.run(admit(replace(user, subject=subject)))
        for subject in ("emp-1", "emp-2", "client-7")
    }
    assert verdicts == {"emp-1": True, "emp-2": False, "client-7": True}
