"""The subscription gate over a real subgraph app (``create_subgraph_app`` served by uvicorn
in the test's loop, a ``websockets`` client): a WebSocket subscribes only with a gateway token
bound to its one ``subscribe`` payload, and the resolver sees the token's principal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
import strawberry
import uvicorn
from strawberry.types import Info
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.identity import current_principal
from subgraphs.common.schema import create_schema
from subgraphs.common.settings import SubgraphSettings
from subgraphs.common.subscription_gate import CLOSE_FORBIDDEN, CLOSE_UNAUTHORIZED
from tandem_shared.keys import generate_private_key, public_key_of
from tandem_shared.tokens import mint_subgraph_token
from tests.common.forge import ALICE
from tests.support.processes import free_port

pytestmark = pytest.mark.anyio

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = {"query": "subscription { callers(count: 2) }"}
TIMEOUT = 30.0  # a bound on failure


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> str:
        return "pong"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def callers(self, info: Info, count: int) -> AsyncGenerator[str, None]:
        for n in range(count):
            yield f"{current_principal(info).subject} #{n + 1}"


@asynccontextmanager
async def serving(schema: Any) -> AsyncIterator[str]:
    """The subgraph app for ``schema`` on a free port; its WebSocket URL."""
    app = create_subgraph_app(schema, "oa", settings=SubgraphSettings(name="oa"), public_key=PUBLIC)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server stopped"
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with serving(create_schema(query=Query, subscription=Subscription)) as found:
        yield found


def token(payload: Any) -> str:
    return mint_subgraph_token(PRIVATE, "oa", ALICE, body=orjson.dumps(payload))


def subscribe_frame(payload: Any, ident: str = "1") -> str:
    """The frame as the gateway sends it: the signed payload bytes verbatim."""
    return f'{{"type":"subscribe","id":"{ident}","payload":' + orjson.dumps(payload).decode() + "}"


async def init(socket: ClientConnection, payload: Any) -> None:
    await socket.send(json.dumps({"type": "connection_init", "payload": payload}))


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
    return message


async def closed_with(socket: ClientConnection) -> int | None:
    """The close code once the server closes ``socket`` (any message first fails)."""
    with pytest.raises(ConnectionClosed) as closed:
        await receive(socket)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


async def test_a_token_bound_to_the_payload_subscribes_as_its_principal(url: str) -> None:
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await init(socket, {"authorization": f"Bearer {token(SUBSCRIBE)}"})
        assert await receive(socket) == {"type": "connection_ack"}
        await socket.send(subscribe_frame(SUBSCRIBE))
        events = [await receive(socket) for _ in range(3)]
    assert events == [
        {"type": "next", "id": "1", "payload": {"data": {"callers": "emp-001 #1"}}},
        {"type": "next", "id": "1", "payload": {"data": {"callers": "emp-001 #2"}}},
        {"type": "complete", "id": "1"},
    ]


FOREIGN = "bound to another payload"  # minted when the test runs: tokens live seconds


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, CLOSE_UNAUTHORIZED),
        ({"authorization": "Basic abc"}, CLOSE_UNAUTHORIZED),
        ({"authorization": "Bearer not-a-token"}, CLOSE_UNAUTHORIZED),
        (FOREIGN, CLOSE_FORBIDDEN),
    ],
    ids=["no token", "not bearer", "malformed", FOREIGN],
)
async def test_a_missing_bad_or_foreign_token_closes_the_socket(
    url: str, payload: dict[str, str] | str | None, code: int
) -> None:
    if payload == FOREIGN:
        payload = {"authorization": f"Bearer {token({'query': '{ ping }'})}"}
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await init(socket, payload)
        if code == CLOSE_FORBIDDEN:  # valid claims: acknowledged, then the payload refused
            assert await receive(socket) == {"type": "connection_ack"}
            await socket.send(subscribe_frame(SUBSCRIBE))
        assert await closed_with(socket) == code


async def test_a_token_is_admitted_once_and_for_one_subscribe(url: str) -> None:
    once = {"authorization": f"Bearer {token(SUBSCRIBE)}"}
    async with connect(url, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await init(socket, once)
        assert await receive(socket) == {"type": "connection_ack"}
        await socket.send(subscribe_frame(SUBSCRIBE))
        while (await receive(socket))["type"] != "complete":
            pass
        await socket.send(subscribe_frame(SUBSCRIBE, ident="2"))
        assert await closed_with(socket) == CLOSE_FORBIDDEN
    async with connect(url, subprotocols=[PROTOCOL]) as replay:  # type: ignore[list-item]
        await init(replay, once)
        assert await closed_with(replay) == CLOSE_UNAUTHORIZED


async def test_a_subgraph_without_subscriptions_refuses_websockets() -> None:
    async with serving(create_schema(query=Query)) as plain:
        with pytest.raises(Exception) as refused:
            async with connect(plain, subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
                await receive(socket)
    assert "1008" in str(refused.value) or "403" in str(refused.value), refused.value
