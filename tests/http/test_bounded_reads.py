"""The HTTP server bounds what a client may make it wait for and hold (issue 11, item 4).

``tandem serve`` runs as a process with short limits from a TOML config; raw sockets play the
slow, silent and departing clients. Each test waits for the server to act (an answer, a closed
connection, a log line), never for time to pass; the safety bound only ends a test whose
server never acts (as uvicorn's defaults never did).
"""

from __future__ import annotations

import json
import logging
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.http.server import CapacityLog
from tests.e2e.stack import Service, eventually, service_env, tandem_command
from tests.support.processes import REPO_ROOT, free_port

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
SAFETY = 30.0
"""A server that has not cut a slow client off by then never will (it has 1 s)."""
TRICKLE = 0.05
"""Seconds between two bytes of a slow client: 20 a second, 1,000 would take 50 s."""


def _healthy(client: httpx.Client, base_url: str) -> bool:
    return client.get(f"{base_url}/health").status_code == 200


def serve(name: str, folder: Path, config: str) -> Service:
    """``tandem serve --log-level debug`` of the OA + ERP supergraph with ``config`` (TOML)."""
    (folder / "tandem.toml").write_text(config)
    port = free_port()
    command = [
        *tandem_command(),
        "serve",
        "--supergraph",
        str(SUPERGRAPH),
        "--config",
        str(folder / "tandem.toml"),
        "--port",
        str(port),
        "--log-level",
        "debug",
    ]
    return Service(name, command, service_env(), port, folder, _healthy).start()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    config = f"http_header_timeout = {HEADER_TIMEOUT}\nhttp_body_timeout = {BODY_TIMEOUT}\n"
    service = serve("gateway", tmp_path_factory.mktemp("bounded"), config)
    try:
        yield service
    finally:
        service.stop()


def connect(service: Service) -> socket.socket:
    return socket.create_connection(("127.0.0.1", service.port), timeout=SAFETY)


def trickle(sock: socket.socket, data: bytes) -> int:
    """Send ``data`` a byte every :data:`TRICKLE` seconds until the server answers or hangs
    up; how many bytes went out. Fails if the server lets all of it through."""
    deadline = time.monotonic() + SAFETY
    for sent in range(len(data)):
        readable, _, _ = select.select([sock], [], [], TRICKLE)
        if readable:
            return sent
        try:
            sock.sendall(data[sent : sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            return sent
        assert time.monotonic() < deadline, f"still reading a byte-a-tick client after {SAFETY}s"
    raise AssertionError("the server read the whole slow request")


def everything_from(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def coded_answer(raw: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    """Status, headers and the single error of a raw HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    [error] = json.loads(body)["errors"]
    return int(status_line.split()[1]), headers, error


NEVER_ENDING_HEADERS = b"GET /health HTTP/1.1\r\nHost: tandem\r\nX-Slow: " + b"a" * 5000


def test_slow_headers_are_cut_off_while_a_normal_request_is_answered(gateway: Service) -> None:
    slow = connect(gateway)
    slow.sendall(NEVER_ENDING_HEADERS[:10])
    normal = httpx.post(gateway.url, json={"query": "{ __typename }"}, timeout=SAFETY)
    assert normal.json() == {"data": {"__typename": "Query"}}
    sent = trickle(slow, NEVER_ENDING_HEADERS[10:])
    status, headers, error = coded_answer(everything_from(slow))
    assert status == 408
    assert headers["connection"] == "close"
    assert error["extensions"] == {"code": "REQUEST_TIMEOUT"}
    assert "request headers" in str(error["message"])
    assert sent < len(NEVER_ENDING_HEADERS) // 2


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(gateway: Service) -> None:
    silent = connect(gateway)
    assert everything_from(silent) == b""


def test_slow_body_is_cut_off(gateway: Service) -> None:
    slow = connect(gateway)
    slow.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: tandem\r\ncontent-type: application/json\r\n"
        b"content-length: 5000\r\n\r\n"
    )
    sent = trickle(slow, b'{"query": "' + b" " * 4990)
    status, _, error = coded_answer(everything_from(slow))
    assert status == 408
    assert error["extensions"] == {"code": "REQUEST_TIMEOUT"}
    assert "request body" in str(error["message"])
    assert sent < 2500


def test_a_body_still_late_after_the_answer_ends_the_connection_without_a_second_answer(
    gateway: Service,
) -> None:
    """The app refuses a body declared too large at once (413); the client then stalls."""
    sock = connect(gateway)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: tandem\r\ncontent-type: application/json\r\n"
        b"content-length: 2000000\r\n\r\n" + b"{" * 10
    )
    answers = everything_from(sock)
    assert answers.startswith(b"HTTP/1.1 413 ")
    assert answers.count(b"HTTP/1.1 ") == 1, answers


def test_oversized_headers_are_refused(gateway: Service) -> None:
    sock = connect(gateway)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: tandem\r\n")
    try:
        for _ in range(100):  # 100 KiB of headers, more than the default 64 KiB
            sock.sendall(b"X-Padding: " + b"p" * 1010 + b"\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before all of it went out
    status, _, error = coded_answer(everything_from(sock))
    assert status == 431
    assert error["extensions"] == {"code": "REQUEST_HEADERS_TOO_LARGE"}


def test_client_gone_mid_body_is_one_debug_line_without_a_traceback(gateway: Service) -> None:
    sock = connect(gateway)
    sock.sendall(
        b"POST /graphql HTTP/1.1\r\nHost: tandem\r\ncontent-type: application/json\r\n"
        b"x-request-id: gone-mid-body\r\ncontent-length: 1000\r\n\r\n"
        b'{"query": '
    )
    sock.close()
    eventually(lambda: "request gone-mid-body: the client went away" in gateway.output())
    assert "Traceback" not in gateway.output()


def test_unreadable_request_gets_a_coded_400(gateway: Service) -> None:
    sock = connect(gateway)
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    status, _, error = coded_answer(everything_from(sock))
    assert status == 400
    assert error["extensions"] == {"code": "BAD_REQUEST"}


# -- connections ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """At most two connections; idle ones kept long enough not to matter."""
    config = "http_max_connections = 2\nhttp_keep_alive_timeout = 600\n"
    service = serve("small", tmp_path_factory.mktemp("small"), config)
    try:
        yield service
    finally:
        service.stop()


def kept_alive(service: Service) -> socket.socket:
    """A connection that has had one answer and stays open (so the server counts it).

    Retried while refused: a connection of an earlier client may not be closed yet.
    """

    def answered() -> socket.socket | None:
        sock = connect(service)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: tandem\r\n\r\n")
        answer = b""
        while not answer.endswith(b'{"status":"ok"}'):
            chunk = sock.recv(65536)
            if not chunk or answer.startswith(b"HTTP/1.1 503"):
                sock.close()
                return None
            answer += chunk
        return sock

    return eventually(answered)


def test_requests_beyond_the_connection_limit_get_a_coded_503(small_gateway: Service) -> None:
    first, second = kept_alive(small_gateway), kept_alive(small_gateway)
    with httpx.Client(timeout=SAFETY) as client:
        refused = client.get(f"{small_gateway.base_url}/health")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    first.close()
    second.close()

    def answered() -> bool:
        with httpx.Client(timeout=SAFETY) as client:
            return client.get(f"{small_gateway.base_url}/health").status_code == 200

    eventually(answered)


def test_capacity_refusals_are_one_warning_per_interval_with_their_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    capacity = CapacityLog(interval=10.0)
    with caplog.at_level(logging.WARNING, logger="tandem.http.server"):
        for now in (100.0, 101.0, 105.0, 110.0, 111.0):
            capacity.refused(now, 2)
    assert [record.getMessage() for record in caplog.records] == [
        "more than 2 open connections: 1 request(s) answered 503 since the last warning",
        "more than 2 open connections: 3 request(s) answered 503 since the last warning",
    ]
