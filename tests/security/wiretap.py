"""Someone who sees gateway-to-subgraph traffic: a man in the middle that records every request.

The gateway is pointed at ``http://127.0.0.1:<port>/<subgraph>/graphql``; the tap records the
request's ``authorization`` header and body bytes and forwards it over HTTPS to the subgraph
(``upstreams``, verified with the deploy's CA), or, while :meth:`Wiretap.stealing`, keeps it
(the subgraph never sees it, so its token is still unused) and answers 502. It runs in a
thread of the test process.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

__all__ = ["Captured", "Wiretap", "running_wiretap"]


@dataclass(frozen=True)
class Captured:
    """One request the gateway sent: to which subgraph, with which token and body."""

    subgraph: str
    token: str
    body: bytes


@dataclass
class Wiretap:
    port: int
    ca_file: Path
    upstreams: dict[str, str] = field(default_factory=dict)
    captured: list[Captured] = field(default_factory=list)
    steal: bool = False

    def url(self, subgraph: str) -> str:
        return f"http://127.0.0.1:{self.port}/{subgraph}/graphql"

    @contextlib.contextmanager
    def stealing(self) -> Iterator[list[Captured]]:
        """Keep every request made meanwhile from its subgraph; yields them as they come."""
        start = len(self.captured)
        taken: list[Captured] = []
        self.steal = True
        try:
            yield taken
        finally:
            self.steal = False
            taken.extend(self.captured[start:])

    def forward(self, subgraph: str, token: str, body: bytes) -> httpx.Response:
        """Send ``body`` with ``token`` straight to the subgraph, as an attacker would."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.post(
            self.upstreams[subgraph],
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            verify=context,
            timeout=30,
        )


@contextlib.contextmanager
def running_wiretap(ca_file: Path) -> Iterator[Wiretap]:
    """A wiretap on a free port of 127.0.0.1, until the block ends."""
    tap: Wiretap | None = None

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            assert tap is not None
            subgraph = self.path.strip("/").split("/")[0]
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            scheme, _, token = (self.headers.get("authorization") or "").partition(" ")
            tap.captured.append(Captured(subgraph, token if scheme == "Bearer" else "", body))
            if tap.steal or subgraph not in tap.upstreams:
                self._answer(502, b'{"errors": [{"message": "kept by the wiretap"}]}')
                return
            response = tap.forward(subgraph, token, body)
            self._answer(response.status_code, response.content)

        def _answer(self, status: int, content: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *_: object) -> None:
            return  # quiet: the tests read ``captured``

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tap = Wiretap(server.server_address[1], ca_file)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tap
    finally:
        server.shutdown()
        server.server_close()
