"""The session fixture ``dot_provider``: django-oauth-toolkit on a free loopback port.

Starts ``python -m tests.support.dot_provider.serve`` (a fresh SQLite database in a
temporary directory, an RSA key made here), waits for its discovery document, yields a
:class:`DotProvider` (issuer, people, applications, the gateway's reserved base URL) and
stops the process by PID. ``authorize`` and ``end_session`` drive its pages over plain HTTP
(Django's login form, DOT's consent and logout-confirmation forms) with one cookie jar.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.oidc.browser import LoginFailed, UnexpectedPage, parse_forms
from tests.support.processes import free_port

__all__ = ["DotApp", "DotProvider", "authorize", "dot_provider", "end_session"]

REPO_ROOT = Path(__file__).resolve().parents[3]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class DotApp:
    """An application registered at the provider."""

    name: str
    client_id: str
    client_secret: str
    grant_type: str  # "authorization-code" | "client-credentials"
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()

    def seed(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": self.grant_type,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
        }


@dataclass(frozen=True)
class DotProvider:
    """A running provider: where it is, who may sign in, which applications exist."""

    issuer: str
    gateway_base: str
    oauth2_gateway_base: str
    people: Mapping[str, Mapping[str, Any]]
    apps: Mapping[str, DotApp]
    process: subprocess.Popen[bytes] = field(repr=False)
    log: Path = field(repr=False)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}/"

    def password(self, username: str) -> str:
        return str(self.people[username]["password"])

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def client_credentials(self, app: str, **extra: str) -> httpx.Response:
        """A client-credentials token request by ``app`` (``resource=...``, ``scope=...``)."""
        client = self.apps[app]
        return httpx.post(
            f"{self.issuer}/token/",
            data={"grant_type": "client_credentials", **extra},
            auth=(client.client_id, client.client_secret),
        )


def _people() -> dict[str, dict[str, Any]]:
    return {
        "E1001": {  # people sign in with their employee number
            "password": "alice-correct-horse-7",
            "email": "alice@acme.test",
            "name": "Alice Archer",
            "employee_id": "E1001",
            "department": "D-FIN",
            "groups": ["Finance Team", "Staff"],
        },
        "E1002": {
            "password": "bob-correct-horse-7",
            "email": "bob@acme.test",
            "name": "Bob Baker",
            "employee_id": "E1002",
            "department": "D-PRO",
            "groups": ["Procurement", "Staff"],
        },
    }


def _apps(gateway: str, oauth2_gateway: str, cli: str) -> dict[str, DotApp]:
    code, credentials = "authorization-code", "client-credentials"
    return {
        "gateway": DotApp(
            "Tandem gateway", "tandem-gateway", "gateway-secret-1", code,
            (f"{gateway}/auth/callback",), (f"{gateway}/",),
        ),
        "gateway-oauth2": DotApp(
            "Tandem gateway (OAuth 2.0 only)", "tandem-oauth2", "gateway-secret-2", code,
            (f"{oauth2_gateway}/auth/callback",),
        ),
        "cli-jwt": DotApp("jwt:Reporting CLI", "reporting-cli", "cli-secret-1", code,
                          (f"{cli}/callback",)),
        "cli-opaque": DotApp("Reporting CLI", "reporting-cli-opaque", "cli-secret-2", code,
                             (f"{cli}/callback",)),
        "integrator-jwt": DotApp("jwt:ERP integrator", "erp-integrator", "int-secret-1",
                                 credentials),
        "integrator-opaque": DotApp("Payroll bot", "payroll-bot", "int-secret-2", credentials),
    }  # fmt: skip


@pytest.fixture(scope="session")
def dot_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DotProvider]:
    """django-oauth-toolkit, started once per test session."""
    pytest.importorskip("oauth2_provider", reason="the dev extra installs django-oauth-toolkit")
    workdir = tmp_path_factory.mktemp("dot-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (workdir / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    port = free_port()
    issuer = f"http://127.0.0.1:{port}/o"
    gateway, oauth2_gateway, cli = (f"http://127.0.0.1:{free_port()}" for _ in range(3))
    people = _people()
    apps = _apps(gateway, oauth2_gateway, cli)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.dot_provider.settings",
        "DOT_DB": str(workdir / "db.sqlite3"),
        "DOT_ISSUER": issuer,
        "DOT_KEY_FILE": str(workdir / "key.pem"),
        "DOT_SEED": json.dumps(
            {"people": people, "applications": [app.seed() for app in apps.values()]}
        ),
        "DOT_ACCESS_TOKEN_SECONDS": "60",
    }
    log = workdir / "provider.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.dot_provider.serve", str(port)],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
        )  # fmt: skip
    provider = DotProvider(issuer, gateway, oauth2_gateway, people, apps, process, log)
    try:
        _wait_for_discovery(provider, timeout=60.0)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_discovery(provider: DotProvider, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"{provider.issuer}/.well-known/openid-configuration"
    with httpx.Client(timeout=2.0) as client:
        while True:
            if provider.process.poll() is not None:
                raise RuntimeError(f"the DOT provider exited:\n{provider.output()}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the DOT provider did not start:\n{provider.output()}")
            time.sleep(0.1)


def authorize(
    client: httpx.Client,
    url: str,
    provider: DotProvider,
    username: str,
    password: str | None = None,
    *,
    allow: bool = True,
) -> str:
    """From ``url`` (the gateway's ``/auth/login`` or an authorization request) through the
    provider's login and consent pages to the redirect back; returns that URL unvisited.

    ``allow=False`` presses Cancel on the consent page. Raises ``LoginFailed`` when the
    login page comes back (wrong password).
    """
    password = provider.password(username) if password is None else password
    response = client.get(url)
    at_provider, sent = False, False
    for _ in range(20):
        if response.status_code in _REDIRECTS:
            location = urljoin(str(response.url), response.headers["location"])
            if location.startswith(provider.origin):
                at_provider = True
            elif at_provider:
                return location
            response = client.get(location)
            continue
        if response.status_code != 200:
            raise UnexpectedPage("the provider answered with an error", response)
        forms = parse_forms(response.text)
        login = next((form for form in forms if form.is_login), None)
        consent = next((form for form in forms if form.id == "authorizationForm"), None)
        target = urljoin(str(response.url), (login or consent or forms[0]).action or "")
        if login is not None:
            if sent:
                raise LoginFailed("the provider refused the login", response)
            sent = True
            data = login.data("submit", username=username, password=password)
            response = client.post(target or str(response.url), data=data)
        elif consent is not None:
            data = consent.data("allow" if allow else None)
            response = client.post(target or str(response.url), data=data)
        else:
            raise UnexpectedPage("neither a login nor a consent page", response)
    raise UnexpectedPage("no redirect back after 20 steps", response)


def end_session(client: httpx.Client, url: str, provider: DotProvider) -> str:
    """Follow an RP-initiated logout from ``url`` (the gateway's ``/auth/logout`` or the
    end-session request), confirm at the provider, return the post-logout redirect."""
    response = client.get(url)
    for _ in range(10):
        if response.status_code in _REDIRECTS:
            location = urljoin(str(response.url), response.headers["location"])
            if not location.startswith(provider.origin):
                return location
            response = client.get(location)
            continue
        if response.status_code != 200:
            raise UnexpectedPage("the provider answered the logout with an error", response)
        form = next((f for f in parse_forms(response.text) if f.id == "authorizationForm"), None)
        if form is None:
            raise UnexpectedPage("no logout confirmation form", response)
        target = urljoin(str(response.url), form.action) if form.action else str(response.url)
        response = client.post(target, data=form.data("allow"))
    raise UnexpectedPage("the logout did not finish", response)
