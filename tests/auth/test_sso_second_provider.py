"""Single sign-on against a second, independent provider: django-oauth-toolkit (DOT).

DOT is configured the way its users configure it (``tests/support/dot_provider``): no
``offline_access`` scope, no back-channel logout, no ``sid``, an ``sub`` that is a database
id, the employee number in a directory claim, opaque access tokens whose introspection
answer gives ``username`` and no ``sub``, the introspection endpoint only in its RFC 8414
metadata. Tandem is configured only through the settings the README documents, written
as a customer's TOML file and read by ``load_settings``; the auth components are built
from those settings exactly as ``tandem serve`` builds them (``SSO.from_environ``,
``load_providers``, ``Identifier``), served by uvicorn on the port the provider expects.
The gateway's settings are the README's django-oauth-toolkit example with this run's
URLs and secrets put in. Every flow is real HTTP: browser login, refresh, RP-initiated
logout, a logout at the provider noticed within the re-validation bound, cancel on the
consent page, another provider error, bearer JWT, opaque token with introspection, client
credentials (JWT and opaque), and a plain OAuth 2.0 login (no ID token; identity from
``/api/me``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.bearer import BearerAuthenticator
from gateway.auth.identify import Identifier
from gateway.auth.providers import load_providers
from gateway.auth.routes import SSO
from gateway.errors import TandemError
from gateway.settings import load_settings
from tests.auth.test_sso_support import REDIS_URL, delete_prefix, serve
from tests.support.dot_provider.fixture import DotProvider, authorize, end_session
from tests.support.oidc.browser import LoginFailed, user_agent
from tests.support.oidc.fixture import pkce_pair

RESOURCE = "https://tandem.acme.example/graphql"
"""The gateway's audience: DOT applications ask for it with RFC 8707 ``resource``."""

ROLE_MAP = '{ "Finance Team" = "finance", "Procurement" = "procurement", "Staff" = "employee" }'


README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = "<!-- example: django-oauth-toolkit -->"


def readme_example() -> str:
    """The README's django-oauth-toolkit settings block, as written there."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index(EXAMPLE) :].split("```toml\n", 1)[1]
    return block.split("```", 1)[0]


def customer_config(provider: DotProvider, prefix: str, *, protocol: str = "oidc") -> str:
    """The README's example with this provider's and gateway's URLs and secrets put in, and
    the test-only lines (plain-HTTP loopback cookies, a Redis prefix, a 1-second bound)."""
    test_only = f"""
session_insecure_localhost = true
session_redis_url = "{REDIS_URL}"
session_key_prefix = "{prefix}"
"""
    if protocol == "oauth2":
        base = provider.oauth2_gateway_base
        return f"""
oidc_protocol = "oauth2"
oidc_issuer = "{provider.issuer}"
oidc_client_id = "tandem-oauth2"
oidc_client_secret = "gateway-secret-2"
oidc_redirect_uri = "{base}/auth/callback"
oidc_userinfo_endpoint = "{provider.origin}api/me"
oidc_scopes = "profile"
oidc_subject_claim = "employee_id"
oidc_roles_claim = "groups"
oidc_role_map = {ROLE_MAP}
session_revalidate_seconds = 1
{test_only}"""
    base = provider.gateway_base
    config = (
        readme_example()
        .replace("https://sso.acme.example/o", provider.issuer)
        .replace("https://tandem.acme.example/auth/", f"{base}/auth/")
        .replace('"https://tandem.acme.example/"', f'"{base}/"')
        .replace("<the application's secret>", "gateway-secret-1")
        .replace("session_revalidate_seconds = 300", "session_revalidate_seconds = 1")
    )
    return config + test_only


@dataclass
class Gateway:
    base: str
    sso: SSO
    bearer: BearerAuthenticator


def auth_app(sso: SSO, identifier: Identifier) -> Starlette:
    """The gateway's auth routes and ``/whoami``: who the gateway takes a request to be."""

    async def whoami(request: Request) -> Response:
        try:
            principal = await identifier.identify(request)
        except TandemError as error:
            body = {"errors": [error.to_graphql()]}
            return Response(orjson.dumps(body), error.status, media_type="application/json")
        data = None if principal is None else {
            "subject": principal.subject,
            "name": principal.name,
            "roles": sorted(principal.roles),
            "department": principal.department,
            "client_id": principal.client_id,
        }  # fmt: skip
        return Response(orjson.dumps(data), media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sso.aclose()
        if identifier.bearer is not None:
            await identifier.bearer.aclose()

    app = Starlette(routes=[*sso.routes(), Route("/whoami", whoami)], lifespan=lifespan)
    app.state.tandem_sso = sso
    return app


@pytest.fixture(scope="module")
def running(
    dot_provider: DotProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Gateway]]:
    """The OpenID-configured gateway and the plain-OAuth-2.0-configured one."""
    gateways: dict[str, Gateway] = {}
    prefixes = []
    stack = []
    try:
        for protocol in ("oidc", "oauth2"):
            prefix = f"tandem-test:{uuid.uuid4().hex}:"
            prefixes.append(prefix)
            config = tmp_path_factory.mktemp("config") / "tandem.toml"
            config.write_text(customer_config(dot_provider, prefix, protocol=protocol))
            env = load_settings(config).environ()
            sso = SSO.from_environ(env)
            assert sso is not None
            bearer = BearerAuthenticator(load_providers(env), httpx.AsyncClient(timeout=5))
            sso.share_caches(bearer)  # as tandem serve does: one cache for the provider
            if protocol == "oidc":
                assert sso.oidc.provider is bearer.jwks(dot_provider.issuer)
            identifier = Identifier(bearer=bearer, sessions=sso.principal)
            base = (
                dot_provider.gateway_base
                if protocol == "oidc"
                else (dot_provider.oauth2_gateway_base)
            )
            server = serve(auth_app(sso, identifier), urlsplit(base).port or 0)
            server.__enter__()
            stack.append(server)
            gateways[protocol] = Gateway(base, sso, bearer)
        yield gateways
    finally:
        for server in reversed(stack):
            server.__exit__(None, None, None)
        for prefix in prefixes:
            delete_prefix(REDIS_URL, prefix)


@pytest.fixture
def gateway(running: dict[str, Gateway]) -> Gateway:
    return running["oidc"]


@pytest.fixture
def ua() -> Iterator[httpx.Client]:
    with user_agent() as client:
        yield client


def sign_in(ua: httpx.Client, gateway: Gateway, provider: DotProvider, username: str) -> None:
    callback = authorize(ua, f"{gateway.base}/auth/login", provider, username)
    assert ua.get(callback).status_code == 303


def me(ua: httpx.Client, gateway: Gateway) -> httpx.Response:
    return ua.get(f"{gateway.base}/auth/me")


def wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition()`` until true; fail after ``timeout`` seconds (a hang, not a race)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


ALICE = {"subject": "E1001", "name": "Alice Archer", "department": "D-FIN"}


# -- browser login ---------------------------------------------------------------------------


def test_login_asks_only_for_scopes_the_provider_offers(gateway: Gateway, ua: httpx.Client):
    location = ua.get(f"{gateway.base}/auth/login").headers["location"]
    assert parse_qs(urlsplit(location).query)["scope"] == ["openid profile email"]


def test_browser_login_acts_as_the_employee(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway, dot_provider, "E1001")
    answer = me(ua, gateway)
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("subject", "name", "department")} == ALICE
    assert sorted(body["roles"]) == ["employee", "finance"]  # DOT groups through the role map
    assert body["email"] == "alice@acme.test"
    graphql_like = ua.get(f"{gateway.base}/whoami", headers={"x-tandem-csrf": "1"})
    assert graphql_like.json()["subject"] == "E1001"


def test_a_wrong_password_is_refused_by_the_provider(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    with pytest.raises(LoginFailed):
        authorize(ua, f"{gateway.base}/auth/login", dot_provider, "E1001", "not-her-password")


def test_cancel_on_the_consent_page_shows_a_sign_in_cancelled_page(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    start = f"{gateway.base}/auth/login?return_to=/reports"
    callback = authorize(ua, start, dot_provider, "E1002", allow=False)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    page = ua.get(callback, headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 401
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Sign-in cancelled</h1>" in page.text
    assert 'href="/auth/login?return_to=%2Freports"' in page.text
    assert me(ua, gateway).status_code == 401  # no session was made


def test_another_provider_error_is_named_on_the_page(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    """What a gateway asking for a scope DOT does not offer gets: DOT's own error, named."""
    location = ua.get(f"{gateway.base}/auth/login").headers["location"]
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    unoffered = {**query, "scope": "openid offline_access"}
    unoffered_url = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(unoffered)}"
    callback = authorize(ua, unoffered_url, dot_provider, "E1001")
    assert parse_qs(urlsplit(callback).query)["error"] == ["invalid_scope"]
    page = ua.get(callback, headers={"accept": "text/html"})
    assert page.status_code == 401
    assert "<h1>Sign-in failed</h1>" in page.text and "<code>invalid_scope</code>" in page.text
    as_json = ua.get(callback)  # a program gets the coded error (the state is used up now)
    assert as_json.status_code == 401


def test_the_session_is_refreshed_with_the_providers_refresh_token(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway, dot_provider, "E1001")
    before = gateway.sso.sessions.refreshes
    # session_revalidate_seconds = 1: the session is checked (refreshed) once a second is over
    wait_for(
        lambda: me(ua, gateway).status_code == 200 and gateway.sso.sessions.refreshes > before,
        "a refresh",
    )
    assert me(ua, gateway).json()["subject"] == "E1001"


def test_rp_initiated_logout_ends_both_sessions(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway, dot_provider, "E1001")
    logout = ua.get(f"{gateway.base}/auth/logout")
    assert logout.status_code == 302
    query = parse_qs(urlsplit(logout.headers["location"]).query)
    assert query["post_logout_redirect_uri"] == [f"{gateway.base}/"] and query["id_token_hint"]
    assert end_session(ua, logout.headers["location"], dot_provider) == f"{gateway.base}/"
    assert me(ua, gateway).status_code == 401
    # the provider session is over too: the next login asks for the password again
    with pytest.raises(LoginFailed):
        authorize(ua, f"{gateway.base}/auth/login", dot_provider, "E1001", "wrong")


def test_a_logout_at_the_provider_ends_the_gateway_session_within_the_bound(
    gateway: Gateway, dot_provider: DotProvider, ua: httpx.Client
) -> None:
    """DOT has no back-channel logout: session_revalidate_seconds bounds the session."""
    sign_in(ua, gateway, dot_provider, "E1002")
    assert me(ua, gateway).status_code == 200
    at_provider = f"{dot_provider.issuer}/logout/?" + urlencode(
        {"client_id": "tandem-gateway", "post_logout_redirect_uri": f"{gateway.base}/"}
    )
    assert end_session(ua, at_provider, dot_provider) == f"{gateway.base}/"  # bob's tokens go
    wait_for(lambda: me(ua, gateway).status_code == 401, "the session to end")


# -- bearer tokens ---------------------------------------------------------------------------


def user_token(provider: DotProvider, app: str, username: str) -> dict[str, Any]:
    """A user's access token for ``app``: code flow with PKCE and ``resource``."""
    client = provider.apps[app]
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "scope": "openid profile",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": RESOURCE,
    }
    with user_agent() as agent:
        url = f"{provider.issuer}/authorize/?{urlencode(query)}"
        callback = authorize(agent, url, provider, username)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = httpx.post(
        f"{provider.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uris[0],
            "code_verifier": verifier,
            "resource": RESOURCE,
        },
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def whoami(gateway: Gateway, token: str) -> httpx.Response:
    return httpx.get(f"{gateway.base}/whoami", headers={"authorization": f"Bearer {token}"})


def test_a_users_jwt_access_token_acts_as_the_employee(
    gateway: Gateway, dot_provider: DotProvider
) -> None:
    token = user_token(dot_provider, "cli-jwt", "E1001")["access_token"]
    assert token.count(".") == 2
    answer = whoami(gateway, token)
    assert answer.status_code == 200, answer.text
    expected = {**ALICE, "roles": ["employee", "finance"], "client_id": "reporting-cli"}
    assert answer.json() == expected


def test_a_users_opaque_token_acts_as_the_employee_through_introspection(
    gateway: Gateway, dot_provider: DotProvider
) -> None:
    token = user_token(dot_provider, "cli-opaque", "E1001")["access_token"]
    introspected = httpx.post(
        f"{dot_provider.issuer}/introspect/",
        data={"token": token},
        auth=("tandem-gateway", "gateway-secret-1"),
    ).json()
    assert introspected["username"] == "E1001" and "sub" not in introspected  # DOT's shape
    assert "groups" not in introspected  # so the token acts with no role
    answer = whoami(gateway, token)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "subject": "E1001", "name": "E1001", "department": None, "roles": [],
        "client_id": "reporting-cli-opaque",
    }  # fmt: skip


def test_a_users_opaque_token_without_the_subject_claim_is_refused_not_taken_for_its_client(
    dot_provider: DotProvider, tmp_path: Path
) -> None:
    """Mapped to a claim DOT's introspection lacks (and no userinfo), the user's token is
    refused: it never acts as the application that holds it."""
    config = tmp_path / "tandem.toml"
    text = customer_config(dot_provider, "unused:")
    assert 'bearer_subject_claim = "username"' in text
    text = text.replace('bearer_subject_claim = "username"', 'bearer_subject_claim = "employee_id"')
    config.write_text(text)
    env = load_settings(config).environ()
    token = user_token(dot_provider, "cli-opaque", "E1002")["access_token"]

    async def identify() -> str:
        async with httpx.AsyncClient() as http:
            bearer = BearerAuthenticator(load_providers(env), http)
            try:
                await bearer.identify(f"Bearer {token}")
            except TandemError as error:
                return error.message
            return "accepted"

    assert asyncio.run(identify()) == "invalid claims: sub"


def test_the_introspection_endpoint_comes_from_rfc_8414_metadata(
    gateway: Gateway, dot_provider: DotProvider
) -> None:
    discovery = httpx.get(f"{dot_provider.issuer}/.well-known/openid-configuration").json()
    assert "introspection_endpoint" not in discovery

    async def endpoint() -> str:
        async with httpx.AsyncClient() as http:
            bearer = BearerAuthenticator(tuple(gateway.bearer.providers.values()), http)
            await bearer.check_endpoints()  # the start-up check passes
            introspector = bearer.introspector(dot_provider.issuer)
            assert introspector is not None
            return await introspector.endpoint()

    assert asyncio.run(endpoint()) == f"{dot_provider.issuer}/introspect/"


@pytest.mark.parametrize(("app", "client_id"), [
    ("integrator-jwt", "erp-integrator"), ("integrator-opaque", "payroll-bot"),
])  # fmt: skip
def test_client_credentials_act_as_the_client(
    gateway: Gateway, dot_provider: DotProvider, app: str, client_id: str
) -> None:
    response = dot_provider.client_credentials(app, resource=RESOURCE, scope="profile")
    assert response.status_code == 200, response.text
    answer = whoami(gateway, response.json()["access_token"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["subject"], body["client_id"], body["roles"]) == (client_id, client_id, [])


def test_a_token_for_another_resource_is_refused(
    gateway: Gateway, dot_provider: DotProvider
) -> None:
    response = dot_provider.client_credentials("integrator-opaque", scope="profile")
    answer = whoami(gateway, response.json()["access_token"])  # no resource: no audience
    assert answer.status_code == 401


# -- a plain OAuth 2.0 provider --------------------------------------------------------------


def test_a_plain_oauth2_login_takes_the_identity_from_userinfo(
    running: dict[str, Gateway], dot_provider: DotProvider, ua: httpx.Client
) -> None:
    gateway = running["oauth2"]
    location = ua.get(f"{gateway.base}/auth/login").headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["scope"] == ["profile"] and "nonce" not in query
    callback = authorize(ua, location, dot_provider, "E1002")
    assert ua.get(callback).status_code == 303
    body = me(ua, gateway).json()
    assert (body["subject"], body["name"], body["department"]) == ("E1002", "Bob Baker", "D-PRO")
    assert sorted(body["roles"]) == ["employee", "procurement"]
