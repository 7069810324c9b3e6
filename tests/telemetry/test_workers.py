"""``tandem serve --workers 2``: a scrape reaching either worker counts the operations both
answered (prometheus-client's multiprocess mode), and sign-in with several workers needs the
shared session store."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.settings import SettingsError, load_settings
from tests.support.gateway_process import running_gateway
from tests.telemetry.test_metrics import WHO, value

ASKED = 40


def test_every_worker_counts_in_every_scrape(demo_supergraph: Path, tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"stale")  # an earlier run's file: removed at start
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "TANDEM_DATA_DIR": str(tmp_path)}
    with running_gateway(demo_supergraph, "--workers", "2", env=env) as url:
        for _ in range(ASKED):  # a new connection each: the kernel spreads them over workers
            with httpx.Client() as client:
                answer = client.post(url, json={"query": WHO, "variables": {"id": "1"}})
                assert answer.status_code == 200 and "errors" not in answer.json()
        writers = {path.name.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}
        assert len(writers) == 2, writers  # both workers answered operations
        for _ in range(6):  # whichever worker a scrape reaches
            with httpx.Client() as client:
                text = client.get(url.replace("/graphql", "/metrics")).text
            counted = value(
                text, "tandem_requests_total", operation="Who", kind="query", outcome="success"
            )
            assert counted == ASKED
    assert not (folder / "counter_1.db").exists()


def test_sign_in_with_several_workers_needs_the_shared_session_store() -> None:
    sign_in = {
        "oidc_issuer": "https://idp.example",
        "oidc_client_id": "tandem",
        "oidc_redirect_uri": "https://tandem.example/auth/callback",
        "workers": 2,
    }
    with pytest.raises(SettingsError, match="redis_url required with oidc_issuer"):
        load_settings(None, sign_in)
    assert load_settings(None, {**sign_in, "redis_url": "redis://127.0.0.1:6379/0"}).workers == 2
