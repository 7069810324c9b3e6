"""Browser login through a real OpenID provider (oidc-provider), over real HTTP, sessions in the
real Redis: the login, the cookie, rotation, ``/auth/me``, logout, and the attacks on them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.auth.test_sso_support import (
    CORS_ORIGIN,
    Gateway,
    error_code,
    make_sso,
    redis_url,
    redis_values,
    running_gateway,
    session_cookie,
    sign_in,
    stored_session,
)
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider

__all__ = ["redis_url"]  # a fixture this module uses


@pytest.fixture(scope="module")
def gateway(oidc_provider: OidcProvider, redis_url: str) -> Iterator[Gateway]:
    with running_gateway(oidc_provider, redis_url) as running:
        yield running


@pytest.fixture
def ua() -> Iterator[httpx.Client]:
    with browser.user_agent() as client:
        yield client


def test_login_through_the_provider_creates_a_session(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    response = sign_in(ua, gateway.base, oidc_provider, "alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    me = ua.get(f"{gateway.base}/auth/me")
    assert me.status_code == 200
    assert me.json() == {
        "subject": "user-alice",
        "name": "Alice Archer",
        "roles": ["employee", "finance"],
        "department": "finance",
        "email": "alice@tandem.test",
        "sessionExpiresAt": me.json()["sessionExpiresAt"],
    }
    assert me.headers["cache-control"] == "no-store"


def test_session_cookie_is_httponly_lax_root_path_and_opaque(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    response = sign_in(ua, gateway.base, oidc_provider, "bob")
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    flags = [part.strip().lower() for part in cookies["tandem_session"].split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert "secure" not in flags  # this gateway is configured for plain-HTTP loopback
    value = session_cookie(ua)
    assert value is not None and len(value) == 43  # 256 random bits, base64url
    # the login-binding cookie is removed once used
    assert (
        'tandem_login=""' in cookies["tandem_login"]
        or "max-age=0" in cookies["tandem_login"].lower()
    )


def test_the_cookie_is_secure_unless_configured_for_loopback(oidc_provider: OidcProvider) -> None:
    from starlette.responses import Response

    from gateway.auth.sessions import MemorySessionStore

    client, store = oidc_provider.web_client, MemorySessionStore()
    sso = make_sso(oidc_provider, store, client, "https://gw.test", cookie_secure=True)
    response = Response()
    sso._set_session_cookie(response, "x" * 43)
    flags = [p.strip().lower() for p in response.headers["set-cookie"].split(";")]
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(flags)


def test_tokens_stay_on_the_server(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    response = sign_in(ua, gateway.base, oidc_provider, "carol")
    cookie = session_cookie(ua)
    assert cookie is not None
    session = stored_session(gateway.prefix, cookie)
    assert session is not None and session.subject == "user-carol"
    me = ua.get(f"{gateway.base}/auth/me").text
    for token in (session.access_token, session.refresh_token, session.id_token):
        assert token and token not in me and token not in response.text
        assert all(token not in header for header in response.headers.values())
    # the store keys sessions by a hash: the cookie value appears nowhere in Redis
    assert all(cookie.encode() not in value for value in redis_values(gateway.prefix))


@pytest.mark.parametrize(
    ("return_to", "expected"),
    [
        ("/orders?status=open", "/orders?status=open"),
        ("https://evil.test/", "/"),
        ("//evil.test/path", "/"),
        ("/\\evil.test", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_return_to_is_limited_to_same_origin_paths(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client, return_to: str, expected: str
) -> None:
    user = oidc_provider.user("erin")
    login = str(httpx.URL(f"{gateway.base}/auth/login", params={"return_to": return_to}))
    callback = browser.login(login, user.username, user.password, client=ua)
    response = ua.get(callback)
    assert response.status_code == 303
    assert response.headers["location"] == expected


def test_login_rotates_the_session_id(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway.base, oidc_provider, "alice")
    first = session_cookie(ua)
    sign_in(ua, gateway.base, oidc_provider, "alice")  # the provider session: no form this time
    second = session_cookie(ua)
    assert first and second and first != second
    assert ua.get(f"{gateway.base}/auth/me").status_code == 200
    with httpx.Client(cookies={"tandem_session": first}) as old:
        response = old.get(f"{gateway.base}/auth/me")
    assert response.status_code == 401
    assert error_code(response) == "UNAUTHENTICATED"


def test_a_callback_without_state_is_refused(gateway: Gateway, ua: httpx.Client) -> None:
    response = ua.get(f"{gateway.base}/auth/callback", params={"code": "abc"})
    assert response.status_code == 401
    assert error_code(response) == "LOGIN_STATE_INVALID"
    assert session_cookie(ua) is None


def test_a_replayed_callback_is_refused(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    user = oidc_provider.user("bob")
    callback = browser.login(f"{gateway.base}/auth/login", user.username, user.password, client=ua)
    assert ua.get(callback).status_code == 303
    first = session_cookie(ua)
    replay = ua.get(callback)
    assert replay.status_code == 401
    assert error_code(replay) == "LOGIN_STATE_INVALID"
    assert session_cookie(ua) == first


def test_a_callback_from_another_browser_is_refused(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    user = oidc_provider.user("bob")
    callback = browser.login(f"{gateway.base}/auth/login", user.username, user.password, client=ua)
    with httpx.Client() as victim:  # login CSRF: the attacker's callback URL in another browser
        response = victim.get(callback)
    assert response.status_code == 401
    assert error_code(response) == "LOGIN_STATE_INVALID"
    assert ua.get(callback).status_code == 401  # and the state was used up


def test_a_callback_with_a_provider_error_is_refused(gateway: Gateway, ua: httpx.Client) -> None:
    login = ua.get(f"{gateway.base}/auth/login")
    query = parse_qs(urlsplit(login.headers["location"]).query)
    state = query["state"][0]
    response = ua.get(
        f"{gateway.base}/auth/callback",
        params={"state": state, "error": "access_denied", "iss": query.get("iss", [""])[0]},
    )
    assert response.status_code == 401
    assert error_code(response) == "LOGIN_FAILED"


def test_a_forged_session_cookie_is_refused(gateway: Gateway) -> None:
    for forged in (secrets.token_urlsafe(32), "x", "../../etc/passwd"):
        with httpx.Client(cookies={"tandem_session": forged}) as client:
            me = client.get(f"{gateway.base}/auth/me")
            probe = client.post(f"{gateway.base}/probe", json={"query": "{ me }"})
        assert (me.status_code, error_code(me)) == (401, "UNAUTHENTICATED")
        assert (probe.status_code, error_code(probe)) == (401, "UNAUTHENTICATED")


def test_logout_ends_the_session_and_goes_to_the_provider_with_id_token_hint(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway.base, oidc_provider, "dave")
    stolen = session_cookie(ua)
    assert stolen is not None
    session = stored_session(gateway.prefix, stolen)
    assert session is not None
    response = ua.post(f"{gateway.base}/auth/logout")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(oidc_provider.end_session_endpoint)
    query = parse_qs(urlsplit(location).query)
    assert query["id_token_hint"] == [session.id_token]
    assert query["post_logout_redirect_uri"] == [f"{gateway.base}/"]
    assert session_cookie(ua) is None
    assert stored_session(gateway.prefix, stolen) is None
    # the provider's session ends too, and it sends the user back to the gateway
    assert browser.logout(location, client=ua) == f"{gateway.base}/"
    # a copy of the cookie taken before logout is worth nothing now
    with httpx.Client(cookies={"tandem_session": stolen}) as thief:
        me = thief.get(f"{gateway.base}/auth/me")
        probe = thief.post(f"{gateway.base}/probe", json={"query": "{ me }"})
    assert (me.status_code, error_code(me)) == (401, "UNAUTHENTICATED")
    assert (probe.status_code, error_code(probe)) == (401, "UNAUTHENTICATED")


def test_a_cross_site_logout_is_refused(gateway: Gateway) -> None:
    response = httpx.post(f"{gateway.base}/auth/logout", headers={"sec-fetch-site": "cross-site"})
    assert (response.status_code, error_code(response)) == (403, "CSRF_REJECTED")


def test_the_graphql_endpoint_gets_the_principal_and_the_csrf_rule(
    gateway: Gateway, oidc_provider: OidcProvider, ua: httpx.Client
) -> None:
    sign_in(ua, gateway.base, oidc_provider, "carol")
    probe = f"{gateway.base}/probe"
    json_post = ua.post(probe, json={"query": "{ me }"})
    assert json_post.status_code == 200
    assert json_post.json()["data"] == {
        "subject": "user-carol",
        "name": "Carol Chen",
        "roles": ["employee", "manager", "hr"],
        "department": "hr",
    }
    form_post = ua.post(
        probe, content=b'{"query": "{ me }"}', headers={"content-type": "text/plain"}
    )
    assert (form_post.status_code, error_code(form_post)) == (403, "CSRF_REJECTED")
    urlencoded = ua.post(probe, data={"query": "{ me }"})
    assert (urlencoded.status_code, error_code(urlencoded)) == (403, "CSRF_REJECTED")
    plain_get = ua.get(probe, params={"query": "{ me }"})
    assert (plain_get.status_code, error_code(plain_get)) == (403, "CSRF_REJECTED")
    marked_get = ua.get(probe, params={"query": "{ me }"}, headers={"x-tandem-csrf": "1"})
    assert marked_get.status_code == 200
    with httpx.Client() as anonymous:
        assert anonymous.post(
            probe, content=b"{}", headers={"content-type": "text/plain"}
        ).json() == {"data": None}


def test_cors_allows_credentials_for_listed_origins_only(gateway: Gateway) -> None:
    allowed = httpx.get(f"{gateway.base}/auth/me", headers={"origin": CORS_ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "origin" in allowed.headers["vary"].lower()
    other = httpx.get(f"{gateway.base}/auth/me", headers={"origin": "https://evil.test"})
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-credentials" not in other.headers
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-tandem-csrf",
    }
    ok = httpx.options(f"{gateway.base}/probe", headers={"origin": CORS_ORIGIN, **preflight})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == CORS_ORIGIN
    refused = httpx.options(
        f"{gateway.base}/probe", headers={"origin": "https://evil.test", **preflight}
    )
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
