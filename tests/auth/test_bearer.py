"""Bearer tokens against a small OpenID provider on loopback: attacks, rotation, introspection.

The provider is a real HTTP server in a thread (``http.server``) serving, per issuer path,
a discovery document, a JWK Set that a test may change, and an RFC 7662 introspection
endpoint that checks the gateway's client credentials. Key-set refreshes are counted on the
server, so "exactly one refresh" is what the provider saw.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey, RSAKey

from gateway.auth.bearer import (
    AuthenticationError,
    AuthenticationUnavailable,
    BearerAuthenticator,
)
from gateway.auth.providers import (
    ClaimMapping,
    IntegratorClient,
    IntrospectionSettings,
    ProviderSettings,
)
from gateway.errors import TandemError

pytestmark = pytest.mark.anyio

AUDIENCE = "tandem-api"
INTROSPECTION_ID, INTROSPECTION_SECRET = "tandem-gateway", "s3cret:with/odd chars"
TLS = ssl.create_default_context()  # built once: each client would otherwise load the CAs


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# -- keys and tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str
    private_pem: bytes
    public_pem: bytes
    jwk: dict[str, Any]
    signer: Any  # the cryptography private key: parsing a PEM costs more than signing


def make_key(kid: str, algorithm: str = "RS256") -> Key:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm.startswith("ES"):
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_type = ECKey if algorithm.startswith("ES") else RSAKey
    public_jwk = key_type.import_key(public).as_dict(private=False)
    return Key(kid, algorithm, pem, public, {**public_jwk, "kid": kid, "use": "sig"}, private)


@pytest.fixture(scope="module")
def keys() -> dict[str, Key]:
    """``a1``/``b1``: provider one's current and next key; ``c1``: provider two's; ``e1``: an
    EC key of provider one; ``x1``: an attacker's."""
    return {
        "a1": make_key("a1"),
        "b1": make_key("b1"),
        "c1": make_key("c1"),
        "e1": make_key("e1", "ES256"),
        "x1": make_key("x1"),
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "u-1001",
        "name": "Lin Wei",
        "roles": ["employee", "approver"],
        "department": "D-FIN",
        "azp": "tandem-web",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


_HASHES = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def signature(key: Key, algorithm: str, data: bytes) -> bytes:
    """An RS* or ES256 signature made with ``cryptography`` (no JOSE library in the test)."""
    if isinstance(key.signer, rsa.RSAPrivateKey):
        return key.signer.sign(data, padding.PKCS1v15(), _HASHES[algorithm[2:]])
    r, s = decode_dss_signature(key.signer.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def mint(key: Key, claims: dict[str, Any], algorithm: str | None = None, **headers: Any) -> str:
    alg = algorithm or key.algorithm
    header = {"alg": alg, "typ": "JWT", "kid": key.kid, **headers}
    return forge(header, claims, lambda data: signature(key, alg, data))


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A compact JWS with any header; ``sign(signing_input) -> bytes`` or no signature."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = b"" if sign is None else sign(signing_input.encode())
    return f"{signing_input}.{b64(signature)}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


# -- the provider on loopback ----------------------------------------------------------------


@dataclass
class Realm:
    """What one issuer path serves, and what it has seen."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    active: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache_control: str | None = None
    discovered_issuer: str | None = None
    jwks_hits: int = 0
    introspection_hits: int = 0
    advertises_introspection: bool = True
    openid: bool = True  # False: no OpenID discovery, only RFC 8414 metadata
    userinfo: dict[str, dict[str, Any]] = field(default_factory=dict)


class IdP:
    """Discovery, JWKS and introspection for several issuers under one loopback server."""

    def __init__(self) -> None:
        self.realms: dict[str, Realm] = {}
        self.delay = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,))

    def issuer(self, name: str) -> str:
        self.realms.setdefault(name, Realm())
        return f"{self.base}/{name}"

    def serve_keys(self, name: str, *keys: Key) -> None:
        self.realms.setdefault(name, Realm()).keys = [key.jwk for key in keys]

    def respond(self, path: str, body: bytes | None) -> tuple[int, dict[str, Any] | None, Realm]:
        name, _, rest = path.lstrip("/").partition("/")
        realm = self.realms.get(name)
        if realm is None:
            return 404, None, Realm()
        issuer = f"{self.base}/{name}"
        metadata = ".well-known/openid-configuration" if realm.openid else (
            ".well-known/oauth-authorization-server"
        )
        if rest == metadata and body is None:
            document = {
                "issuer": realm.discovered_issuer or issuer,
                "jwks_uri": f"{issuer}/jwks",
            }
            if realm.advertises_introspection:
                document["introspection_endpoint"] = f"{issuer}/introspect"
            document["userinfo_endpoint"] = f"{issuer}/userinfo"
            return 200, document, realm
        if rest == "jwks" and body is None:
            realm.jwks_hits += 1
            time.sleep(self.delay)
            return 200, {"keys": list(realm.keys)}, realm
        if rest == "introspect" and body is not None:
            realm.introspection_hits += 1
            time.sleep(self.delay)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("token_type_hint") != "access_token":
                return 400, {"error": "invalid_request"}, realm
            return 200, realm.active.get(form.get("token", ""), {"active": False}), realm
        return 404, None, realm


def _handler(idp: IdP) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(b"tandem-gateway:s3cret%3Awith%2Fodd+chars").decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name, _, rest = self.path.lstrip("/").partition("/")
            if rest == "userinfo":  # OpenID Connect Core 1.0 5.3, for the bearer token sent
                realm = idp.realms.get(name)
                token = (self.headers.get("authorization") or "").removeprefix("Bearer ")
                claims = realm.userinfo.get(token) if realm is not None else None
                self._answer(200 if claims else 401, claims or {"error": "invalid_token"}, None)
                return
            self._answer(*idp.respond(self.path, None))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.headers.get("authorization") != expected:
                self._answer(401, {"error": "invalid_client"}, None)
                return
            self._answer(*idp.respond(self.path, body))

        def _answer(
            self, status: int, document: dict[str, Any] | None, realm: Realm | None
        ) -> None:
            payload = json.dumps(document).encode() if document is not None else b""
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            if realm is not None and realm.cache_control is not None:
                self.send_header("cache-control", realm.cache_control)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def idp(keys: dict[str, Key]) -> Iterator[IdP]:
    provider = IdP()
    provider.serve_keys("one", keys["a1"], keys["e1"])
    provider.serve_keys("two", keys["c1"])
    provider.issuer("three")
    provider.thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()
        provider.thread.join()


class Clock:
    """A clock the test moves; starts at the real time."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, verify=TLS) as client:
        yield client


def provider_one(idp: IdP, **overrides: Any) -> ProviderSettings:
    settings: dict[str, Any] = {
        "issuer": idp.issuer("one"),
        "audiences": (AUDIENCE, "tandem-reports"),
        "algorithms": ("RS256", "ES256"),
        "clients": {
            "reporting-bot": IntegratorClient(
                subject="svc:reporting", rate_limit_per_minute=600, trusted_documents="rep-v3"
            )
        },
        "require_listed_clients": True,
    }
    return ProviderSettings(**{**settings, **overrides})


def provider_two(idp: IdP) -> ProviderSettings:
    return ProviderSettings(
        issuer=idp.issuer("two"),
        audiences=(AUDIENCE,),
        algorithms=("RS256",),
        claims=ClaimMapping(roles="realm_access.roles", department="org.department"),
    )


def provider_three(idp: IdP, secret: str = INTROSPECTION_SECRET) -> ProviderSettings:
    introspection = IntrospectionSettings(client_id=INTROSPECTION_ID, client_secret=secret)
    return ProviderSettings(
        issuer=idp.issuer("three"), audiences=(AUDIENCE,), leeway=0, introspection=introspection
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(idp: IdP, http: httpx.AsyncClient, clock: Clock) -> BearerAuthenticator:
    return BearerAuthenticator([provider_one(idp), provider_two(idp)], http, clock=clock)


async def refused(auth: BearerAuthenticator, header: str | None) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await auth.authenticate(header)
    error = caught.value
    assert (error.status, error.code) == (401, "UNAUTHENTICATED")
    assert error.to_graphql()["extensions"] == {"code": "UNAUTHENTICATED"}
    token = (header or "").removeprefix("Bearer ")
    if len(token) > 8:
        assert token not in str(error) and token not in error.www_authenticate
    return error


# -- valid tokens ----------------------------------------------------------------------------


async def test_a_valid_token_names_the_principal(auth: BearerAuthenticator, idp: IdP, keys):
    principal = await auth.authenticate(bearer(mint(keys["a1"], claims_for(idp.issuer("one")))))
    assert principal.subject == "u-1001"
    assert principal.name == "Lin Wei"
    assert principal.roles == ("employee", "approver")
    assert principal.department == "D-FIN"
    assert principal.client_id == "tandem-web"


async def test_an_es256_token_with_its_ec_key_is_accepted(auth, idp: IdP, keys):
    token = mint(keys["e1"], claims_for(idp.issuer("one"), aud=["other", "tandem-reports"]))
    assert (await auth.authenticate(f"bearer   {token}")).subject == "u-1001"


async def test_leeway_allows_small_clock_skew(auth, idp: IdP, keys):
    now = int(time.time())
    late = claims_for(idp.issuer("one"), exp=now - 10, iat=now - 310)
    early = claims_for(idp.issuer("one"), nbf=now + 10)
    for claims in (late, early):
        assert (await auth.authenticate(bearer(mint(keys["a1"], claims)))).subject == "u-1001"


async def test_the_identity_carries_issuer_client_and_expiry(auth, idp: IdP, keys):
    claims = claims_for(idp.issuer("one"), sub="reporting-bot", client_id="reporting-bot")
    claims.pop("name")
    identity = await auth.identify(bearer(mint(keys["a1"], claims)))
    assert identity.principal.subject == "svc:reporting"
    assert identity.principal.name == "svc:reporting"
    assert identity.principal.client_id == "reporting-bot"
    assert identity.issuer == idp.issuer("one")
    assert identity.client == IntegratorClient(
        subject="svc:reporting", rate_limit_per_minute=600, trusted_documents="rep-v3"
    )
    assert identity.expires_at == claims["exp"]


async def test_a_client_credentials_token_without_sub_maps_to_its_subject(auth, idp, keys):
    claims = claims_for(idp.issuer("one"), sub=None, azp=None, client_id="reporting-bot")
    principal = await auth.authenticate(bearer(mint(keys["a1"], claims)))
    assert (principal.subject, principal.client_id) == ("svc:reporting", "reporting-bot")


async def test_a_user_token_through_an_integrator_keeps_the_user(auth, idp: IdP, keys):
    claims = claims_for(idp.issuer("one"), client_id="reporting-bot")
    identity = await auth.identify(bearer(mint(keys["a1"], claims)))
    assert (identity.principal.subject, identity.principal.client_id) == ("u-1001", "reporting-bot")
    assert identity.client is not None


async def test_an_unlisted_client_acts_as_itself_where_listing_is_not_required(auth, idp, keys):
    claims = claims_for(idp.issuer("two"), sub="etl-job", azp="etl-job", name=None)
    principal = await auth.authenticate(bearer(mint(keys["c1"], claims)))
    assert (principal.subject, principal.name, principal.client_id) == ("etl-job",) * 3


async def test_claims_are_read_through_the_configured_mapping(auth, idp: IdP, keys):
    claims = claims_for(
        idp.issuer("two"),
        roles=None,
        department=None,
        name=None,
        preferred_username="lin.wei",
        realm_access={"roles": ["finance", "finance", "approver"]},
        org={"department": "D-OPS"},
    )
    principal = await auth.authenticate(bearer(mint(keys["c1"], claims)))
    assert principal.roles == ("finance", "approver")
    assert principal.department == "D-OPS"
    assert principal.name == "lin.wei"


# -- attacks and mistakes: each refused with 401 UNAUTHENTICATED -----------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing bearer token"),
        ("", "missing bearer token"),
        ("Basic dXNlcjpwYXNz", "malformed authorization header"),
        ("Bearer", "malformed authorization header"),
        ("Bearer two tokens", "malformed authorization header"),
        ("Bearer not.a.jwt", "malformed token"),
        ("Bearer opaque-token", "malformed token"),
        ("Bearer " + "a" * 20_000, "token too large"),
    ],
)
async def test_missing_or_malformed_headers(auth, header: str | None, reason: str) -> None:
    error = await refused(auth, header)
    assert error.reason == reason
    assert error.www_authenticate.startswith('Bearer realm="tandem"')
    assert ("error=" in error.www_authenticate) is (header not in (None, ""))


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
async def test_alg_none_is_refused(auth, idp: IdP, alg: str) -> None:
    token = forge({"alg": alg, "typ": "JWT"}, claims_for(idp.issuer("one")))
    assert (await refused(auth, bearer(token))).reason in (
        "algorithm not allowed",
        "malformed token",
    )


async def test_hs256_signed_with_the_providers_public_key_is_refused(auth, idp, keys):
    """The key-confusion attack: the public key (PEM, or the JWK) used as an HMAC secret."""
    public = keys["a1"]
    for secret in (public.public_pem, json.dumps(public.jwk).encode(), public.jwk["n"].encode()):
        token = forge(
            {"alg": "HS256", "typ": "JWT", "kid": "a1"},
            claims_for(idp.issuer("one")),
            lambda data, secret=secret: hmac.new(secret, data, hashlib.sha256).digest(),
        )
        assert (await refused(auth, bearer(token))).reason == "algorithm not allowed"


async def test_an_algorithm_outside_the_providers_allow_list_is_refused(auth, idp, keys):
    es_for_two = mint(keys["e1"], claims_for(idp.issuer("two")))  # two allows RS256 only
    rs384 = mint(keys["c1"], claims_for(idp.issuer("two")), "RS384")
    for token in (es_for_two, rs384):
        assert (await refused(auth, bearer(token))).reason == "algorithm not allowed"


async def test_an_algorithm_that_does_not_fit_the_key_is_refused(auth, idp: IdP, keys):
    token = mint(keys["a1"], claims_for(idp.issuer("one")), kid="e1")  # RS256 with an EC kid
    assert (await refused(auth, bearer(token))).reason == "unknown signing key"


async def test_a_token_signed_by_another_key_is_refused(auth, idp: IdP, keys):
    stolen_kid = mint(keys["x1"], claims_for(idp.issuer("one")), kid="a1")
    assert (await refused(auth, bearer(stolen_kid))).reason == "invalid signature"
    own_kid = mint(keys["x1"], claims_for(idp.issuer("one")))
    assert (await refused(auth, bearer(own_kid))).reason == "unknown signing key"
    embedded = mint(keys["x1"], claims_for(idp.issuer("one")), jwk=keys["x1"].jwk)
    assert (await refused(auth, bearer(embedded))).reason == "unknown signing key"
    tampered = mint(keys["a1"], claims_for(idp.issuer("one"))).split(".")
    tampered[1] = b64(json.dumps(claims_for(idp.issuer("one"), roles=["admin"])).encode())
    assert (await refused(auth, bearer(".".join(tampered)))).reason == "invalid signature"


async def test_expired_and_not_yet_valid_tokens_are_refused(auth, idp: IdP, keys):
    now = int(time.time())
    expired = claims_for(idp.issuer("one"), exp=now - 60, iat=now - 400)
    future = claims_for(idp.issuer("one"), nbf=now + 120)
    assert (await refused(auth, bearer(mint(keys["a1"], expired)))).reason == "token expired"
    assert (await refused(auth, bearer(mint(keys["a1"], future)))).reason == "token not yet valid"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": None}, "invalid claims: exp"),
        ({"exp": "9999999999"}, "invalid claims: exp"),
        ({"sub": 42}, "invalid claims"),
        ({"client_id": 42}, "invalid claims: sub/client_id"),
        ({"roles": [1, 2]}, "invalid claims: roles"),
        ({"department": ["D-FIN"]}, "invalid claims: department"),
    ],
)
async def test_malformed_claims_are_refused(auth, idp: IdP, keys, overrides, reason):
    token = mint(keys["a1"], claims_for(idp.issuer("one"), **overrides))
    assert (await refused(auth, bearer(token))).reason == reason


@pytest.mark.parametrize("audience", ["other-api", ["other-api"], None, [AUDIENCE, 7]])
async def test_a_wrong_audience_is_refused(auth, idp: IdP, keys, audience: Any) -> None:
    token = mint(keys["a1"], claims_for(idp.issuer("one"), aud=audience))
    assert (await refused(auth, bearer(token))).reason == "invalid audience"


async def test_a_wrong_issuer_is_refused(auth, idp: IdP, keys):
    for issuer in ("https://evil.example", idp.issuer("one") + "/", None, 7):
        token = mint(keys["a1"], claims_for(idp.issuer("one"), iss=issuer))
        assert (await refused(auth, bearer(token))).reason == "unknown issuer"


async def test_one_providers_key_does_not_vouch_for_another(auth, idp: IdP, keys):
    """Provider two's ``iss`` with provider one's key: two's key set has no such key."""
    token = mint(keys["a1"], claims_for(idp.issuer("two")))
    assert (await refused(auth, bearer(token))).reason == "unknown signing key"


async def test_an_unlisted_integrator_is_refused_where_listing_is_required(auth, idp, keys):
    claims = claims_for(idp.issuer("one"), sub="scraper", client_id="scraper")
    assert (await refused(auth, bearer(mint(keys["a1"], claims)))).reason == "unknown client"
    gty = claims_for(idp.issuer("one"), sub="x@clients", azp="scraper", gty="client-credentials")
    assert (await refused(auth, bearer(mint(keys["a1"], gty)))).reason == "unknown client"


async def test_critical_headers_are_refused(auth, idp: IdP, keys):
    token = mint(keys["a1"], claims_for(idp.issuer("one")), crit=["exp"])
    assert (await refused(auth, bearer(token))).reason == "critical header not supported"


# -- key rotation and the refresh rate limit -------------------------------------------------


async def test_a_new_key_is_accepted_after_exactly_one_refresh(auth, idp: IdP, keys):
    one = idp.issuer("one")
    await auth.authenticate(bearer(mint(keys["a1"], claims_for(one))))
    assert idp.realms["one"].jwks_hits == 1
    idp.serve_keys("one", keys["a1"], keys["b1"])
    for _ in range(3):
        assert (await auth.authenticate(bearer(mint(keys["b1"], claims_for(one))))).subject
    assert idp.realms["one"].jwks_hits == 2
    assert auth.jwks(one).requests == 2


async def test_concurrent_requests_with_a_new_key_share_one_refresh(auth, idp: IdP, keys):
    one = idp.issuer("one")
    await auth.authenticate(bearer(mint(keys["a1"], claims_for(one))))
    idp.serve_keys("one", keys["b1"])
    idp.delay = 0.05
    tokens = [bearer(mint(keys["b1"], claims_for(one, sub=f"u-{i}"))) for i in range(20)]
    principals = await asyncio.gather(*(auth.authenticate(token) for token in tokens))
    assert [p.subject for p in principals] == [f"u-{i}" for i in range(20)]
    assert idp.realms["one"].jwks_hits == 2


async def test_a_flood_of_unknown_kids_refreshes_at_most_once_per_interval(
    auth, idp: IdP, keys, clock: Clock
):
    one = idp.issuer("one")
    await auth.authenticate(bearer(mint(keys["a1"], claims_for(one))))

    def random_kid() -> str:
        return bearer(mint(keys["x1"], claims_for(one), kid=uuid.uuid4().hex))

    idp.delay = 0.02
    flood = [auth.authenticate(random_kid()) for _ in range(50)]
    results = await asyncio.gather(*flood, return_exceptions=True)
    assert all(isinstance(r, AuthenticationError) for r in results)
    for _ in range(50):
        await refused(auth, random_kid())
    assert idp.realms["one"].jwks_hits == 2

    idp.serve_keys("one", keys["a1"], keys["b1"])  # a real rotation inside the interval waits
    await refused(auth, bearer(mint(keys["b1"], claims_for(one))))
    clock.now += 29
    await refused(auth, random_kid())
    assert idp.realms["one"].jwks_hits == 2
    clock.now += 2
    assert await auth.authenticate(bearer(mint(keys["b1"], claims_for(one))))
    assert idp.realms["one"].jwks_hits == 3
    for _ in range(20):
        await refused(auth, random_kid())
    assert idp.realms["one"].jwks_hits == 3


async def test_the_key_set_expires_by_max_age(idp: IdP, http, keys, clock: Clock):
    idp.realms["one"].cache_control = "public, max-age=120"
    auth = BearerAuthenticator([provider_one(idp)], http, clock=clock)
    token = bearer(mint(keys["a1"], claims_for(idp.issuer("one"))))
    await auth.authenticate(token)
    clock.now += 119
    await auth.authenticate(token)
    assert idp.realms["one"].jwks_hits == 1
    clock.now += 2
    await auth.authenticate(token)
    assert idp.realms["one"].jwks_hits == 2


async def test_a_removed_key_stops_working_once_the_key_set_expires(idp, http, keys, clock):
    auth = BearerAuthenticator([provider_one(idp, jwks_cache_seconds=60)], http, clock=clock)
    token = bearer(mint(keys["a1"], claims_for(idp.issuer("one"))))
    await auth.authenticate(token)
    idp.serve_keys("one", keys["b1"])
    clock.now += 61
    assert (await refused(auth, token)).reason == "unknown signing key"


# -- the provider unreachable or lying: 503, not 401 -----------------------------------------


async def test_an_unreachable_provider_is_unavailable_not_unauthenticated(http, keys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}/gone"
    auth = BearerAuthenticator([ProviderSettings(issuer=issuer, audiences=(AUDIENCE,))], http)
    with pytest.raises(AuthenticationUnavailable) as caught:
        await auth.authenticate(bearer(mint(keys["a1"], claims_for(issuer))))
    assert (caught.value.status, caught.value.code) == (503, "AUTHENTICATION_UNAVAILABLE")


async def test_a_discovery_document_for_another_issuer_is_not_used(idp: IdP, http, keys):
    idp.realms["one"].discovered_issuer = "https://evil.example"
    auth = BearerAuthenticator([provider_one(idp)], http)
    with pytest.raises(AuthenticationUnavailable):
        await auth.authenticate(bearer(mint(keys["a1"], claims_for(idp.issuer("one")))))
    assert idp.realms["one"].jwks_hits == 0


# -- opaque tokens: introspection (RFC 7662) -------------------------------------------------


def introspected(idp: IdP, **overrides: Any) -> dict[str, Any]:
    answer = {
        "active": True,
        "iss": idp.issuer("three"),
        "aud": AUDIENCE,
        "sub": "u-2002",
        "username": "zhang.min",
        "client_id": "reporting-bot",
        "token_type": "Bearer",
        "roles": "auditor viewer",
        "exp": int(time.time()) + 300,
    }
    answer.update(overrides)
    return {name: value for name, value in answer.items() if value is not None}


@pytest.fixture
def opaque(idp: IdP, http, clock: Clock) -> BearerAuthenticator:
    return BearerAuthenticator([provider_one(idp), provider_three(idp)], http, clock=clock)


async def test_an_active_opaque_token_is_accepted_and_cached(opaque, idp: IdP):
    idp.realms["three"].active["op-good"] = introspected(idp)
    for _ in range(3):
        identity = await opaque.identify("Bearer op-good")
        assert identity.principal.subject == "u-2002"
        assert identity.principal.name == "zhang.min"
        assert identity.principal.roles == ("auditor", "viewer")
        assert identity.principal.client_id == "reporting-bot"
        assert identity.issuer == idp.issuer("three")
    assert idp.realms["three"].introspection_hits == 1


async def test_concurrent_introspections_of_one_token_share_one_call(opaque, idp: IdP):
    idp.realms["three"].active["op-good"] = introspected(idp)
    idp.delay = 0.05
    await asyncio.gather(*(opaque.authenticate("Bearer op-good") for _ in range(10)))
    assert idp.realms["three"].introspection_hits == 1


async def test_an_inactive_opaque_token_is_refused_and_not_cached(opaque, idp: IdP):
    for _ in range(2):
        assert (await refused(opaque, "Bearer op-unknown")).reason == "token inactive"
    assert idp.realms["three"].introspection_hits == 2


async def test_a_cached_opaque_token_is_never_used_past_its_expiry(opaque, idp, clock):
    idp.realms["three"].active["op-short"] = introspected(idp, exp=int(clock.now) + 5)
    await opaque.authenticate("Bearer op-short")
    clock.now += 3
    await opaque.authenticate("Bearer op-short")
    assert idp.realms["three"].introspection_hits == 1
    clock.now += 3
    assert (await refused(opaque, "Bearer op-short")).reason == "token expired"
    assert idp.realms["three"].introspection_hits == 2


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "other-api"}, "invalid audience"),
        ({"aud": None}, "invalid audience"),
        ({"iss": "https://evil.example"}, "invalid issuer"),
        ({"token_type": "refresh_token"}, "token type not accepted"),
        ({"exp": 1}, "token expired"),
        ({"nbf": 4_102_444_800}, "token not yet valid"),
        ({"active": "true"}, "token inactive"),
    ],
)
async def test_unacceptable_introspection_answers_are_refused(opaque, idp, overrides, reason):
    idp.realms["three"].active["op-bad"] = introspected(idp, **overrides)
    assert (await refused(opaque, "Bearer op-bad")).reason == reason


async def test_wrong_introspection_credentials_make_the_provider_unavailable(idp, http):
    auth = BearerAuthenticator([provider_three(idp, secret="wrong")], http)
    idp.realms["three"].active["op-good"] = introspected(idp)
    with pytest.raises(AuthenticationUnavailable):
        await auth.authenticate("Bearer op-good")


async def test_jwts_still_go_to_their_provider_when_introspection_is_configured(opaque, idp, keys):
    token = mint(keys["a1"], claims_for(idp.issuer("one")))
    assert (await opaque.authenticate(bearer(token))).subject == "u-1001"
    forged = forge({"alg": "none"}, claims_for(idp.issuer("one")))
    assert (await refused(opaque, bearer(forged))).reason == "algorithm not allowed"
    assert idp.realms["three"].introspection_hits == 0


async def test_no_introspection_endpoint_anywhere_is_a_start_up_error(idp: IdP, http):
    """Neither the settings, the discovery document nor RFC 8414 metadata name one."""
    issuer = idp.issuer("four")
    idp.realms["four"].advertises_introspection = False
    secret = IntrospectionSettings(client_id=INTROSPECTION_ID, client_secret=INTROSPECTION_SECRET)
    provider = ProviderSettings(issuer=issuer, audiences=(AUDIENCE,), introspection=secret)
    with pytest.raises(TandemError, match="name an introspection endpoint") as caught:
        await BearerAuthenticator([provider], http).check_endpoints()
    assert caught.value.code == "INVALID_SETTINGS" and issuer in caught.value.message
    configured = IntrospectionSettings(
        client_id=INTROSPECTION_ID, client_secret=INTROSPECTION_SECRET, endpoint=f"{issuer}/x"
    )
    given = ProviderSettings(issuer=issuer, audiences=(AUDIENCE,), introspection=configured)
    await BearerAuthenticator([given], http).check_endpoints()  # configured: fine


def test_the_gateway_does_not_start_without_an_introspection_endpoint(idp: IdP) -> None:
    """Built like ``tandem serve`` builds it: start-up fails, naming the provider."""
    from gateway.http.factory import build_app
    from gateway.settings import Settings

    issuer = idp.issuer("five")
    idp.realms["five"].advertises_introspection = False
    supergraph = Path(__file__).resolve().parents[2] / "subgraphs" / "supergraph.graphql"
    settings = Settings(
        supergraph=supergraph,
        bearer_issuer=issuer,
        bearer_audiences=(AUDIENCE,),
        bearer_introspection_client_id=INTROSPECTION_ID,
        bearer_introspection_client_secret=INTROSPECTION_SECRET,
    )
    app = build_app(settings)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    with pytest.raises(TandemError, match="name an introspection endpoint"):
        asyncio.run(start())


def provider_three_by_employee_id(idp: IdP, *, userinfo: bool) -> ProviderSettings:
    introspection = IntrospectionSettings(
        client_id=INTROSPECTION_ID, client_secret=INTROSPECTION_SECRET, userinfo=userinfo
    )
    return ProviderSettings(
        issuer=idp.issuer("three"),
        audiences=(AUDIENCE,),
        introspection=introspection,
        claims=ClaimMapping(subject="employee_id", roles=("roles",)),
    )


async def test_a_users_answer_without_the_subject_is_completed_from_userinfo(idp: IdP, http):
    """The answer names ``username`` but not the subject claim: userinfo, asked with the
    token, gives it; without userinfo (or when userinfo refuses) the token is refused, never
    taken for its client."""
    realm = idp.realms["three"]
    realm.active["op-user"] = introspected(idp, sub=None)
    realm.userinfo["op-user"] = {"sub": "u-2002", "employee_id": "E2002", "name": "Zhang Min"}
    completed = BearerAuthenticator([provider_three_by_employee_id(idp, userinfo=True)], http)
    principal = (await completed.identify("Bearer op-user")).principal
    assert (principal.subject, principal.name) == ("E2002", "Zhang Min")
    assert principal.roles == ("auditor", "viewer") and principal.client_id == "reporting-bot"

    plain = BearerAuthenticator([provider_three_by_employee_id(idp, userinfo=False)], http)
    assert (await refused(plain, "Bearer op-user")).reason == "invalid claims: sub"

    realm.active["op-gone"] = introspected(idp, sub=None)  # userinfo does not know it
    assert (await refused(completed, "Bearer op-gone")).reason == "token inactive"


async def test_a_plain_oauth2_server_is_read_from_its_rfc_8414_metadata(idp: IdP, http, keys):
    """No OpenID discovery document: keys and the introspection endpoint come from the
    authorization server metadata (RFC 8414 section 3)."""
    realm = idp.realms.setdefault("six", Realm())
    realm.openid = False
    realm.keys = [keys["a1"].jwk]
    issuer = idp.issuer("six")
    introspection = IntrospectionSettings(
        client_id=INTROSPECTION_ID, client_secret=INTROSPECTION_SECRET
    )
    provider = ProviderSettings(issuer=issuer, audiences=(AUDIENCE,), introspection=introspection)
    auth = BearerAuthenticator([provider], http)
    await auth.check_endpoints()
    identity = await auth.identify(bearer(mint(keys["a1"], claims_for(issuer))))
    assert identity.principal.subject == "u-1001"
    realm.active["op-six"] = {**introspected(idp), "iss": issuer}
    assert (await auth.identify("Bearer op-six")).principal.subject == "u-2002"


@pytest.mark.parametrize("shape", ["keycloak", "entra id", "okta", "plain"])
async def test_signed_tokens_shaped_as_real_providers_issue_them_map_to_the_employee(
    idp: IdP, http, keys, shape: str
) -> None:
    """The claim shapes of tests/auth/test_claims.py, as signed access tokens of provider one."""
    from tests.auth.test_claims import SHAPES

    payload, mapping = SHAPES[shape]
    issuer = idp.issuer("one")
    provider = ProviderSettings(issuer=issuer, audiences=(AUDIENCE,), claims=mapping)
    auth = BearerAuthenticator([provider], http)
    claims = {**payload, **claims_for(issuer, sub=payload["sub"], name=None, roles=None,
                                      department=None, azp=None)}  # fmt: skip
    principal = (await auth.identify(bearer(mint(keys["a1"], claims)))).principal
    assert (principal.subject, principal.name, principal.department) == (
        "E1001", "Lin Wei", "D-FIN"
    )
    assert sorted(principal.roles) == ["approver", "employee"]
