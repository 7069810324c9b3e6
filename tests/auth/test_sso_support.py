"""Shared pieces of the SSO tests (no tests here): the gateway's auth routes under uvicorn on
a real port, the real Redis under a prefix of the test's own, and a browserless login.

Each gateway instance is a Starlette app with the ``/auth/*`` routes, the CORS allow-list
and a ``/probe`` route standing in for the GraphQL endpoint (it calls
``session_principal``), served by uvicorn in a thread so that the provider can reach its
back-channel logout endpoint over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.browser_safety import CORSAllowList
from gateway.auth.claims import ClaimMapping
from gateway.auth.oidc import OIDCClient, OIDCSettings
from gateway.auth.routes import SSO, SSOSettings, session_principal
from gateway.auth.sessions import RedisSessionStore, Session, SessionStore
from gateway.errors import TandemError
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcClient, OidcProvider
from tests.support.processes import free_port

REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SCOPES = ("openid", "profile", "email", "groups", "department")
CORS_ORIGIN = "https://app.tandem.test"


def gateway_app(sso: SSO, *, cors_origins: Sequence[str] = (CORS_ORIGIN,)) -> Starlette:
    """A gateway stand-in: the auth routes, CORS, and ``/probe`` calling ``session_principal``."""

    async def probe(request: Request) -> Response:
        try:
            principal = await session_principal(request)
        except TandemError as error:
            body = {"errors": [error.to_graphql()]}
            return Response(orjson.dumps(body), error.status, media_type="application/json")
        data = None
        if principal is not None:
            data = {
                "subject": principal.subject,
                "name": principal.name,
                "roles": list(principal.roles),
                "department": principal.department,
            }
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sso.aclose()

    app = Starlette(
        routes=[*sso.routes(), Route("/probe", probe, methods=["GET", "POST"])],
        lifespan=lifespan,
    )
    app.state.tandem_sso = sso
    app.add_middleware(CORSAllowList, origins=cors_origins)
    return app


def make_sso(
    provider: OidcProvider,
    store: SessionStore,
    client: OidcClient,
    public_url: str,
    **settings: Any,
) -> SSO:
    """An ``SSO`` for ``client`` of ``provider``, served at ``public_url`` (plain HTTP)."""
    assert client.client_secret is not None
    oidc = OIDCClient(
        OIDCSettings(
            issuer=provider.issuer,
            client_id=client.client_id,
            client_secret=client.client_secret,
            redirect_uri=f"{public_url}/auth/callback",
            post_logout_redirect_uri=f"{public_url}/",
            scopes=SCOPES,
        )
    )
    options: dict[str, Any] = {
        "cookie_secure": False,
        "claims": ClaimMapping(roles=("roles",)),
        **settings,
    }
    return SSO(oidc, store, SSOSettings(**options))


@contextmanager
def serve(app: Starlette, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` in a thread; yields the base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class Gateway:
    """A running gateway stand-in: its URL, its client at the provider, ``SSO``, Redis prefix.

    ``public_url`` is where the provider sends browsers back: the gateway's own URL, or for
    a replica the first replica's (one public URL behind a load balancer)."""

    base: str
    public_url: str
    client: OidcClient
    sso: SSO
    prefix: str


@contextmanager
def running_gateway(
    provider: OidcProvider,
    redis_url: str,
    *,
    replica_of: Gateway | None = None,
    **settings: Any,
) -> Iterator[Gateway]:
    """A gateway on a free port, sessions in Redis under a fresh prefix (deleted afterwards),
    with a web client registered for it at the provider (back-channel logout URI included).

    With ``replica_of``: another replica of that gateway (same client, public URL, prefix)."""
    port = free_port()
    if replica_of is None:
        public_url = f"http://127.0.0.1:{port}"
        client = provider.register_web_client(
            [f"{public_url}/auth/callback"],
            post_logout_redirect_uris=[f"{public_url}/"],
            backchannel_logout_uri=f"{public_url}/auth/backchannel-logout",
        )
        prefix = f"tandem-test-sso-{uuid.uuid4().hex[:12]}:"
    else:
        public_url, client, prefix = replica_of.public_url, replica_of.client, replica_of.prefix
    store = RedisSessionStore(Redis.from_url(redis_url), prefix=prefix)
    sso = make_sso(provider, store, client, public_url, **settings)
    try:
        with serve(gateway_app(sso), port) as base:
            yield Gateway(base, public_url, client, sso, prefix)
    finally:
        if replica_of is None:
            delete_prefix(redis_url, prefix)


def sign_in(ua: httpx.Client, base: str, provider: OidcProvider, username: str) -> httpx.Response:
    """The whole browser login through the gateway; returns the callback's response."""
    user = provider.user(username)
    callback = browser.login(f"{base}/auth/login", user.username, user.password, client=ua)
    return ua.get(callback)


def session_cookie(ua: httpx.Client, name: str = "tandem_session") -> str | None:
    return next((c.value for c in ua.cookies.jar if c.name == name), None)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real shared Redis (``TANDEM_TEST_REDIS_URL``), checked once."""
    client = SyncRedis.from_url(REDIS_URL)
    try:
        client.ping()
    except RedisConnectionError as error:
        if os.environ.get("TANDEM_TEST_SKIP_REDIS") == "1":
            pytest.skip(f"no Redis at {REDIS_URL}: {error}")
        raise
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"tandem-test-sso-{uuid.uuid4().hex[:12]}:"
    yield prefix
    delete_prefix(redis_url, prefix)


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix``."""
    client = SyncRedis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def stored_session(prefix: str, session_id: str) -> Session | None:
    """Read a session straight from Redis (what the gateway keeps server side)."""

    async def load() -> Session | None:
        store = RedisSessionStore(Redis.from_url(REDIS_URL), prefix=prefix)
        try:
            return await store.load(session_id)
        finally:
            await store.aclose()

    return asyncio.run(load())


def redis_values(prefix: str) -> list[bytes]:
    """Every string value and set member under ``prefix`` (to look for leaked secrets)."""
    client = SyncRedis.from_url(REDIS_URL)
    try:
        values: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            if client.type(key) == b"string":
                values.append(_bytes(client.get(key) or b""))
            else:
                values.extend(_bytes(m) for m in client.smembers(key))
        return values
    finally:
        client.close()


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()
