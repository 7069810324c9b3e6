"""The npm ``graphql-ws`` and ``graphql-sse`` clients (what browser and Node applications use)
against ``tandem serve``: ``tests/subscriptions/js/clients.mjs`` runs one operation and prints
each result. The clients are installed into ``tests/subscriptions/js/node_modules`` on first
use (git-ignored; no lock file is written)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.subscriptions.conftest import Stack
from tests.subscriptions.test_websocket import AUDITOR, TICKS, VIEWER

CLIENTS = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the npm clients")
    if not (CLIENTS / "node_modules" / "graphql-ws").exists():
        subprocess.run(
            [npm, "install", "--no-package-lock", "--no-audit", "--no-fund"],
            cwd=CLIENTS,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return node


def run_client(
    node: str, mode: str, url: str, operation: dict[str, Any], credentials: dict[str, str]
) -> list[dict[str, Any]]:
    done = subprocess.run(
        [node, "clients.mjs", mode, url, json.dumps(operation), json.dumps(credentials)],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_graphql_ws_client_receives_completed_events(node: str, stack: Stack) -> None:
    printed = run_client(
        node, "ws", stack.websocket, {"query": TICKS, "variables": {"count": 3}}, VIEWER
    )
    assert printed == [
        *({"data": {"ticks": {"n": n, "label": f"label of tick-{n}"}}} for n in (1, 2, 3)),
        {"complete": True},
    ]


def test_graphql_ws_client_gets_field_authorization_per_event(node: str, stack: Stack) -> None:
    operation = {"query": "subscription { ticks(count: 2) { n secret } }"}
    viewer = run_client(node, "ws", stack.websocket, operation, VIEWER)
    assert [r["data"] for r in viewer[:-1]] == [
        {"ticks": {"n": 1, "secret": None}},
        {"ticks": {"n": 2, "secret": None}},
    ]
    assert {r["errors"][0]["extensions"]["code"] for r in viewer[:-1]} == {"FORBIDDEN"}
    auditor = run_client(node, "ws", stack.websocket, operation, AUDITOR)
    assert auditor[0] == {"data": {"ticks": {"n": 1, "secret": "secret of tick-1"}}}


def test_graphql_ws_client_sees_a_refused_operations_coded_errors(node: str, stack: Stack) -> None:
    operation = {"query": "subscription { ticks(count: 1) { nope } }"}
    (printed,) = run_client(node, "ws", stack.websocket, operation, VIEWER)
    assert printed["error"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_graphql_ws_client_sees_the_coded_close_of_refused_credentials(
    node: str, stack: Stack
) -> None:
    operation = {"query": TICKS, "variables": {"count": 1}}
    (printed,) = run_client(node, "ws", stack.websocket, operation, {"x-tandem-dev-user": "a b"})
    assert printed["error"]["code"] in (4401, 4403) and printed["error"]["reason"].isupper()


def test_graphql_sse_client_receives_completed_events(node: str, stack: Stack) -> None:
    printed = run_client(
        node, "sse", stack.gateway, {"query": TICKS, "variables": {"count": 2}}, VIEWER
    )
    assert printed == [
        *({"data": {"ticks": {"n": n, "label": f"label of tick-{n}"}}} for n in (1, 2)),
        {"complete": True},
    ]
