"""Supergraph hot reload (issue 15, item 4), with ``tandem serve`` as a real process.

Two versions of one supergraph differ in where the ``faulty`` graph lives: version A goes to
the real faulty subgraph, version B to the fault proxy answering a canned list. What a query
returns therefore says which supergraph served it. Each step waits for what ``/ready``
reports (the reload count, the last error), never for a clock.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.faulty_subgraph import ANNOUNCEMENTS, FaultySubgraph
from tests.support.fixtures import write_supergraph
from tests.support.gateway_process import running_gateway, running_gateway_process
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH

QUERY = {"query": "{ announcements }"}
B_ANSWER = ["from version B"]


@pytest.fixture(scope="module")
def proxy(faulty_subgraph: FaultySubgraph) -> Iterator[FaultProxy]:
    with running_fault_proxy(faulty_subgraph.url("healthy")) as running:
        yield running


@pytest.fixture
def versions(faulty_subgraph: FaultySubgraph, proxy: FaultProxy, tmp_path: Path) -> tuple[str, str]:
    """The texts of version A (the real subgraph) and B (a canned answer)."""
    a = write_supergraph({"faulty": faulty_subgraph.url("healthy")}, tmp_path / "a.graphql",
                         source=FAULTY_SUPERGRAPH)  # fmt: skip
    b = write_supergraph(
        {"faulty": proxy.answering({"data": {"announcements": B_ANSWER}}, "reload-b")},
        tmp_path / "b.graphql",
        source=FAULTY_SUPERGRAPH,
    )
    return a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")


def replace(path: Path, text: str) -> None:
    """Replace the file as deploy tools do: write beside it, then rename over it."""
    staged = path.with_suffix(".staged")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


def ready(url: str) -> dict[str, Any]:
    base = url.removesuffix("/graphql")
    report: dict[str, Any] = httpx.get(f"{base}/ready", timeout=10).json()["supergraph"]
    return report


def until(condition: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    give_up = time.monotonic() + limit
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


def announcements(url: str) -> list[str]:
    answer = httpx.post(url, json=QUERY, timeout=10).json()
    assert "errors" not in answer, answer
    return list(answer["data"]["announcements"])


def test_a_changed_file_takes_over_and_a_broken_one_is_refused(
    versions: tuple[str, str], tmp_path: Path
) -> None:
    a, b = versions
    served = tmp_path / "supergraph.graphql"
    served.write_text(a, encoding="utf-8")
    with running_gateway(served) as url:
        assert announcements(url) == list(ANNOUNCEMENTS)
        first = ready(url)
        assert first["reloads"] == 0

        replace(served, b)
        until(lambda: ready(url)["reloads"] == 1, "version B took over")
        assert announcements(url) == B_ANSWER
        assert ready(url)["sha256"] != first["sha256"]

        replace(served, "type Query { this is not a supergraph")
        until(lambda: ready(url)["failedReloads"] == 1, "the broken file was refused")
        report = ready(url)
        assert "Syntax Error" in report["lastError"]
        assert report["reloads"] == 1
        assert announcements(url) == B_ANSWER  # still version B

        replace(served, a)
        until(lambda: ready(url)["reloads"] == 2, "version A came back")
        assert announcements(url) == list(ANNOUNCEMENTS)
        assert "lastError" not in ready(url)


def test_sighup_rereads_the_file(versions: tuple[str, str], tmp_path: Path) -> None:
    """With watching off, a signal is what makes the gateway look again."""
    a, b = versions
    served = tmp_path / "supergraph.graphql"
    served.write_text(a, encoding="utf-8")
    env = {"TANDEM_SUPERGRAPH_RELOAD": "signal"}
    with running_gateway_process(served, env=env) as (url, child):
        served.write_text(b, encoding="utf-8")
        assert announcements(url) == list(ANNOUNCEMENTS)  # not watched: still version A
        child.process.send_signal(signal.SIGHUP)
        until(lambda: ready(url)["reloads"] == 1, "SIGHUP reloaded")
        assert announcements(url) == B_ANSWER


class _SupergraphServer(BaseHTTPRequestHandler):
    text: ClassVar[str] = ""
    gets: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        etag = f'"{hash(self.text)}"'
        type(self).gets.append(self.headers.get("if-none-match"))
        if self.headers.get("if-none-match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        body = self.text.encode()
        self.send_response(200)
        self.send_header("etag", etag)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_supergraph_url_is_polled_with_its_etag(versions: tuple[str, str]) -> None:
    a, b = versions
    _SupergraphServer.text = a
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SupergraphServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    location = f"http://127.0.0.1:{server.server_address[1]}/supergraph.graphql"
    env = {"TANDEM_SUPERGRAPH_URL": location, "TANDEM_SUPERGRAPH_POLL_SECONDS": "0.1"}
    try:
        with running_gateway(None, env=env) as url:
            assert announcements(url) == list(ANNOUNCEMENTS)
            until(lambda: len(_SupergraphServer.gets) >= 3, "polled a few times")
            assert ready(url)["reloads"] == 0  # unchanged: 304, nothing rebuilt
            assert _SupergraphServer.gets[-1] is not None  # asked with the ETag
            _SupergraphServer.text = b
            until(lambda: ready(url)["reloads"] == 1, "the new text was fetched")
            assert announcements(url) == B_ANSWER
    finally:
        server.shutdown()
        server.server_close()


def test_a_request_in_flight_finishes_on_its_supergraph(
    versions: tuple[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    """Version A' holds its answer at the proxy; B takes over meanwhile; the held request
    still gets A's answer, and the operations A served were planned on B before it took
    over (the reload's log line counts them)."""
    _, b = versions
    held = write_supergraph({"faulty": proxy.url("held", "reload-held")},
                            tmp_path / "held.graphql", source=FAULTY_SUPERGRAPH)  # fmt: skip
    served = tmp_path / "supergraph.graphql"
    served.write_text(held.read_text(encoding="utf-8"), encoding="utf-8")
    with running_gateway_process(served) as (url, child):
        answers: list[list[str]] = []
        waiting = threading.Thread(target=lambda: answers.append(announcements(url)))
        waiting.start()
        until(lambda: proxy.count("reload-held") == 1, "the request reached the subgraph")
        replace(served, b)
        until(lambda: ready(url)["reloads"] == 1, "version B took over")
        assert announcements(url) == B_ANSWER
        proxy.release("reload-held")
        waiting.join(30)
        assert answers == [list(ANNOUNCEMENTS)]
        # `{ __typename }` (the readiness probe) and `{ announcements }`
        until(lambda: "2 operations planned ahead" in child.output(), "the reload's log line")
