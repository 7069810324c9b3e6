"""``python -m subgraphs.oa`` as a real process: seeded on start-up, guarded, composable."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tandem_shared.keys import load_or_create_dev_key
from tandem_shared.tokens import Principal
from tests.common.signing import signed
from tests.support.processes import free_port
from tests.support.spawn import http_answers, spawn

CEO = Principal("emp-001", "CEO", ("employee", "manager"), "dept-01")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The OA subgraph on a free port with its SQLite file in ``tmp_path``; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(tmp_path),
        "TANDEM_OA_SEED": "1",
        "TANDEM_COMPOSITION_SECRET": "compose-me",
    }
    env.pop("TANDEM_OA_DATABASE_URL", None)
    command = [sys.executable, "-m", "subgraphs.oa", "--port", str(port), "--log-level", "warning"]
    url = f"http://127.0.0.1:{port}"
    child = spawn("the OA subgraph", command, env=env)
    try:
        child.wait_ready(http_answers(f"{url}/health"), timeout=30)
        yield url
    finally:
        child.stop(grace=10)


def test_the_process_serves_the_seeded_company(served: str, tmp_path: Path) -> None:
    key = load_or_create_dev_key(tmp_path / "dev-gateway-key.pem")
    graphql = f"{served}/graphql"

    me = httpx.post(
        graphql,
        **signed(key, "oa", CEO, {"query": "{ me { employeeNo title department { code } } }"}),
    )
    sdl = httpx.post(
        graphql,
        json={"query": "{ _service { sdl } }"},
        headers={"x-tandem-composition-key": "compose-me"},
    )
    anonymous = httpx.post(graphql, json={"query": "{ me { id } }"})

    assert me.json() == {
        "data": {
            "me": {
                "employeeNo": "EMP-000001",
                "title": "Chief Executive Officer",
                "department": {"code": "EXEC"},
            }
        }
    }
    assert 'type ApprovalRequest @key(fields: "id")' in sdl.json()["data"]["_service"]["sdl"]
    assert anonymous.status_code == 401
    assert (tmp_path / "oa.db").exists()
