"""No HTTP answer without a code, and a request id on every answer (issue 11, item 5).

The gateway runs as a process built as ``tandem serve`` builds it, with two routes that fail
the way a bug would (``tests/support/failing_gateway.py``): the client gets a coded 500 with
the request id and nothing of the exception; the log gets the stack, once, with that id.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.e2e.stack import Service, eventually, service_env
from tests.support.failing_gateway import SECRET
from tests.support.processes import REPO_ROOT, free_port

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"
APP_ORIGIN = "https://app.tandem.test"


def _healthy(client: httpx.Client, base_url: str) -> bool:
    return client.get(f"{base_url}/health").status_code == 200


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("failing")
    config = folder / "tandem.toml"
    config.write_text(
        f'supergraph = "{SUPERGRAPH}"\nlog_level = "info"\ncors_origins = ["{APP_ORIGIN}"]\n'
    )
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "tests.support.failing_gateway",
        "--config",
        str(config),
        "--port",
        str(port),
    ]
    service = Service("failing", command, service_env(), port, folder, _healthy).start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def client(gateway: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.base_url, timeout=30.0) as client:
        yield client


def test_unexpected_exception_is_a_coded_500_and_its_stack_is_logged_with_the_id(
    gateway: Service, client: httpx.Client
) -> None:
    earlier = len(gateway.output())  # other tests of the module may have logged stacks
    response = client.get("/_fail", headers={"x-request-id": "bug-report-7"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "bug-report-7"
    assert response.json() == {
        "errors": [
            {
                "message": "internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "bug-report-7"},
            }
        ]
    }
    assert SECRET not in response.text

    def logged() -> str | None:
        output = gateway.output()
        return output if SECRET in output else None

    log = eventually(logged)[earlier:]
    line = log.index("request bug-report-7 failed: unexpected error")
    stack = log[line:]
    assert stack.index("Traceback") < stack.index(SECRET)  # the stack follows the id's line
    assert log.count("Traceback") == 1  # not again by Starlette or uvicorn
    assert "Exception in ASGI application" not in log


def test_exception_after_the_answer_started_is_logged_and_the_connection_closed(
    gateway: Service, client: httpx.Client
) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/_fail-late", headers={"x-request-id": "late-bug"})
    eventually(lambda: "request late-bug failed: unexpected error" in gateway.output())


def test_request_id_is_the_clients_safe_token_or_a_new_one(client: httpx.Client) -> None:
    echoed = client.get("/health", headers={"x-request-id": "trace.ABC-123_x"})
    assert echoed.headers["x-request-id"] == "trace.ABC-123_x"
    made = [
        client.get("/health", headers={"x-request-id": unsafe}).headers["x-request-id"]
        for unsafe in ("has space", "x" * 65, "<script>", "")
    ]
    made.append(client.get("/health").headers["x-request-id"])
    assert len(set(made)) == len(made), made  # a new one each time
    for request_id in made:
        assert re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", request_id), request_id


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/path", 404, "NOT_FOUND"),
        ("PUT", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/health", 405, "METHOD_NOT_ALLOWED"),
    ],
)
def test_starlettes_own_refusals_are_coded(
    client: httpx.Client, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"] == {"code": code}
    assert response.headers["x-request-id"]


def test_a_refused_cors_preflight_is_coded(client: httpx.Client) -> None:
    preflight = {"access-control-request-method": "POST", "origin": "https://evil.test"}
    refused = client.options("/graphql", headers=preflight)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    allowed = client.options("/graphql", headers={**preflight, "origin": APP_ORIGIN})
    assert allowed.status_code == 204


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_under_another_server_the_guard_makes_the_id_and_the_header_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In-process (no uvicorn protocol to choose the id): same answers, same log line."""

    async def fail(request: Request) -> Response:
        raise RuntimeError(SECRET)

    gateway = Gateway(load_supergraph(SUPERGRAPH))
    app = create_app(gateway, extra_routes=[Route("/_fail", fail)])
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tandem.test") as client:
            ok = await client.get("/health", headers={"x-request-id": "in-process-1"})
            with caplog.at_level(logging.ERROR, logger="tandem.http"):
                failed = await client.get("/_fail")
    finally:
        await gateway.close()
    assert ok.headers["x-request-id"] == "in-process-1"
    request_id = failed.headers["x-request-id"]
    assert failed.status_code == 500
    assert failed.json()["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": request_id,
    }
    [record] = caplog.records
    assert record.getMessage() == f"request {request_id} failed: unexpected error"
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
