"""A real OpenID provider for the SSO tests: panva's ``oidc-provider`` run by Node on loopback.

The session fixture ``oidc_provider`` installs the provider's npm dependencies once (when
``provider/node_modules`` is missing), starts ``provider/server.mjs`` on a free port of
127.0.0.1, waits for its discovery document, and yields an ``OidcProvider``: the issuer,
the clients, the users and their passwords, and helpers for the token endpoint, the
test-only admin endpoints (key rotation, back-channel logout) and dynamic client
registration. The process is stopped by PID at the end of the session.

Override the session fixture ``oidc_provider_settings`` (returning ``ProviderSettings``)
to change users, token lifetimes or the gateway's URIs; ``running_oidc_provider()`` starts
a separate provider for a test that needs its own.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.processes import free_port

__all__ = [
    "GATEWAY_RESOURCE",
    "OIDC_PROVIDER_VERSION",
    "PROVIDER_DIR",
    "AuthorizationRequest",
    "OidcClient",
    "OidcProvider",
    "OidcProviderError",
    "OidcUser",
    "ProviderSettings",
    "TokenError",
    "default_settings",
    "ensure_provider_installed",
    "oidc_provider",
    "oidc_provider_settings",
    "pkce_pair",
    "running_oidc_provider",
]

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
OIDC_PROVIDER_VERSION = "9.13.3"
GATEWAY_RESOURCE = "urn:tandem:gateway"
GATEWAY_RESOURCE_SCOPES = "graphql:read graphql:write"
DEFAULT_SCOPE = "openid profile email groups department"
_INSTALL_LOCK = Path(tempfile.gettempdir()) / "tandem-oidc-provider-npm.lock"


class OidcProviderError(Exception):
    """The provider could not be installed or started."""


class TokenError(Exception):
    """An endpoint answered an OAuth error (``error``, ``error_description``)."""

    def __init__(self, response: httpx.Response) -> None:
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text}
        self.status_code = response.status_code
        self.error: str = body.get("error", "")
        self.description: str = body.get("error_description", "")
        super().__init__(f"{response.status_code} {self.error}: {self.description}")


@dataclass(frozen=True)
class OidcUser:
    """A user of the provider. ``claims`` go into the ID token and userinfo by scope."""

    username: str
    password: str
    sub: str
    claims: Mapping[str, Any]

    def config(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "sub": self.sub,
            "claims": dict(self.claims),
        }


@dataclass(frozen=True)
class OidcClient:
    """A client registered at the provider (``client_secret`` is None for a public client)."""

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")

    @property
    def auth(self) -> httpx.BasicAuth | None:
        """HTTP Basic credentials for the token endpoint (None for a public client)."""
        if self.client_secret is None:
            return None
        return httpx.BasicAuth(self.client_id, self.client_secret)

    def metadata(self) -> dict[str, Any]:
        """oidc-provider client metadata."""
        data: dict[str, Any] = {
            "client_id": self.client_id,
            "grant_types": list(self.grant_types),
            "redirect_uris": list(self.redirect_uris),
            "response_types": ["code"] if "authorization_code" in self.grant_types else [],
        }
        if self.client_secret is None:
            data["token_endpoint_auth_method"] = "none"
        else:
            data["client_secret"] = self.client_secret
            data["token_endpoint_auth_method"] = "client_secret_basic"
        if self.post_logout_redirect_uris:
            data["post_logout_redirect_uris"] = list(self.post_logout_redirect_uris)
        if self.backchannel_logout_uri is not None:
            data["backchannel_logout_uri"] = self.backchannel_logout_uri
            data["backchannel_logout_session_required"] = True
        return data


def _user(username: str, name: str, roles: list[str], department: str) -> OidcUser:
    return OidcUser(
        username=username,
        password=f"{username}-correct-horse-7",
        sub=f"user-{username}",
        claims={
            "name": name,
            "email": f"{username}@tandem.test",
            "email_verified": True,
            "groups": ["staff", department],
            "roles": roles,
            "department": department,
        },
    )


def _default_users() -> tuple[OidcUser, ...]:
    return (
        _user("alice", "Alice Archer", ["employee", "finance"], "finance"),
        _user("bob", "Bob Baker", ["employee", "procurement"], "procurement"),
        _user("carol", "Carol Chen", ["employee", "manager", "hr"], "hr"),
        _user("dave", "Dave Dalton", ["employee", "auditor"], "audit"),
        _user("erin", "Erin Evans", ["employee"], "sales"),
    )


@dataclass(frozen=True)
class ProviderSettings:
    """What the provider is started with. ``gateway_base_url`` fixes the gateway client's URIs."""

    gateway_base_url: str
    users: tuple[OidcUser, ...] = field(default_factory=_default_users)
    access_token_ttl: int = 60
    client_credentials_ttl: int = 60
    id_token_ttl: int = 300
    refresh_token_ttl: int = 24 * 3600
    session_ttl: int = 8 * 3600
    resources: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: {
            GATEWAY_RESOURCE: {
                "scope": GATEWAY_RESOURCE_SCOPES,
                "audience": GATEWAY_RESOURCE,
                "accessTokenFormat": "jwt",
            }
        }
    )
    gateway_client_id: str = "tandem-gateway"
    public_client_id: str = "tandem-spa"
    integrator_client_id: str = "erp-integrator"
    extra_clients: tuple[OidcClient, ...] = ()

    def with_changes(self, **changes: Any) -> ProviderSettings:
        return replace(self, **changes)


def default_settings() -> ProviderSettings:
    """Default users and lifetimes; the gateway client points at a free port of 127.0.0.1."""
    return ProviderSettings(gateway_base_url=f"http://127.0.0.1:{free_port()}")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class AuthorizationRequest:
    """An authorization-code request with PKCE, and what its relying party keeps for later."""

    url: str
    client: OidcClient
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str


class OidcProvider:
    """A running provider: its issuer, clients and users, and helpers to talk to it."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        log: IO[bytes],
        issuer: str,
        settings: ProviderSettings,
        clients: Mapping[str, OidcClient],
        registration_token: str,
    ) -> None:
        self.process = process
        self.log = log
        self.issuer = issuer
        self.settings = settings
        self.registration_token = registration_token
        self.web_client = clients["web"]
        self.public_client = clients["public"]
        self.integrator_client = clients["integrator"]
        self.users = {user.username: user for user in settings.users}
        self.resource = GATEWAY_RESOURCE
        self.discovery: dict[str, Any] = {}

    # -- what it is --------------------------------------------------------------------

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        port = httpx.URL(self.issuer).port
        assert port is not None
        return port

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def endpoint(self, name: str) -> str:
        """A discovery endpoint, e.g. ``endpoint("token")`` is ``token_endpoint``."""
        value = self.discovery[f"{name}_endpoint" if name != "jwks" else "jwks_uri"]
        assert isinstance(value, str)
        return value

    @property
    def token_endpoint(self) -> str:
        return self.endpoint("token")

    @property
    def authorization_endpoint(self) -> str:
        return self.endpoint("authorization")

    @property
    def end_session_endpoint(self) -> str:
        return self.endpoint("end_session")

    @property
    def jwks_uri(self) -> str:
        return self.endpoint("jwks")

    def user(self, username: str) -> OidcUser:
        return self.users[username]

    def output(self) -> str:
        """What the provider process has printed so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    # -- plumbing ----------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        return httpx.Client(timeout=10.0)

    def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        with self._http() as client:
            response = client.request(method, f"{self.issuer}/__test/{path}", json=body)
        if response.status_code >= 400:
            raise OidcProviderError(
                f"{method} /__test/{path}: {response.status_code} {response.text}"
            )
        return response.json()

    def post_as(self, client: OidcClient, url: str, data: Mapping[str, str]) -> httpx.Response:
        """POST a form as ``client``: Basic auth, or ``client_id`` in the form for a public one."""
        form = dict(data)
        if client.client_secret is None:
            form["client_id"] = client.client_id
        auth = client.auth or httpx.USE_CLIENT_DEFAULT
        with self._http() as http:
            return http.post(url, data=form, auth=auth)

    def token_request(self, data: Mapping[str, str], client: OidcClient) -> httpx.Response:
        """POST to the token endpoint as ``client``; the raw response."""
        return self.post_as(client, self.token_endpoint, data)

    def _token(self, data: Mapping[str, str], client: OidcClient) -> dict[str, Any]:
        response = self.token_request(data, client)
        if response.status_code != 200:
            raise TokenError(response)
        body: dict[str, Any] = response.json()
        return body

    # -- keys --------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """The published JSON Web Key Set (fetched now)."""
        with self._http() as client:
            response = client.get(self.jwks_uri)
        response.raise_for_status()
        keys: dict[str, Any] = response.json()
        return keys

    def current_kid(self) -> str:
        """The kid new tokens are signed with (the first published key)."""
        kid: str = self.jwks()["keys"][0]["kid"]
        return kid

    def rotate_keys(self, *, drop_previous: bool = False) -> str:
        """Add a new signing key and sign with it from now on; returns its kid.

        The previous keys stay published (tokens signed with them still verify) unless
        ``drop_previous``. This changes the provider for the rest of the session.
        """
        result = self._admin("POST", "rotate-keys", {"drop_previous": drop_previous})
        kid: str = result["kid"]
        return kid

    # -- tokens ------------------------------------------------------------------------

    def client_credentials_token(
        self,
        resource: str | None = GATEWAY_RESOURCE,
        *,
        scope: str | None = None,
        client: OidcClient | None = None,
    ) -> dict[str, Any]:
        """A client-credentials token response; with ``resource``, ``access_token`` is a JWT
        whose ``aud`` is the resource's audience. Raises ``TokenError``."""
        data = {"grant_type": "client_credentials"}
        if resource is not None:
            data["resource"] = resource
        if scope is not None:
            data["scope"] = scope
        return self._token(data, client or self.integrator_client)

    def authorization_request(
        self,
        client: OidcClient | None = None,
        *,
        redirect_uri: str | None = None,
        scope: str = DEFAULT_SCOPE,
        resource: str | None = None,
        **extra: str,
    ) -> AuthorizationRequest:
        """Build an authorization-code request with PKCE (S256), state and nonce."""
        client = client or self.web_client
        redirect_uri = redirect_uri or client.redirect_uris[0]
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if resource is not None:
            params["resource"] = resource
        params.update(extra)
        url = f"{self.authorization_endpoint}?{urlencode(params)}"
        return AuthorizationRequest(url, client, redirect_uri, state, nonce, verifier)

    def exchange_code(self, request: AuthorizationRequest, callback_url: str) -> dict[str, Any]:
        """Redeem the code of ``callback_url`` (state and iss checked). Raises ``TokenError``."""
        query = dict(httpx.URL(callback_url).params)
        if "error" in query:
            raise AssertionError(f"the provider returned an error to the callback: {query}")
        assert query.get("state") == request.state, "state mismatch"
        assert query.get("iss") == self.issuer, "iss (RFC 9207) mismatch"
        data = {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.code_verifier,
        }
        return self._token(data, request.client)

    def refresh(self, refresh_token: str, client: OidcClient | None = None) -> dict[str, Any]:
        """Redeem a refresh token; it rotates (a new one comes back). Raises ``TokenError``."""
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token(data, client or self.web_client)

    def introspect(self, token: str, client: OidcClient | None = None) -> dict[str, Any]:
        """RFC 7662 introspection, authenticated as ``client`` (the gateway client by default)."""
        client = client or self.web_client
        response = self.post_as(client, self.endpoint("introspection"), {"token": token})
        if response.status_code != 200:
            raise TokenError(response)
        body: dict[str, Any] = response.json()
        return body

    def revoke(self, token: str, client: OidcClient | None = None) -> None:
        """RFC 7009 revocation."""
        client = client or self.web_client
        response = self.post_as(client, self.endpoint("revocation"), {"token": token})
        if response.status_code != 200:
            raise TokenError(response)

    def userinfo(self, access_token: str) -> dict[str, Any]:
        with self._http() as http:
            response = http.get(
                self.endpoint("userinfo"), headers={"authorization": f"Bearer {access_token}"}
            )
        if response.status_code != 200:
            raise TokenError(response)
        body: dict[str, Any] = response.json()
        return body

    def end_session_url(
        self,
        id_token: str,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
    ) -> str:
        """An RP-initiated logout request (give it to ``browser.logout``)."""
        params = {"id_token_hint": id_token}
        if post_logout_redirect_uri is not None:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
        if state is not None:
            params["state"] = state
        return f"{self.end_session_endpoint}?{urlencode(params)}"

    # -- clients -----------------------------------------------------------------------

    def register_client(self, **metadata: Any) -> OidcClient:
        """Dynamic client registration (RFC 7591) with the provider's initial access token."""
        with self._http() as http:
            response = http.post(
                self.endpoint("registration"),
                json=metadata,
                headers={"authorization": f"Bearer {self.registration_token}"},
            )
        if response.status_code != 201:
            raise OidcProviderError(f"registration refused: {response.status_code} {response.text}")
        body = response.json()
        return OidcClient(
            client_id=body["client_id"],
            client_secret=body.get("client_secret"),
            redirect_uris=tuple(body.get("redirect_uris", ())),
            post_logout_redirect_uris=tuple(body.get("post_logout_redirect_uris", ())),
            backchannel_logout_uri=body.get("backchannel_logout_uri"),
            grant_types=tuple(body.get("grant_types", ())),
        )

    def register_web_client(
        self,
        redirect_uris: Sequence[str],
        *,
        post_logout_redirect_uris: Sequence[str] = (),
        backchannel_logout_uri: str | None = None,
        **metadata: Any,
    ) -> OidcClient:
        """A new confidential web client (code + refresh token, Basic auth), e.g. for a gateway
        started on a port of its own; back-channel logout with ``sid`` when a URI is given."""
        data: dict[str, Any] = {
            "redirect_uris": list(redirect_uris),
            "post_logout_redirect_uris": list(post_logout_redirect_uris),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
        if backchannel_logout_uri is not None:
            data["backchannel_logout_uri"] = backchannel_logout_uri
            data["backchannel_logout_session_required"] = True
        data.update(metadata)
        return self.register_client(**data)

    def register_integrator(self, **metadata: Any) -> OidcClient:
        """A new client-credentials client."""
        data: dict[str, Any] = {
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "token_endpoint_auth_method": "client_secret_basic",
        }
        data.update(metadata)
        return self.register_client(**data)

    # -- admin -------------------------------------------------------------------------

    def send_backchannel_logout(self, client_id: str, sub: str, sid: str | None = None) -> None:
        """Make the provider POST a signed logout token to the client's back-channel URI now
        (as an administrator ending a user's sessions would). Raises if the client refuses."""
        body: dict[str, Any] = {"client_id": client_id, "sub": sub}
        if sid is not None:
            body["sid"] = sid
        self._admin("POST", "backchannel-logout", body)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """What the provider recorded: login.success/refused, backchannel.success/error, ..."""
        events: list[dict[str, Any]] = self._admin("GET", "events")["events"]
        return [e for e in events if kind is None or e["type"] == kind]

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the process by PID (kill it after ``grace`` seconds)."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(grace)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            self.log.close()


# -- install and start -----------------------------------------------------------------


def _installed_version() -> str | None:
    manifest = PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json"
    try:
        version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise OidcProviderError(
            f"`{name}` is not on PATH: the SSO tests need Node.js (20 or later) and npm"
        )
    return path


def ensure_provider_installed() -> None:
    """``npm install`` in provider/ once, when oidc-provider is missing or not the pinned one."""
    if _installed_version() == OIDC_PROVIDER_VERSION:
        return
    npm = _tool("npm")
    with _INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be installing right now
        if _installed_version() == OIDC_PROVIDER_VERSION:
            return
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
            cwd=PROVIDER_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or _installed_version() != OIDC_PROVIDER_VERSION:
            raise OidcProviderError(
                f"npm install in {PROVIDER_DIR} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )


def _clients(settings: ProviderSettings) -> dict[str, OidcClient]:
    base = settings.gateway_base_url.rstrip("/")
    return {
        "web": OidcClient(
            client_id=settings.gateway_client_id,
            client_secret=secrets.token_urlsafe(32),
            redirect_uris=(f"{base}/auth/callback",),
            post_logout_redirect_uris=(f"{base}/", f"{base}/auth/logged-out"),
            backchannel_logout_uri=f"{base}/auth/backchannel-logout",
        ),
        "public": OidcClient(
            client_id=settings.public_client_id,
            client_secret=None,
            redirect_uris=(f"{base}/spa/callback",),
            post_logout_redirect_uris=(f"{base}/spa/",),
        ),
        "integrator": OidcClient(
            client_id=settings.integrator_client_id,
            client_secret=secrets.token_urlsafe(32),
            grant_types=("client_credentials",),
        ),
    }


def _wait_ready(process: subprocess.Popen[bytes], ready_file: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    issuer: str | None = None
    with httpx.Client(timeout=2.0) as client:
        while True:
            if process.poll() is not None:
                raise OidcProviderError(f"the provider exited with {process.returncode}")
            if issuer is None and ready_file.exists():
                issuer = json.loads(ready_file.read_text(encoding="utf-8"))["issuer"]
            if issuer is not None:
                try:
                    response = client.get(f"{issuer}/.well-known/openid-configuration")
                    if response.status_code == 200:
                        return issuer
                except httpx.TransportError:
                    pass
            if time.monotonic() > deadline:
                raise OidcProviderError(f"the provider did not serve discovery within {timeout}s")
            time.sleep(0.02)


@contextmanager
def running_oidc_provider(
    settings: ProviderSettings | None = None, *, timeout: float = 30.0
) -> Iterator[OidcProvider]:
    """Start a provider with ``settings`` (defaults: ``default_settings()``); stop it on exit."""
    settings = settings or default_settings()
    ensure_provider_installed()
    node = _tool("node")
    clients = _clients(settings)
    registration_token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="tandem-oidc-") as workdir:
        ready_file = Path(workdir) / "ready.json"
        config = {
            "host": "127.0.0.1",
            "port": 0,
            "ready_file": str(ready_file),
            "exit_with_parent": True,
            "cookie_secret": secrets.token_hex(32),
            "registration_token": registration_token,
            "ttl": {
                "AccessToken": settings.access_token_ttl,
                "ClientCredentials": settings.client_credentials_ttl,
                "IdToken": settings.id_token_ttl,
                "RefreshToken": settings.refresh_token_ttl,
                "Session": settings.session_ttl,
            },
            "clients": [c.metadata() for c in (*clients.values(), *settings.extra_clients)],
            "users": [user.config() for user in settings.users],
            "resources": {key: dict(value) for key, value in settings.resources.items()},
        }
        config_file = Path(workdir) / "settings.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        config_file.chmod(0o600)
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by OidcProvider.stop)
        process = subprocess.Popen(
            [node, "server.mjs", "--config", str(config_file)],
            cwd=PROVIDER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env={**os.environ, "NODE_ENV": "test"},
        )
        provider = OidcProvider(
            process=process,
            log=log,
            issuer="",
            settings=settings,
            clients=clients,
            registration_token=registration_token,
        )
        try:
            try:
                provider.issuer = _wait_ready(process, ready_file, timeout)
            except OidcProviderError as error:
                raise OidcProviderError(f"{error}\n{provider.output()}") from None
            with httpx.Client(timeout=5.0) as client:
                provider.discovery = client.get(provider.discovery_url).json()
            yield provider
        finally:
            provider.stop()


@pytest.fixture(scope="session")
def oidc_provider_settings() -> ProviderSettings:
    """How the session's provider is started; override this fixture to change it."""
    return default_settings()


@pytest.fixture(scope="session")
def oidc_provider(oidc_provider_settings: ProviderSettings) -> Iterator[OidcProvider]:
    """The session's OpenID provider (oidc-provider on 127.0.0.1), stopped at the end."""
    try:
        with running_oidc_provider(oidc_provider_settings) as provider:
            yield provider
    except OidcProviderError as error:
        pytest.fail(str(error), pytrace=False)
