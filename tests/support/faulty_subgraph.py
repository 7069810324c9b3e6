"""A Federation 2 subgraph that misbehaves on purpose, to test how the gateway copes.

One process serves every behaviour, chosen by the first segment of the URL path, so each
test picks a fault by routing the ``faulty`` graph of its supergraph to
``http://127.0.0.1:PORT/<mode>/graphql``:

``healthy``
    a real subgraph (strawberry): ``Query.announcements``, ``Mutation.acknowledge`` and the
    ``Employee`` entity (keyed by ``id``, owned by the demo people subgraph) with ``nickname``
    and ``badge``;
``http500``
    HTTP 500 with an HTML error page, as a crashed proxy or framework sends;
``not-json``
    HTTP 200 declaring ``application/json`` whose body is not JSON;
``not-graphql``
    HTTP 200 with JSON that is not a GraphQL response (neither ``data`` nor ``errors``);
``slow``
    answers as ``healthy`` only after :data:`SLOW_SECONDS` (or when the client hangs up);
``truncated``
    starts a 200 response, sends part of its declared body, then drops the connection.

A second port (``--closing-port``) accepts TCP connections, reads the request and closes
the connection without a byte of response. Run it with
``python -m tests.support.faulty_subgraph --port P --closing-port Q``;
:func:`running_faulty_subgraph` does that and waits until both ports answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import httpx
import strawberry
import uvicorn
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from subgraphs.demo.standards import FEDERATION_VERSION
from tests.support.processes import free_port
from tests.support.spawn import running

__all__ = [
    "ANNOUNCEMENTS",
    "HTML_ERROR_PAGE",
    "MODES",
    "SLOW_SECONDS",
    "FaultySubgraph",
    "acknowledgement",
    "badge_code",
    "badge_level",
    "nickname",
    "running_faulty_subgraph",
    "schema",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MODES = ("healthy", "http500", "not-json", "not-graphql", "slow", "truncated")
SLOW_SECONDS = 10.0
"""How long ``slow`` waits before answering: far beyond any timeout the tests give it."""

ANNOUNCEMENTS = ("Canteen closed on Friday", "New expense policy from December")
HTML_ERROR_PAGE = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


def nickname(employee_id: str) -> str:
    """The nickname the healthy subgraph gives an employee."""
    return f"nick-{employee_id}"


def badge_code(employee_id: str) -> str:
    """The badge code the healthy subgraph gives an employee."""
    return f"B-{employee_id.upper()}"


def acknowledgement(announcement: str) -> str:
    """What ``acknowledge`` answers for an announcement."""
    return f"acknowledged: {announcement}"


def badge_level(employee_id: str) -> int:
    """The badge level the healthy subgraph gives an employee (1 to 3)."""
    return sum(map(ord, employee_id)) % 3 + 1


@strawberry.type(description="A door badge.")
class Badge:
    code: str
    level: int


@strawberry.federation.type(keys=["id"])
class Employee:
    """A person: owned by people, here with a nickname and a badge."""

    id: strawberry.ID

    @strawberry.field
    def nickname(self) -> str | None:
        return nickname(self.id)

    @strawberry.field
    def badge(self) -> Badge:
        return Badge(code=badge_code(self.id), level=badge_level(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def announcements(self) -> list[str] | None:
        return list(ANNOUNCEMENTS)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def acknowledge(self, index: int) -> str | None:
        """Acknowledge the ``index``-th announcement; null if there is none."""
        if not 0 <= index < len(ANNOUNCEMENTS):
            return None
        return acknowledgement(ANNOUNCEMENTS[index])


schema = Schema(
    query=Query, mutation=Mutation, types=[Employee], federation_version=FEDERATION_VERSION
)
_graphql = GraphQL(schema, graphql_ide=None, allow_queries_via_get=False)


async def _read_body(receive: Receive) -> bool:
    """Consume the request body; False if the client disconnected meanwhile."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        if not message.get("more_body"):
            return True


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _slow(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:  # keep the body to replay it to the healthy app
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    with contextlib.suppress(TimeoutError):
        # the client hanging up ends the wait: the process never holds a request for long
        message = await asyncio.wait_for(receive(), SLOW_SECONDS)
        if message["type"] == "http.disconnect":
            return
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return {"type": "http.disconnect"}
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    await _graphql(scope, replay, send)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI app: ``POST /<mode>/graphql`` behaves as the mode says."""
    if scope["type"] != "http":
        return
    parts = scope["path"].strip("/").split("/")
    mode = parts[0] if len(parts) == 2 and parts[1] == "graphql" else None
    if mode == "healthy":
        await _graphql(scope, receive, send)
    elif mode == "slow":
        await _slow(scope, receive, send)
    elif mode is None or mode not in MODES:
        await _read_body(receive)
        await _respond(send, 404, b"text/plain", b"no such mode")
    elif await _read_body(receive):
        if mode == "http500":
            await _respond(send, 500, b"text/html; charset=utf-8", HTML_ERROR_PAGE)
        elif mode == "not-json":
            await _respond(send, 200, b"application/json", b"Service in maintenance, retry later")
        elif mode == "not-graphql":
            await _respond(send, 200, b"application/json", b'{"status": "ok"}')
        elif mode == "truncated":
            partial = b'{"data": {"announcements": ["Canteen'
            headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": partial, "more_body": True})
            # returning before the declared length makes the server drop the connection


async def _close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        await reader.read(65536)
    writer.close()


async def _serve(port: int, closing_port: int) -> None:
    closing = await asyncio.start_server(_close_at_once, "127.0.0.1", closing_port)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    async with closing:
        await uvicorn.Server(config).serve()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.faulty_subgraph")
    parser.add_argument("--port", type=int, required=True, help="the GraphQL port")
    parser.add_argument("--closing-port", type=int, required=True, help="closes connections")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.closing_port))


# -- running it from the tests ---------------------------------------------------------------


@dataclass(frozen=True)
class FaultySubgraph:
    """The running process: where each mode answers, and the port that closes connections."""

    port: int
    closing_port: int

    def url(self, mode: str) -> str:
        """The GraphQL URL of ``mode`` (one of :data:`MODES`)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        return f"http://127.0.0.1:{self.port}/{mode}/graphql"

    @property
    def closing_url(self) -> str:
        return f"http://127.0.0.1:{self.closing_port}/graphql"


def _ready(server: FaultySubgraph) -> bool:
    try:
        response = httpx.post(
            server.url("healthy"), json={"query": "{ _service { sdl } }"}, timeout=2.0
        )
        with socket.create_connection(("127.0.0.1", server.closing_port), timeout=1):
            pass
    except (httpx.TransportError, OSError):
        return False
    return response.status_code == 200 and "_service" in response.text


@contextlib.contextmanager
def running_faulty_subgraph(
    *, timeout: float = 30.0, attempts: int = 3
) -> Iterator[FaultySubgraph]:
    """Start the faulty subgraph on free ports; yield it once both ports answer.

    A process that exits before answering (a port taken meanwhile) is started again on other
    ports, up to ``attempts`` times.
    """
    servers: list[FaultySubgraph] = []

    def command() -> tuple[Sequence[str], Callable[[], bool]]:
        server = FaultySubgraph(port=free_port(), closing_port=free_port())
        servers.append(server)
        line = [sys.executable, "-m", "tests.support.faulty_subgraph", "--port",
                str(server.port), "--closing-port", str(server.closing_port)]  # fmt: skip
        return line, lambda: _ready(server)

    with running("the faulty subgraph", command, timeout=timeout, attempts=attempts):
        yield servers[-1]

if __name__ == "__main__":
    main()
