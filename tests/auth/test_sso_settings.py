"""SSO settings from the environment, and the small pure rules: return_to, CSRF, CORS config."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.auth.browser_safety import (
    CSRF_EXEMPT,
    CORSAllowList,
    CSRFRejected,
    check_csrf,
    check_preflight,
)
from gateway.auth.oidc import OIDCSettings, ProviderMetadata
from gateway.auth.routes import SSO, SSOSettings, safe_return_to
from gateway.auth.sessions import MemorySessionStore, RedisSessionStore
from gateway.errors import TandemError
from gateway.settings import load_settings

BASE = {
    "TANDEM_OIDC_ISSUER": "https://idp.example",
    "TANDEM_OIDC_CLIENT_ID": "tandem-gateway",
    "TANDEM_OIDC_CLIENT_SECRET": "secret",
    "TANDEM_OIDC_REDIRECT_URI": "https://gw.example/auth/callback",
}


def test_no_issuer_means_no_browser_login() -> None:
    assert SSO.from_environ({}) is None


def test_settings_come_from_the_environment() -> None:
    env = {
        **BASE,
        "TANDEM_OIDC_SCOPES": "openid profile groups",
        "TANDEM_OIDC_ROLES_CLAIM": "roles",
        "TANDEM_SESSION_TTL": "3600",
        "TANDEM_REDIS_URL": "redis://127.0.0.1:6379/0",
        "TANDEM_SESSION_KEY_PREFIX": "gw1:",
    }
    sso = SSO.from_environ(env)
    assert sso is not None
    assert sso.oidc.settings.scopes == ("openid", "profile", "groups")
    assert sso.settings.claims.roles == ("roles",) and sso.settings.session_ttl == 3600
    assert sso.settings.cookie_secure
    assert isinstance(sso.store, RedisSessionStore)
    assert isinstance(SSO.from_environ(BASE).store, MemorySessionStore)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"TANDEM_OIDC_CLIENT_ID": None}, "TANDEM_OIDC_CLIENT_ID is required"),
        ({"TANDEM_OIDC_CLIENT_SECRET": None}, "client secret is required"),
        ({"TANDEM_OIDC_SCOPES": "profile email"}, "must include 'openid'"),
        ({"TANDEM_OIDC_AUTH_METHOD": "private_key_jwt"}, "unsupported client authentication"),
    ],
)
def test_incomplete_oidc_settings_are_refused(changes: dict[str, str | None], message: str) -> None:
    env = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    with pytest.raises(TandemError, match=message):
        OIDCSettings.from_environ(env)


def test_plain_http_cookies_are_for_loopback_development_only() -> None:
    loopback = {"TANDEM_SESSION_INSECURE_LOCALHOST": "1"}
    for uri in ("http://127.0.0.1:4000/auth/callback", "http://localhost:4000/auth/callback"):
        assert not SSOSettings.from_environ(loopback, redirect_uri=uri).cookie_secure
    with pytest.raises(TandemError, match="loopback"):
        SSOSettings.from_environ(loopback, redirect_uri="http://gw.example/auth/callback")
    with pytest.raises(TandemError, match="production"):
        SSOSettings.from_environ(
            {**loopback, "TANDEM_ENV": "production"},
            redirect_uri="http://127.0.0.1:4000/auth/callback",
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("/orders/7?tab=lines#top", "/orders/7?tab=lines#top"),
        ("orders", "/"),
        ("https://evil.test/", "/"),
        ("//evil.test", "/"),
        ("/\\evil.test", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_return_to_is_a_same_origin_path(value: str | None, expected: str) -> None:
    assert safe_return_to(value) == expected


def request(method: str, headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": method, "headers": raw, "path": "/graphql"})


@pytest.mark.parametrize(
    ("method", "headers", "allowed"),
    [
        ("POST", {"content-type": "application/json"}, True),
        ("POST", {"content-type": "application/graphql-response+json; charset=utf-8"}, True),
        ("POST", {"content-type": "text/plain"}, False),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, False),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}, False),
        ("POST", {}, False),
        ("POST", {"content-type": "text/plain", "x-tandem-csrf": "1"}, True),
        ("GET", {}, False),
        ("GET", {"content-type": "application/json"}, False),
        ("GET", {"x-tandem-csrf": "1"}, True),
        ("GET", {"x-tandem-csrf": "0"}, False),
        # Apollo's preflight headers (upload clients send them), any value but none
        (
            "POST",
            {"content-type": "multipart/form-data; boundary=x", "apollo-require-preflight": "true"},
            True,
        ),
        ("POST", {"content-type": "text/plain", "x-apollo-operation-name": "Up"}, True),
        ("GET", {"graphql-preflight": "1"}, True),
        ("POST", {"content-type": "text/plain", "apollo-require-preflight": ""}, False),
    ],
)
def test_the_csrf_rule(method: str, headers: dict[str, str], allowed: bool) -> None:
    if allowed:
        check_csrf(request(method, headers))
    else:
        with pytest.raises(CSRFRejected) as refused:
            check_csrf(request(method, headers))
        assert (refused.value.code, refused.value.status) == ("CSRF_REJECTED", 403)


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({}, False),
        ({"apollo-require-preflight": "true"}, True),
        ({"x-apollo-operation-name": "Up"}, True),
        ({"graphql-preflight": "1"}, True),
        ({"x-tandem-csrf": "1"}, True),
        ({"x-tandem-csrf": "0"}, False),
    ],
)
def test_a_multipart_upload_needs_a_preflight_header_whoever_sends_it(
    headers: dict[str, str], allowed: bool
) -> None:
    sent = request("POST", {"content-type": "multipart/form-data; boundary=x", **headers})
    if allowed:
        check_preflight(sent)
    else:
        with pytest.raises(CSRFRejected):
            check_preflight(sent)


def test_a_download_is_exempt_from_the_csrf_rule() -> None:
    plain_get = request("GET", {})
    plain_get.scope[CSRF_EXEMPT] = True
    check_csrf(plain_get)


def test_cors_origins_are_exact_and_never_a_wildcard() -> None:
    given = load_settings(overrides={"cors_origins": "https://a.test/, https://b.test"})
    assert given.cors_origins == ("https://a.test", "https://b.test")
    assert load_settings(overrides={"cors_origins": ""}).cors_origins == ()

    async def app(scope: object, receive: object, send: object) -> None: ...

    for bad in ("*", "null", "a.test"):
        with pytest.raises(TandemError):
            CORSAllowList(app, [bad])


def _metadata(**document: object) -> ProviderMetadata:
    base = {
        "issuer": "https://idp.test",
        "authorization_endpoint": "https://idp.test/auth",
        "token_endpoint": "https://idp.test/token",
        "jwks_uri": "https://idp.test/jwks",
    }
    return ProviderMetadata.from_document({**base, **document}, "https://idp.test")


@pytest.mark.parametrize(
    ("offered", "configured", "asked"),
    [
        (None, None, ("openid", "profile", "email")),
        (["openid", "profile", "email"], None, ("openid", "profile", "email")),
        (["openid", "offline_access"], None, ("openid", "profile", "email", "offline_access")),
        (["openid"], ("openid", "groups"), ("openid", "groups")),
    ],
)
def test_scopes_come_from_discovery_unless_configured(
    offered: list[str] | None, configured: tuple[str, ...] | None, asked: tuple[str, ...]
) -> None:
    """offline_access only when the provider lists it (one that does not: invalid_scope)."""
    settings = OIDCSettings(
        "https://idp.test", "tandem", "https://gw/auth/callback", "s", scopes=configured
    )
    document = {} if offered is None else {"scopes_supported": offered}
    assert _metadata(**document).scopes_for(settings) == asked


def test_an_oauth2_provider_needs_no_jwks_or_openid_but_a_userinfo_endpoint() -> None:
    settings = OIDCSettings(
        "https://idp.test", "tandem", "https://gw/auth/callback", "s", protocol="oauth2",
        userinfo_endpoint="https://idp.test/api/me",
    )  # fmt: skip
    metadata = ProviderMetadata.from_document(
        {"issuer": "https://idp.test", "authorization_endpoint": "https://idp.test/a",
         "token_endpoint": "https://idp.test/t"},
        "https://idp.test", settings,
    )  # fmt: skip
    assert metadata.userinfo_endpoint == "https://idp.test/api/me" and metadata.jwks_uri is None
    assert metadata.scopes_for(settings) == ()
    without = OIDCSettings(
        "https://idp.test", "tandem", "https://gw/auth/callback", "s", protocol="oauth2"
    )
    with pytest.raises(TandemError, match="userinfo endpoint"):
        ProviderMetadata.from_document(
            {"issuer": "https://idp.test", "authorization_endpoint": "https://idp.test/a",
             "token_endpoint": "https://idp.test/t"},
            "https://idp.test", without,
        )  # fmt: skip
