"""The relying party's checks, one by one, against a scripted provider (httpx.MockTransport):
discovery, the authorization request, ID tokens (Core 1.0 §3.1.3.7), RFC 9207, refresh,
userinfo, and back-channel logout tokens (Back-Channel Logout 1.0 §2.6).

The whole flow against a real provider is in test_sso_login.py; here each forged or broken
token is made on purpose, which a real provider would never do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from gateway.auth.oidc import (
    BACKCHANNEL_LOGOUT_EVENT,
    LoginError,
    LogoutTokenError,
    OIDCClient,
    OIDCSettings,
    ProviderError,
    TokenRejected,
)

pytestmark = pytest.mark.anyio

ISSUER = "https://idp.test"
CLIENT_ID = "tandem-gateway"
KEY = RSAKey.generate_key(2048, {"use": "sig"}, auto_kid=True)
NEW_KEY = RSAKey.generate_key(2048, {"use": "sig"}, auto_kid=True)
OTHER_KEY = RSAKey.generate_key(2048, {"use": "sig"}, auto_kid=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Provider:
    """A scripted provider: discovery, JWKS (counting fetches), a token endpoint, userinfo."""

    keys: list[RSAKey] = field(default_factory=lambda: [KEY])
    discovery: dict[str, Any] = field(
        default_factory=lambda: {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "userinfo_endpoint": f"{ISSUER}/me",
            "end_session_endpoint": f"{ISSUER}/session/end",
            "id_token_signing_alg_values_supported": ["RS256", "HS256", "none"],
            "authorization_response_iss_parameter_supported": True,
        }
    )
    token_status: int = 200
    token_body: dict[str, Any] = field(default_factory=dict)
    userinfo: dict[str, Any] = field(default_factory=lambda: {"sub": "user-1"})
    jwks_fetches: int = 0
    token_requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery)
        if path == "/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json=KeySet(list(self.keys)).as_dict(private=False))
        if path == "/token":
            self.token_requests.append(request)
            return httpx.Response(self.token_status, json=self.token_body)
        if path == "/me":
            return httpx.Response(200, json=self.userinfo)
        return httpx.Response(404)


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[OIDCClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))
    settings = OIDCSettings(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret="s3cret:with/odd chars",
        redirect_uri="https://gw.test/auth/callback",
        post_logout_redirect_uri="https://gw.test/",
        leeway=5,
    )
    oidc = OIDCClient(settings, http=http)
    yield oidc
    await http.aclose()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "sid": "sid-1",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(body: dict[str, Any], key: RSAKey = KEY, **header: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, **header}, body, key)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(body: dict[str, Any]) -> str:
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(body).encode())}."


def hs256_with_public_key(body: dict[str, Any]) -> str:
    """The classic confusion attack: HMAC keyed with the provider's public key."""
    public_pem = KEY.as_pem(private=False)
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KEY.kid}).encode())
    signing_input = f"{head}.{b64(json.dumps(body).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_a_valid_id_token_passes(client: OIDCClient) -> None:
    validated = await client.validate_id_token(sign(claims()), nonce="n-1")
    assert validated["sub"] == "user-1" and validated["sid"] == "sid-1"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(unsigned(claims()), id="alg-none"),
        pytest.param(hs256_with_public_key(claims()), id="hs256-with-the-public-key"),
        pytest.param(sign(claims(), OTHER_KEY), id="another-key"),
        pytest.param(sign(claims(), OTHER_KEY, kid=KEY.kid), id="another-key-same-kid"),
        pytest.param(sign(claims(exp=int(time.time()) - 60)), id="expired"),
        pytest.param(sign(claims(iat=int(time.time()) + 600)), id="issued-in-the-future"),
        pytest.param(sign(claims(aud="someone-else")), id="wrong-audience"),
        pytest.param(sign(claims(aud=["someone-else", CLIENT_ID])), id="several-audiences-no-azp"),
        pytest.param(sign(claims(iss="https://evil.test")), id="wrong-issuer"),
        pytest.param(sign(claims(nonce="n-other")), id="wrong-nonce"),
        pytest.param(sign(claims(nonce=None)), id="no-nonce"),
        pytest.param(sign(claims(sub=None)), id="no-subject"),
        pytest.param(sign(claims(exp=None)), id="no-expiry"),
        pytest.param("not.a.token", id="garbage"),
    ],
)
async def test_a_bad_id_token_is_refused(client: OIDCClient, token: str) -> None:
    with pytest.raises(LoginError) as refused:
        await client.validate_id_token(token, nonce="n-1")
    assert (refused.value.code, refused.value.status) == ("LOGIN_FAILED", 401)


async def test_at_hash_must_match_the_access_token(client: OIDCClient) -> None:
    digest = hashlib.sha256(b"access-1").digest()
    token = sign(claims(at_hash=b64(digest[:16])))
    assert await client.validate_id_token(token, nonce="n-1", access_token="access-1")
    with pytest.raises(LoginError):
        await client.validate_id_token(token, nonce="n-1", access_token="access-2")


async def test_key_rotation_refetches_the_jwks_once(client: OIDCClient, provider: Provider) -> None:
    await client.validate_id_token(sign(claims()), nonce="n-1")
    assert provider.jwks_fetches == 1
    provider.keys = [NEW_KEY, KEY]
    await client.validate_id_token(sign(claims(), NEW_KEY), nonce="n-1")
    assert provider.jwks_fetches == 2
    with pytest.raises(LoginError):  # an unknown kid again right away: no fetch storm
        await client.validate_id_token(sign(claims(), OTHER_KEY), nonce="n-1")
    assert provider.jwks_fetches == 2


async def test_the_authorization_request_uses_pkce_state_and_nonce(client: OIDCClient) -> None:
    first = await client.authorization_request()
    second = await client.authorization_request()
    query = {k: v[0] for k, v in parse_qs(urlsplit(first.url).query).items()}
    challenge = b64(hashlib.sha256(first.code_verifier.encode()).digest())
    assert first.url.startswith(f"{ISSUER}/auth?")
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "https://gw.test/auth/callback"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == challenge
    assert (query["state"], query["nonce"]) == (first.state, first.nonce)
    assert "code_verifier" not in query
    assert len({first.state, first.nonce, second.state, second.nonce}) == 4
    assert len(first.code_verifier) >= 43


def token_body(**changes: Any) -> dict[str, Any]:
    body = {
        "access_token": "access-1",
        "token_type": "Bearer",
        "expires_in": 60,
        "refresh_token": "refresh-1",
        "id_token": sign(claims()),
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def test_login_exchanges_the_code_with_the_verifier(
    client: OIDCClient, provider: Provider
) -> None:
    provider.token_body = token_body()
    params = {"code": "c-1", "state": "s", "iss": ISSUER}
    tokens = await client.complete_login(params, nonce="n-1", code_verifier="v" * 43)
    assert (tokens.access_token, tokens.refresh_token) == ("access-1", "refresh-1")
    assert tokens.claims["sub"] == "user-1"
    assert 55 < tokens.expires_at - time.time() <= 60
    sent = provider.token_requests[0]
    form = parse_qs(sent.content.decode())
    assert form["grant_type"] == ["authorization_code"]
    assert form["code_verifier"] == ["v" * 43]
    assert "client_secret" not in form
    basic = base64.b64decode(sent.headers["authorization"].removeprefix("Basic ")).decode()
    assert basic == "tandem-gateway:s3cret%3Awith%2Fodd%20chars"  # RFC 6749 §2.3.1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"code": "c", "iss": "https://evil.test"}, "another issuer"),
        ({"code": "c"}, "lacks the issuer"),
        ({"error": "access_denied", "iss": ISSUER}, "refused the login: access_denied"),
        ({"error": "<script>", "iss": ISSUER}, "refused the login: error"),
        ({"iss": ISSUER}, "no code"),
    ],
)
async def test_a_bad_authorization_response_is_refused(
    client: OIDCClient, params: dict[str, str], message: str
) -> None:
    with pytest.raises(LoginError) as refused:
        await client.complete_login(params, nonce="n-1", code_verifier="v" * 43)
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant"}),
        (200, token_body(id_token=None)),
        (200, token_body(id_token=sign(claims(nonce="replayed")))),
    ],
)
async def test_a_bad_token_response_is_refused(
    client: OIDCClient, provider: Provider, status: int, body: dict[str, Any]
) -> None:
    provider.token_status, provider.token_body = status, body
    with pytest.raises(LoginError):
        await client.complete_login(
            {"code": "c", "iss": ISSUER}, nonce="n-1", code_verifier="v" * 43
        )


async def test_discovery_for_another_issuer_is_refused(provider: Provider) -> None:
    provider.discovery["issuer"] = "https://evil.test"
    http = httpx.AsyncClient(transport=httpx.MockTransport(provider.handle))
    settings = OIDCSettings(ISSUER, CLIENT_ID, "https://gw.test/cb", client_secret="s")
    with pytest.raises(ProviderError) as refused:
        await OIDCClient(settings, http=http).metadata()
    assert refused.value.code == "IDP_UNAVAILABLE"
    await http.aclose()


async def test_symmetric_or_no_signatures_are_never_accepted(client: OIDCClient) -> None:
    metadata = await client.metadata()
    assert metadata.id_token_algorithms == ("RS256",)  # HS256 and none were offered


async def test_refresh_keeps_the_subject(client: OIDCClient, provider: Provider) -> None:
    previous = claims()
    provider.token_body = token_body(id_token=sign(claims(nonce=None)), refresh_token=None)
    tokens = await client.refresh("refresh-0", previous)
    assert tokens.refresh_token == "refresh-0"  # not rotated: the old one stays
    provider.token_body = token_body(id_token=sign(claims(sub="user-2", nonce=None)))
    with pytest.raises(TokenRejected):
        await client.refresh("refresh-0", previous)
    provider.token_status, provider.token_body = 400, {"error": "invalid_grant"}
    with pytest.raises(TokenRejected) as refused:
        await client.refresh("refresh-0", previous)
    assert refused.value.status == 401


async def test_userinfo_must_be_about_the_same_subject(
    client: OIDCClient, provider: Provider
) -> None:
    assert (await client.userinfo("access-1", "user-1"))["sub"] == "user-1"
    with pytest.raises(TokenRejected):
        await client.userinfo("access-1", "user-2")


async def test_the_logout_url_carries_the_id_token_hint(client: OIDCClient) -> None:
    url = await client.logout_url("the-id-token")
    assert url is not None and url.startswith(f"{ISSUER}/session/end?")
    query = parse_qs(urlsplit(url).query)
    assert query["id_token_hint"] == ["the-id-token"]
    assert query["post_logout_redirect_uri"] == ["https://gw.test/"]
    assert query["client_id"] == [CLIENT_ID]


def logout_claims(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "exp": int(time.time()) + 120,
        "jti": uuid.uuid4().hex,
        "sid": "sid-1",
        "sub": "user-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


class Seen:
    def __init__(self) -> None:
        self.keys: set[str] = set()

    async def __call__(self, key: str, ttl: int) -> bool:
        assert ttl >= 600
        fresh = key not in self.keys
        self.keys.add(key)
        return fresh


async def test_a_valid_logout_token_names_its_session(client: OIDCClient) -> None:
    token = await client.validate_logout_token(
        sign(logout_claims(), typ="logout+jwt"), first_use=Seen()
    )
    assert (token.sid, token.sub, token.issuer) == ("sid-1", "user-1", ISSUER)
    by_subject = await client.validate_logout_token(sign(logout_claims(sid=None)), first_use=Seen())
    assert (by_subject.sid, by_subject.sub) == (None, "user-1")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(sign(logout_claims(events=None)), id="no-events"),
        pytest.param(sign(logout_claims(events={"other": {}})), id="another-event"),
        pytest.param(sign(logout_claims(events={BACKCHANNEL_LOGOUT_EVENT: 1})), id="not-object"),
        pytest.param(sign(logout_claims(nonce="n-1")), id="has-a-nonce"),
        pytest.param(sign(logout_claims(sid=None, sub=None)), id="neither-sid-nor-sub"),
        pytest.param(sign(logout_claims(aud="someone-else")), id="wrong-audience"),
        pytest.param(sign(logout_claims(iss="https://evil.test")), id="wrong-issuer"),
        pytest.param(sign(logout_claims(jti=None)), id="no-jti"),
        pytest.param(sign(logout_claims(iat=None)), id="no-iat"),
        pytest.param(sign(logout_claims(iat=int(time.time()) - 3600, exp=None)), id="too-old"),
        pytest.param(sign(logout_claims(exp=int(time.time()) - 60)), id="expired"),
        pytest.param(sign(logout_claims(), typ="JWT+other"), id="wrong-type"),
        pytest.param(unsigned(logout_claims()), id="alg-none"),
        pytest.param(sign(logout_claims(), OTHER_KEY), id="another-key"),
        pytest.param(sign(claims()), id="an-id-token"),
    ],
)
async def test_a_bad_logout_token_is_refused(client: OIDCClient, token: str) -> None:
    with pytest.raises(LogoutTokenError) as refused:
        await client.validate_logout_token(token, first_use=Seen())
    assert (refused.value.code, refused.value.status) == ("LOGOUT_TOKEN_INVALID", 400)


async def test_a_replayed_logout_token_is_refused(client: OIDCClient) -> None:
    seen = Seen()
    token = sign(logout_claims())
    await client.validate_logout_token(token, first_use=seen)
    with pytest.raises(LogoutTokenError) as refused:
        await client.validate_logout_token(token, first_use=seen)
    assert "already used" in refused.value.message
