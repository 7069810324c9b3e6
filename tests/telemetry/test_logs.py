"""Logs: ``tandem serve`` with ``log_format=json`` and ``log_level=info`` writes one JSON line
per GraphQL operation (request id as the client got it, operation name and document hash,
caller, status, outcome, duration, subgraph timings), and its other lines as JSON too; the
text format carries the same fields as ``key=value``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.telemetry.logs import FIELDS, JsonFormatter, TextFormatter, configure_logging
from tests.e2e.stack import eventually
from tests.support.gateway_process import running_gateway_process

WHO = "query Who($id: ID!) { employee(id: $id) { name } }"
DEV = {"x-tandem-dev-user": "emp-042", "x-tandem-dev-roles": "employee"}


def test_tandem_serve_writes_one_json_line_per_operation(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    env = {
        "TANDEM_LOG_FORMAT": "json",
        "TANDEM_LOG_LEVEL": "info",
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_DATA_DIR": str(tmp_path),
    }
    with running_gateway_process(demo_supergraph, env=env) as (url, child):
        response = httpx.post(
            url,
            json={"query": WHO, "variables": {"id": "1"}},
            headers={**DEV, "x-request-id": "client-chosen-42"},
        )
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "client-chosen-42"

        def request_line() -> dict[str, object] | None:
            for line in child.output().splitlines():
                if line.startswith("{") and '"tandem.request"' in line:
                    entry = orjson.loads(line)
                    if entry.get("request_id") == "client-chosen-42":
                        return entry  # type: ignore[no-any-return]
            return None

        entry = eventually(request_line)
        output = child.output()
    assert entry["level"] == "info" and entry["message"] == "request"
    assert entry["operation_name"] == "Who" and entry["operation_kind"] == "query"
    assert entry["document_hash"] == hashlib.sha256(WHO.encode()).hexdigest()
    assert entry["subject"] == "emp-042"
    assert entry["status"] == 200 and entry["outcome"] == "success"
    assert isinstance(entry["duration_ms"], float)
    (timing,) = entry["subgraphs"]  # type: ignore[misc]
    assert timing["subgraph"] == "people" and timing["ms"] >= 0
    # every line the server writes (uvicorn's included) is JSON
    lines = [line for line in output.splitlines() if line.strip()]
    assert any('"uvicorn' in line for line in lines)
    assert all(line.startswith("{") for line in lines if not line.startswith("tandem: serving"))


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    formatters = [handler.formatter for handler in handlers]
    yield root
    root.handlers[:] = handlers
    for handler, formatter in zip(handlers, formatters, strict=True):
        handler.setFormatter(formatter)
    root.setLevel(level)


def test_configure_logging_sets_the_level_and_the_format(root_logger: logging.Logger) -> None:
    configure_logging("info", "json")
    assert root_logger.level == logging.INFO
    assert all(isinstance(h.formatter, JsonFormatter) for h in root_logger.handlers)
    configure_logging("warning", "text")
    assert root_logger.level == logging.WARNING
    assert all(isinstance(h.formatter, TextFormatter) for h in root_logger.handlers)


def test_the_text_format_carries_the_fields_as_key_value_pairs() -> None:
    record = logging.LogRecord("tandem.request", logging.INFO, __file__, 1, "request", (), None)
    setattr(record, FIELDS, {"request_id": "abc-1", "status": 200, "subject": None, "ms": [1]})
    line = TextFormatter().format(record)
    assert line.endswith("tandem.request: request request_id=abc-1 status=200 ms=[1]")
    entry = orjson.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "abc-1" and entry["status"] == 200 and entry["subject"] is None
