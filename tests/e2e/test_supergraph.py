"""The committed OA + ERP supergraph (what ``tandem dev`` serves) is what ``subgraphs/compose.sh``
composes from the subgraphs' ``_service`` SDL today, read with the composition credential."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.supergraph import load_supergraph
from tests.e2e.stack import SUPERGRAPH, Stack
from tests.support.processes import REPO_ROOT

COMPOSER = REPO_ROOT / "tools" / "compose"


def composer_installed() -> bool:
    return (
        shutil.which("node") is not None
        and (COMPOSER / "node_modules" / "@theguild" / "federation-composition").is_dir()
    )


needs_composer = pytest.mark.skipif(
    not composer_installed(),
    reason="the composer is not installed (npm install --prefix tools/compose)",
)


def test_the_committed_supergraph_joins_oa_and_erp_on_their_default_ports() -> None:
    supergraph = load_supergraph(SUPERGRAPH)
    assert {graph.name: graph.url for graph in supergraph.graphs.values()} == {
        "oa": "http://127.0.0.1:4201/graphql",
        "erp": "http://127.0.0.1:4202/graphql",
    }


@needs_composer
def test_the_committed_supergraph_is_up_to_date(tmp_path: Path) -> None:
    output = tmp_path / "supergraph.graphql"
    composed = subprocess.run(
        ["bash", str(REPO_ROOT / "subgraphs" / "compose.sh"), str(output)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert composed.returncode == 0, composed.stderr
    assert output.read_text(encoding="utf-8") == SUPERGRAPH.read_text(encoding="utf-8"), (
        "subgraphs/supergraph.graphql is stale: run subgraphs/compose.sh and commit the result"
    )


@needs_composer
def test_the_composer_says_when_a_subgraph_wants_its_credential(stack: Stack) -> None:
    refused = subprocess.run(
        ["node", str(COMPOSER / "compose.mjs"), "--header", "x-tandem-composition-key: guess",
         f"oa={stack.oa.url}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 3, refused.stderr
    assert "HTTP 401" in refused.stderr and "--header-env" in refused.stderr
