"""A browser's subscription over WebSocket, signed in through a real OpenID provider with a
session cookie: accepted from the gateway's own origin, and ended with a coded close when
the session ends (the user logs out) while it runs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.auth.identify import Identifier
from gateway.auth.sessions import RedisSessionStore
from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.http.app import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.auth.test_sso_support import (
    delete_prefix,
    make_sso,
    redis_url,
    session_cookie,
    sign_in,
)
from tests.subscriptions.conftest import SUPERGRAPH, Stack
from tests.support.oidc import browser
from tests.support.oidc.fixture import OidcProvider
from tests.support.processes import free_port

__all__ = ["redis_url"]  # a fixture this module uses

RECHECK = 0.2  # seconds between checks of a connection's session (the setting's default: 30)


@contextmanager
def serve(app: Starlette, port: int) -> Iterator[str]:
    """``app`` with uvicorn (WebSockets on) in a thread on ``port``; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def signed_in_gateway(stack: Stack, oidc_provider: OidcProvider, redis_url: str) -> Iterator[str]:
    """The gateway app with browser sign-in, sessions in Redis, in front of the stack's
    subgraphs; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = oidc_provider.register_web_client(
        [f"{base}/auth/callback"], post_logout_redirect_uris=[f"{base}/"]
    )
    prefix = f"tandem-test-subscriptions-{uuid.uuid4().hex[:12]}:"
    sso = make_sso(
        oidc_provider, RedisSessionStore(Redis.from_url(redis_url), prefix=prefix), client, base
    )
    gateway = Gateway(
        load_supergraph(SUPERGRAPH),
        subgraph_urls={"clock": stack.clock, "labels": stack.labels},
        tokens=SubgraphTokens(Path(stack.key_file).read_text()),
    )
    app = create_app(
        gateway,
        identifier=Identifier(sessions=sso.principal),
        sso=sso,
        subscription_recheck=RECHECK,
    )
    try:
        with serve(app, port):
            yield base
    finally:
        delete_prefix(redis_url, prefix)


def test_logging_out_closes_the_browsers_subscriptions_with_unauthenticated(
    stack: Stack, signed_in_gateway: str, oidc_provider: OidcProvider
) -> None:
    base = signed_in_gateway
    hold = f"logout-{uuid.uuid4().hex[:8]}"
    with browser.user_agent() as ua:
        sign_in(ua, base, oidc_provider, "bob")
        cookie = session_cookie(ua)
        assert cookie is not None

        async def scenario() -> tuple[dict[str, object], ConnectionClosed]:
            headers = {"cookie": f"tandem_session={cookie}", "origin": base}
            async with connect(
                f"ws://{base.removeprefix('http://')}/graphql",
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                additional_headers=headers,
            ) as ws:
                await ws.send(json.dumps({"type": "connection_init"}))
                assert json.loads(await ws.recv()) == {"type": "connection_ack"}
                query = f'subscription {{ ticks(count: 2, waitFor: "{hold}") {{ n label }} }}'
                await ws.send(
                    json.dumps({"type": "subscribe", "id": "s", "payload": {"query": query}})
                )
                first = json.loads(await ws.recv())
                # the user logs out in another tab while the subscription holds
                await asyncio.to_thread(ua.post, f"{base}/auth/logout")
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        await ws.recv()
                return first, closed.value

        first, closed = asyncio.run(scenario())
    stack.release(hold)
    assert first == {
        "type": "next",
        "id": "s",
        "payload": {"data": {"ticks": {"n": 1, "label": "label of tick-1"}}},
    }
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4401, "UNAUTHENTICATED")
