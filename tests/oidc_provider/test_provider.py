"""The provider harness is a real OpenID provider: it checks passwords, PKCE and secrets, signs
with keys it publishes, rotates refresh tokens and keys, and sends back-channel logout tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import RSAKey

from tests.support.jwt_parts import unverified_header
from tests.support.oidc import browser
from tests.support.oidc.fixture import (
    GATEWAY_RESOURCE,
    OidcProvider,
    TokenError,
    default_settings,
    running_oidc_provider,
)

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def verify(
    provider: OidcProvider, token: str, *, audience: str, access_token: str | None = None
) -> dict[str, Any]:
    """Verify a JWT against the provider's published JWKS, picking the key by kid."""
    header = unverified_header(token)
    assert header["alg"] == "RS256"
    keys = {key["kid"]: key for key in provider.jwks()["keys"]}
    assert header["kid"] in keys, f"kid {header['kid']} is not published"
    decoded = jwt.decode(token, RSAKey.import_key(keys[header["kid"]]), algorithms=["RS256"])
    claims: dict[str, Any] = decoded.claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
    ).validate(claims)
    if access_token is not None and "at_hash" in claims:  # Core 1.0 3.1.3.6
        digest = hashlib.sha256(access_token.encode()).digest()[:16]
        assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return claims


def is_jwt(token: str) -> bool:
    return token.count(".") == 2


def test_discovery_document(oidc_provider: OidcProvider) -> None:
    doc = httpx.get(oidc_provider.discovery_url).json()

    assert doc["issuer"] == oidc_provider.issuer
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    for name in (
        "authorization",
        "token",
        "userinfo",
        "end_session",
        "introspection",
        "revocation",
        "registration",
    ):
        assert doc[f"{name}_endpoint"].startswith(oidc_provider.issuer + "/")
    assert doc["jwks_uri"] == f"{oidc_provider.issuer}/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"authorization_code", "refresh_token", "client_credentials"} <= set(
        doc["grant_types_supported"]
    )
    assert {"email", "name", "groups", "roles", "department"} <= set(doc["claims_supported"])
    assert {"openid", "offline_access", "groups", "department"} <= set(doc["scopes_supported"])


def test_authorization_code_with_pkce_gives_tokens_signed_by_published_keys(
    oidc_provider: OidcProvider,
) -> None:
    client, alice = oidc_provider.web_client, oidc_provider.user("alice")
    redirect_uri = client.redirect_uris[0]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    authorize = (
        oidc_provider.discovery["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client.client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile email groups department",
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
                "resource": GATEWAY_RESOURCE,
            }
        )
    )

    callback = browser.login(authorize, alice.username, alice.password)

    assert callback.startswith(redirect_uri + "?")
    query = {k: v[0] for k, v in parse_qs(callback.split("?", 1)[1]).items()}
    assert query["state"] == state
    assert query["iss"] == oidc_provider.issuer  # RFC 9207
    response = httpx.post(
        oidc_provider.discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret or ""),
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == oidc_provider.settings.access_token_ttl
    assert "refresh_token" in tokens  # issued to clients allowed the grant

    id_claims = verify(
        oidc_provider,
        tokens["id_token"],
        audience=client.client_id,
        access_token=tokens["access_token"],
    )
    assert id_claims["sub"] == alice.sub
    assert id_claims["nonce"] == nonce
    assert id_claims["sid"]
    for claim in ("email", "name", "groups", "roles", "department"):
        assert id_claims[claim] == alice.claims[claim], claim  # in the ID token itself

    assert is_jwt(tokens["access_token"])
    at_claims = verify(oidc_provider, tokens["access_token"], audience=GATEWAY_RESOURCE)
    assert at_claims["sub"] == alice.sub
    assert at_claims["client_id"] == client.client_id
    assert at_claims["roles"] == alice.claims["roles"]
    assert at_claims["department"] == alice.claims["department"]


def test_a_forged_signature_does_not_verify(oidc_provider: OidcProvider) -> None:
    token = oidc_provider.client_credentials_token()["access_token"]
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "someone-else"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    with pytest.raises(JoseError):
        verify(oidc_provider, f"{head}.{forged_body}.{signature}", audience=GATEWAY_RESOURCE)


def test_opaque_access_token_introspection_userinfo_and_revocation(
    oidc_provider: OidcProvider,
) -> None:
    bob = oidc_provider.user("bob")
    request = oidc_provider.authorization_request()
    tokens = oidc_provider.exchange_code(
        request, browser.login(request.url, bob.username, bob.password)
    )
    access_token = tokens["access_token"]
    assert not is_jwt(access_token)

    info = oidc_provider.introspect(access_token)
    assert info["active"] is True
    assert info["sub"] == bob.sub
    assert info["client_id"] == oidc_provider.web_client.client_id
    assert set(info["scope"].split()) >= {"openid", "email", "groups"}
    assert oidc_provider.userinfo(access_token)["department"] == bob.claims["department"]

    oidc_provider.revoke(access_token)
    assert oidc_provider.introspect(access_token) == {"active": False}
    assert oidc_provider.introspect("not-a-token") == {"active": False}


def test_pkce_is_required_for_every_client(oidc_provider: OidcProvider) -> None:
    alice = oidc_provider.user("alice")
    confidential = oidc_provider.web_client
    without_pkce = (
        oidc_provider.authorization_endpoint
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": confidential.client_id,
                "redirect_uri": confidential.redirect_uris[0],
                "scope": "openid",
                "state": "s",
                "nonce": "n",
            }
        )
    )
    with browser.user_agent() as agent:
        refused = agent.get(without_pkce)
    assert refused.status_code in (302, 303)
    error = dict(httpx.URL(refused.headers["location"]).params)
    assert error["error"] == "invalid_request"
    assert "PKCE" in error["error_description"]

    public = oidc_provider.public_client
    request = oidc_provider.authorization_request(public)
    code = dict(httpx.URL(browser.login(request.url, alice.username, alice.password)).params)
    wrong_verifier = oidc_provider.token_request(
        {
            "grant_type": "authorization_code",
            "code": code["code"],
            "redirect_uri": request.redirect_uri,
            "code_verifier": secrets.token_urlsafe(48),
        },
        public,
    )
    assert wrong_verifier.status_code == 400
    assert wrong_verifier.json()["error"] == "invalid_grant"

    request = oidc_provider.authorization_request(public)
    tokens = oidc_provider.exchange_code(
        request, browser.login(request.url, alice.username, alice.password)
    )
    assert (
        verify(
            oidc_provider,
            tokens["id_token"],
            audience=public.client_id,
            access_token=tokens["access_token"],
        )["sub"]
        == alice.sub
    )


def test_a_wrong_password_is_refused(oidc_provider: OidcProvider) -> None:
    alice = oidc_provider.user("alice")
    request = oidc_provider.authorization_request()

    page = browser.login_refused(request.url, alice.username, alice.password + "x")

    assert page.status_code == 401
    assert "Invalid username or password." in page.text
    assert "code=" not in page.text
    with pytest.raises(browser.LoginFailed):
        browser.login(request.url, "nobody", alice.password)
    with pytest.raises(browser.LoginFailed):
        browser.login(request.url, alice.username, "")
    refused = [e["username"] for e in oidc_provider.events("login.refused")]
    assert refused[-3:] == [alice.username, "nobody", alice.username]


def test_the_provider_session_gives_single_sign_on(oidc_provider: OidcProvider) -> None:
    carol = oidc_provider.user("carol")
    with browser.user_agent() as agent:
        first = oidc_provider.authorization_request()
        oidc_provider.exchange_code(
            first, browser.login(first.url, carol.username, carol.password, client=agent)
        )
        second = oidc_provider.authorization_request()
        # No form this time: a wrong password would be refused if one were asked for.
        callback = browser.login(second.url, carol.username, "not-asked", client=agent)
        tokens = oidc_provider.exchange_code(second, callback)
    claims = verify(
        oidc_provider,
        tokens["id_token"],
        audience=oidc_provider.web_client.client_id,
        access_token=tokens["access_token"],
    )
    assert claims["sub"] == carol.sub


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_grant(
    oidc_provider: OidcProvider,
) -> None:
    dave = oidc_provider.user("dave")
    request = oidc_provider.authorization_request(
        scope="openid offline_access groups", prompt="consent"
    )
    tokens = oidc_provider.exchange_code(
        request, browser.login(request.url, dave.username, dave.password)
    )
    assert "offline_access" in tokens["scope"].split()
    first = tokens["refresh_token"]

    refreshed = oidc_provider.refresh(first)

    assert refreshed["refresh_token"] != first  # rotated
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["expires_in"] == oidc_provider.settings.access_token_ttl
    id_claims = verify(
        oidc_provider,
        refreshed["id_token"],
        audience=oidc_provider.web_client.client_id,
        access_token=refreshed["access_token"],
    )
    assert id_claims["sub"] == dave.sub
    assert oidc_provider.introspect(refreshed["access_token"])["active"] is True

    with pytest.raises(TokenError) as reused:
        oidc_provider.refresh(first)
    assert reused.value.error == "invalid_grant"
    # Reuse of a rotated refresh token revokes the whole grant, the new token included.
    with pytest.raises(TokenError) as after:
        oidc_provider.refresh(refreshed["refresh_token"])
    assert after.value.error == "invalid_grant"
    assert oidc_provider.introspect(refreshed["access_token"]) == {"active": False}


class LocalApp(ThreadingHTTPServer):
    """A stand-in relying party on 127.0.0.1: ``/auth/login`` sets a cookie and redirects to
    ``login_redirect``; ``/auth/callback`` records what it gets; POSTs are recorded as
    back-channel logout requests."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _LocalAppHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.login_redirect = ""
        self.state_cookie = secrets.token_urlsafe(8)
        self.callbacks: list[tuple[str, str | None]] = []  # (path and query, Cookie header)
        self.posts: list[tuple[float, str | None, str]] = []  # (when, content type, body)


class _LocalAppHandler(BaseHTTPRequestHandler):
    server: LocalApp

    def do_GET(self) -> None:
        if self.path == "/auth/login":
            self.send_response(302)
            self.send_header("location", self.server.login_redirect)
            self.send_header("set-cookie", f"rp_state={self.server.state_cookie}; Path=/")
        else:
            self.server.callbacks.append((self.path, self.headers.get("cookie")))
            self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        self.server.posts.append((time.monotonic(), self.headers.get("content-type"), body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_app() -> Iterator[LocalApp]:
    """A tiny relying party serving on 127.0.0.1 for the test."""
    server = LocalApp()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_login_can_start_at_the_relying_party_and_keep_its_cookies(
    oidc_provider: OidcProvider, local_app: LocalApp
) -> None:
    client = oidc_provider.register_web_client([f"{local_app.url}/auth/callback"])
    request = oidc_provider.authorization_request(client)
    local_app.login_redirect = request.url
    bob = oidc_provider.user("bob")

    with browser.user_agent() as agent:
        callback = browser.login(
            f"{local_app.url}/auth/login", bob.username, bob.password, client=agent
        )
        assert local_app.callbacks == []  # returned, not visited
        assert agent.get(callback).status_code == 200

    [(path, cookie)] = local_app.callbacks
    sent = dict(pair.split("=", 1) for pair in (cookie or "").split("; "))
    assert sent["rp_state"] == local_app.state_cookie
    # Cookies ignore ports: the provider's (op_*) reach the relying party too, as in a browser.
    assert {name for name in sent if name != "rp_state"} <= {"op_session", "op_session.sig"}
    tokens = oidc_provider.exchange_code(request, f"{local_app.url}{path}")
    assert (
        verify(
            oidc_provider,
            tokens["id_token"],
            audience=client.client_id,
            access_token=tokens["access_token"],
        )["sub"]
        == bob.sub
    )


def test_back_channel_logout_reaches_the_client_when_the_session_ends(
    oidc_provider: OidcProvider, local_app: LocalApp
) -> None:
    receiver_url, received = f"{local_app.url}/backchannel", local_app.posts
    client = oidc_provider.register_web_client(
        ["http://127.0.0.1:9/app/callback"],
        post_logout_redirect_uris=["http://127.0.0.1:9/app/bye"],
        backchannel_logout_uri=receiver_url,
    )
    erin = oidc_provider.user("erin")
    with browser.user_agent() as agent:
        request = oidc_provider.authorization_request(client)
        tokens = oidc_provider.exchange_code(
            request, browser.login(request.url, erin.username, erin.password, client=agent)
        )
        sid = verify(
            oidc_provider,
            tokens["id_token"],
            audience=client.client_id,
            access_token=tokens["access_token"],
        )["sid"]
        assert received == []

        started = time.monotonic()
        landed = browser.logout(
            oidc_provider.end_session_url(tokens["id_token"], "http://127.0.0.1:9/app/bye", "st8"),
            client=agent,
        )

    assert landed == "http://127.0.0.1:9/app/bye?state=st8"
    assert len(received) == 1
    at, content_type, body = received[0]
    assert at - started < 1.0
    assert content_type == "application/x-www-form-urlencoded"
    logout_token = parse_qs(body)["logout_token"][0]
    claims = verify(oidc_provider, logout_token, audience=client.client_id)
    assert claims["sub"] == erin.sub
    assert claims["sid"] == sid
    assert claims["events"] == {BACKCHANNEL_EVENT: {}}
    assert claims["jti"]
    assert "nonce" not in claims
    # logout=yes ended the session and revoked its grants.
    assert oidc_provider.introspect(tokens["access_token"], client) == {"active": False}
    with pytest.raises(TokenError):
        oidc_provider.refresh(tokens["refresh_token"], client)

    oidc_provider.send_backchannel_logout(client.client_id, erin.sub, "admin-sid")
    assert len(received) == 2
    admin_claims = verify(
        oidc_provider, parse_qs(received[1][2])["logout_token"][0], audience=client.client_id
    )
    assert (admin_claims["sub"], admin_claims["sid"]) == (erin.sub, "admin-sid")


def test_client_credentials_with_a_resource_give_a_jwt_for_that_audience(
    oidc_provider: OidcProvider,
) -> None:
    integrator = oidc_provider.integrator_client

    response = oidc_provider.client_credentials_token(GATEWAY_RESOURCE, scope="graphql:read")

    assert is_jwt(response["access_token"])
    assert response["expires_in"] == oidc_provider.settings.client_credentials_ttl
    claims = verify(oidc_provider, response["access_token"], audience=GATEWAY_RESOURCE)
    assert claims["aud"] == GATEWAY_RESOURCE
    assert claims["client_id"] == integrator.client_id
    assert claims["sub"] == integrator.client_id
    assert claims["scope"] == "graphql:read"
    with pytest.raises(ClaimError):
        verify(oidc_provider, response["access_token"], audience="urn:tandem:other")

    opaque = oidc_provider.client_credentials_token(resource=None)["access_token"]
    assert not is_jwt(opaque)
    info = oidc_provider.introspect(opaque, integrator)
    assert (info["active"], info["client_id"]) == (True, integrator.client_id)

    with pytest.raises(TokenError) as unknown:
        oidc_provider.client_credentials_token("urn:tandem:unknown")
    assert unknown.value.error == "invalid_target"
    with pytest.raises(TokenError) as bad_secret:
        oidc_provider.client_credentials_token(
            client=type(integrator)(integrator.client_id, "wrong-secret")
        )
    assert bad_secret.value.error == "invalid_client"


def test_key_rotation_changes_the_signing_kid(oidc_provider: OidcProvider) -> None:
    before = oidc_provider.current_kid()
    old_token = oidc_provider.client_credentials_token()["access_token"]
    assert unverified_header(old_token)["kid"] == before

    new_kid = oidc_provider.rotate_keys()

    assert new_kid != before
    kids = [key["kid"] for key in oidc_provider.jwks()["keys"]]
    assert kids[0] == new_kid and before in kids
    new_token = oidc_provider.client_credentials_token()["access_token"]
    assert unverified_header(new_token)["kid"] == new_kid
    verify(oidc_provider, new_token, audience=GATEWAY_RESOURCE)
    verify(oidc_provider, old_token, audience=GATEWAY_RESOURCE)  # old key still published


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_provider_of_its_own_starts_fast_and_stops_by_pid() -> None:
    settings = default_settings().with_changes(
        access_token_ttl=5, client_credentials_ttl=5, users=default_settings().users[:1]
    )
    started = time.monotonic()
    with running_oidc_provider(settings) as provider:
        startup = time.monotonic() - started
        assert provider.process.poll() is None
        assert _port_open(provider.port)
        assert provider.client_credentials_token()["expires_in"] == 5
        assert list(provider.users) == ["alice"]
    assert provider.process.poll() is not None
    assert not _port_open(provider.port)
    assert startup < 60.0, f"startup took {startup:.2f}s"  # a hang, not a slow machine
