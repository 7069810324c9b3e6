"""The shipped policy passes its own tools, run as users run them: ``tandem policy check
policies`` and ``tandem policy test policies/tests`` from a checkout, exit status 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tandem(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("tandem")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "gateway.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_policy_check_passes_on_the_shipped_policy_without_a_warning() -> None:
    done = tandem("policy", "check", "policies")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    [summary] = done.stdout.splitlines()  # one line: no problem, no warning
    assert summary.startswith("policies/policy.csv: no problems (")


def test_policy_test_passes_every_shipped_case() -> None:
    done = tandem("policy", "test", "policies/tests")
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    lines = done.stdout.splitlines()
    assert lines[-1].endswith(" passed, 0 failed") and not lines[-1].startswith("0 passed")
    assert all(line.startswith("PASS  ") for line in lines[:-1])


def test_outside_a_checkout_the_supergraph_must_be_named(tmp_path: Path) -> None:
    done = tandem("policy", "check", str(ROOT / "policies"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "tandem policy: --supergraph is required here: "
        "no subgraphs/supergraph.graphql in the working directory\n"
    )
    supergraph = str(ROOT / "subgraphs" / "supergraph.graphql")
    done = tandem(
        "policy", "check", str(ROOT / "policies"), "--supergraph", supergraph, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout
