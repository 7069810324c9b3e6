"""The subgraph app: settings from the environment, dev keys, lifespan state, and ``serve``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from subgraphs.common.settings import Environment, SettingsError, SubgraphSettings
from tandem_shared.keys import load_or_create_dev_key
from tests.common.forge import ALICE
from tests.common.lifespan import running
from tests.common.sample_subgraph import build_app
from tests.common.signing import signed
from tests.support.spawn import http_answers, spawn

NEXT = 'mutation { nextOrderNo(period: "202611") }'


@pytest.mark.anyio
async def test_lifespan_state_reaches_resolvers_and_the_dev_key_is_shared(tmp_path: Path) -> None:
    settings = SubgraphSettings(name="sample", data_dir=tmp_path)
    app = build_app(settings)
    key_file = tmp_path / "dev-gateway-key.pem"
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o777 == 0o600

    key = load_or_create_dev_key(key_file)
    async with running(app) as client:
        answers = [
            await client.post("/graphql", **signed(key, "sample", ALICE, {"query": NEXT}))
            for _ in range(2)
        ]
    assert [a.json() for a in answers] == [
        {"data": {"nextOrderNo": "PO-202611-0001"}},
        {"data": {"nextOrderNo": "PO-202611-0002"}},
    ]
    assert (tmp_path / "sample.db").exists()


def test_production_needs_the_gateway_public_key(tmp_path: Path) -> None:
    settings = SubgraphSettings(
        name="sample", data_dir=tmp_path, environment=Environment.PRODUCTION
    )
    with pytest.raises(SettingsError, match="TANDEM_GATEWAY_PUBLIC_KEY_FILE"):
        build_app(settings)
    assert not (tmp_path / "dev-gateway-key.pem").exists()


@pytest.fixture
def served(tmp_path: Path, free_tcp_port: int) -> Iterator[str]:
    """``python -m tests.common.sample_subgraph`` as a real process; yields its base URL."""
    env = {**os.environ, "TANDEM_DATA_DIR": str(tmp_path), "TANDEM_COMPOSITION_SECRET": "c"}
    command = [sys.executable, "-m", "tests.common.sample_subgraph", "--port",
               str(free_tcp_port), "--log-level", "warning"]  # fmt: skip
    url = f"http://127.0.0.1:{free_tcp_port}"
    child = spawn("the sample subgraph", command, env=env)
    try:
        child.wait_ready(http_answers(f"{url}/health"), timeout=30)
        yield url
    finally:
        child.stop(grace=10)


def test_serve_runs_a_guarded_subgraph_over_http(served: str, tmp_path: Path) -> None:
    key = load_or_create_dev_key(tmp_path / "dev-gateway-key.pem")
    graphql = f"{served}/graphql"

    me = httpx.post(graphql, **signed(key, "sample", ALICE, {"query": "{ me }"}))
    anonymous = httpx.post(graphql, json={"query": "{ me }"})
    sdl = httpx.post(
        graphql, json={"query": "{ _service { sdl } }"}, headers={"x-tandem-composition-key": "c"}
    )
    misdirected = httpx.post(graphql, **signed(key, "oa", ALICE, {"query": "{ me }"}))

    assert me.json() == {"data": {"me": "Alice Li"}}
    assert anonymous.status_code == 401
    assert "nextOrderNo(period: String!): String!" in sdl.json()["data"]["_service"]["sdl"]
    assert misdirected.status_code == 401
