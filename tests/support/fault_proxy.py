"""A fault-injecting proxy between the gateway and a subgraph, for the quiet failures.

Loud faults (refused, hung, 5xx, not JSON) live in ``faulty_subgraph.py``; this proxy gives
well-formed HTTP 200 JSON answers that are wrong for the request (issue 11). The behaviour is
chosen by the URL path, so each test routes a graph of its supergraph to its own URL and
nothing is shared between tests:

``/pass/<tag>/graphql``
    forwards the request to the upstream subgraph and its answer back;
``/other/<tag>/graphql``
    forwards ``{ __typename }`` instead: the upstream's real answer to a different query;
``/answer/<base64url JSON>/<tag>/graphql``
    answers HTTP 200 with that JSON, whatever was asked;
``/hang/<tag>/graphql``
    reads the request and answers nothing until the client hangs up;
``/flaky/<n>/<tag>/graphql``
    answers HTTP 503 (an empty body, as a load balancer without a backend does) to the first
    ``<n>`` requests for ``<tag>``, then forwards as ``pass`` does;
``/held/<tag>/graphql``
    holds each request until ``POST /_release/<tag>``, then forwards it as ``pass`` does
    (requests arriving after the release pass at once), so a test decides when answers come;
``/big/<bytes>/<tag>/graphql``, ``/big-declared/<bytes>/<tag>/graphql``
    answers HTTP 200 with a valid GraphQL response of exactly ``<bytes>`` bytes (one long
    string in ``announcements``), streamed in 64 KiB chunks as the client reads them, chunked
    or with its ``content-length`` declared.

``GET /_headers/<tag>`` gives the headers of the last request for ``<tag>``;
``GET /_count/<tag>`` says how many GraphQL requests arrived for ``<tag>`` (a fetch a test
expects the gateway not to send shows up here, with no clock involved); ``GET /_stream/<tag>``
how a ``big`` answer went: ``{"state": "running" | "complete" | "stopped", "sent": bytes}``,
``stopped`` once the client hung up before reading it all. Run it with
``python -m tests.support.fault_proxy --port P --upstream URL``; :func:`running_fault_proxy`
does that and waits until it answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.processes import free_port
from tests.support.spawn import running

__all__ = ["FaultProxy", "running_fault_proxy"]

_CHUNK = 65_536

_HANG_LIMIT = 120.0
"""A hung request ends at the latest after this long (the gateway hangs up far sooner)."""


def create_proxy(upstream: str) -> Starlette:
    """The proxy's ASGI app, forwarding to ``upstream`` where a mode says so."""
    counts: Counter[str] = Counter()
    streams: dict[str, dict[str, Any]] = {}
    releases: dict[str, asyncio.Event] = {}
    last_headers: dict[str, dict[str, str]] = {}
    client = httpx.AsyncClient(timeout=30.0, trust_env=False)

    async def forward(body: bytes) -> Response:
        answer = await client.post(
            upstream, content=body, headers={"content-type": "application/json"}
        )
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def graphql(request: Request) -> Response:
        parts = request.path_params["rest"].strip("/").split("/")
        if len(parts) < 3 or parts[-1] != "graphql":
            return Response("no such mode", 404)
        mode, tag = parts[0], parts[-2]
        counts[tag] += 1
        last_headers[tag] = dict(request.headers)
        body = await request.body()
        if mode == "pass":
            return await forward(body)
        if mode == "flaky" and len(parts) == 4:
            if counts[tag] <= int(parts[1]):
                return Response(b"", 503)
            return await forward(body)
        if mode == "held":
            await releases.setdefault(tag, asyncio.Event()).wait()
            return await forward(body)
        if mode == "other":
            return await forward(orjson.dumps({"query": "{ __typename }"}))
        if mode == "answer" and len(parts) == 4:
            canned = base64.urlsafe_b64decode(parts[1].encode())
            return Response(canned, 200, media_type="application/json")
        if mode in ("big", "big-declared") and len(parts) == 4:
            record = streams[tag] = {"state": "running", "sent": 0}
            return _Oversized(int(parts[1]), record, declared=mode == "big-declared")
        if mode == "hang":
            with contextlib.suppress(TimeoutError):  # the next message is the hang-up
                await asyncio.wait_for(request.receive(), _HANG_LIMIT)
            return Response(b"", 204)
        return Response("no such mode", 404)

    async def count(request: Request) -> Response:
        return JSONResponse({"count": counts[request.path_params["tag"]]})

    async def headers(request: Request) -> Response:
        return JSONResponse(last_headers.get(request.path_params["tag"], {}))

    async def release(request: Request) -> Response:
        releases.setdefault(request.path_params["tag"], asyncio.Event()).set()
        return Response(b"", 204)

    async def stream(request: Request) -> Response:
        return JSONResponse(streams.get(request.path_params["tag"], {"state": "none", "sent": 0}))

    return Starlette(
        routes=[
            Route("/_count/{tag}", count, methods=["GET"]),
            Route("/_stream/{tag}", stream, methods=["GET"]),
            Route("/_release/{tag}", release, methods=["POST"]),
            Route("/_headers/{tag}", headers, methods=["GET"]),
            Route("/{rest:path}", graphql, methods=["POST"]),
        ]
    )


class _Oversized(Response):
    """A valid GraphQL answer of ``size`` bytes, sent only as fast as the client reads it;
    ``record`` says how far it got and whether the client hung up first."""

    def __init__(self, size: int, record: dict[str, Any], *, declared: bool) -> None:
        super().__init__(status_code=200, media_type="application/json")
        self.size = size
        self.record = record
        self.declared = declared

    def _chunks(self) -> Iterator[bytes]:
        head, tail = b'{"data": {"announcements": ["', b'"]}}'
        yield head
        filler = self.size - len(head) - len(tail)
        block = b"x" * _CHUNK
        while filler > 0:
            yield block[: min(filler, _CHUNK)]
            filler -= _CHUNK
        yield tail

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gone = asyncio.Event()

        async def listen() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        listener = asyncio.create_task(listen())
        headers = [(b"content-type", b"application/json")]
        if self.declared:
            headers.append((b"content-length", str(self.size).encode()))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for chunk in self._chunks():
                await asyncio.sleep(0)  # the listener sees a hang-up before the next chunk
                if gone.is_set():
                    self.record["state"] = "stopped"
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                self.record["sent"] += len(chunk)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            self.record["state"] = "complete"
        finally:
            if self.record["state"] == "running":
                self.record["state"] = "stopped"
            listener.cancel()


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m tests.support.fault_proxy")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="the subgraph's GraphQL URL")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_proxy(args.upstream),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


@dataclass(frozen=True)
class FaultProxy:
    """The running proxy: URLs for each mode, and what arrived."""

    port: int

    def url(self, mode: str, tag: str) -> str:
        """The GraphQL URL of ``mode`` (``pass``, ``other``, ``hang``, ``held``) for ``tag``."""
        return f"http://127.0.0.1:{self.port}/{mode}/{tag}/graphql"

    def answering(self, answer: Any, tag: str) -> str:
        """The GraphQL URL that answers ``answer`` (any JSON value) to every request."""
        encoded = base64.urlsafe_b64encode(orjson.dumps(answer)).decode()
        return f"http://127.0.0.1:{self.port}/answer/{encoded}/{tag}/graphql"

    def oversized(self, size: int, tag: str, *, declared: bool = False) -> str:
        """The GraphQL URL answering a valid response of ``size`` bytes, streamed (chunked, or
        with its ``content-length`` when ``declared``)."""
        mode = "big-declared" if declared else "big"
        return f"http://127.0.0.1:{self.port}/{mode}/{size}/{tag}/graphql"

    def stream(self, tag: str) -> dict[str, Any]:
        """How the ``big`` answer for ``tag`` went: ``state`` and bytes ``sent``."""
        response = httpx.get(f"http://127.0.0.1:{self.port}/_stream/{tag}", timeout=10.0)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def flaky(self, failures: int, tag: str) -> str:
        """The GraphQL URL answering 503 to the first ``failures`` requests, then passing."""
        return f"http://127.0.0.1:{self.port}/flaky/{failures}/{tag}/graphql"

    def release(self, tag: str) -> None:
        """Let the ``held`` requests for ``tag`` go on (and every later one)."""
        httpx.post(f"http://127.0.0.1:{self.port}/_release/{tag}", timeout=10.0).raise_for_status()

    def headers(self, tag: str) -> dict[str, str]:
        """The headers of the last request for ``tag`` (names in lower case)."""
        response = httpx.get(f"http://127.0.0.1:{self.port}/_headers/{tag}", timeout=10.0)
        response.raise_for_status()
        return dict(response.json())

    def count(self, tag: str) -> int:
        """How many requests arrived for ``tag``."""
        response = httpx.get(f"http://127.0.0.1:{self.port}/_count/{tag}", timeout=10.0)
        response.raise_for_status()
        return int(response.json()["count"])


@contextlib.contextmanager
def running_fault_proxy(upstream: str, *, timeout: float = 30.0) -> Iterator[FaultProxy]:
    """Start the proxy on a free port in front of ``upstream``; yield it once it answers."""
    proxy = FaultProxy(port=free_port())

    def command() -> tuple[Sequence[str], Callable[[], bool]]:
        line = [sys.executable, "-m", "tests.support.fault_proxy", "--port", str(proxy.port),
                "--upstream", upstream]  # fmt: skip
        return line, lambda: _answers(proxy)

    with running("the fault proxy", command, timeout=timeout):
        yield proxy


def _answers(proxy: FaultProxy) -> bool:
    try:
        proxy.count("ready")
    except httpx.TransportError:
        return False
    return True


if __name__ == "__main__":
    main()
