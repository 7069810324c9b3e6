"""``tandem config`` and start-up as an operator meets them: a wrong setting is one line naming
it and exit code 2, never a traceback; the README's reference is the model's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.config_cli import README_BEGIN, README_END, reference_table

REPO = Path(__file__).resolve().parents[2]
TANDEM = [str(Path(sys.executable).with_name("tandem"))]


def _tandem(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return subprocess.run(
        [*TANDEM, *args],
        env={**env, **variables},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_config_check_names_a_wrong_setting_with_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text('supergraph = "subgraphs/supergraph.graphql"\nport = 99999\n')
    result = _tandem("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "setting port (TANDEM_PORT)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout

    result = _tandem("config", "check", TANDEM_SCHEMA_VISIBILITY="partial")
    assert result.returncode == 2
    assert "setting schema_visibility (TANDEM_SCHEMA_VISIBILITY)" in result.stderr


def test_config_check_reads_what_start_up_would_read(tmp_path: Path) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text(
        'supergraph = "subgraphs/supergraph.graphql"\npolicy_dir = "policies"\n'
        '[subgraph_urls]\nwarehouse = "http://warehouse:4000/graphql"\n'
    )
    result = _tandem("config", "check", "--config", str(config))
    assert result.returncode == 2
    assert "setting subgraph_urls (TANDEM_SUBGRAPH_URLS): unknown subgraph(s) warehouse" in (
        result.stderr
    )
    config.write_text('supergraph = "subgraphs/supergraph.graphql"\npolicy_dir = "policies"\n')
    result = _tandem("config", "check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout and "policy policies" in result.stdout


def test_production_without_its_keys_names_each_missing_setting(tmp_path: Path) -> None:
    """The first-wave gateway stopped with a 41-line traceback here."""
    result = _tandem(
        "serve",
        "--supergraph",
        "subgraphs/supergraph.graphql",
        "--policy",
        "policies",
        "--port",
        "0",
        TANDEM_ENV="production",
        TANDEM_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "tandem: required in production:"
    named = [line.split(":")[0].strip() for line in lines[1:]]
    assert named == [
        "setting gateway_key_file (TANDEM_GATEWAY_KEY_FILE)",
        "setting keyring_file (TANDEM_KEYRING_FILE)",
        "setting master_key (TANDEM_MASTER_KEY)",
    ]


def test_production_without_a_policy_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "tandem.toml"
    config.write_text('supergraph = "subgraphs/supergraph.graphql"\n')
    result = _tandem("config", "check", "--config", str(config), TANDEM_ENV="production")
    assert result.returncode == 2
    assert "required in production" in result.stderr
    assert "setting policy_dir (TANDEM_POLICY_DIR): without a policy" in result.stderr


def test_config_show_prints_the_effective_settings_without_secrets(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("very-secret-client-secret")
    result = _tandem(
        "config",
        "show",
        TANDEM_PORT="4123",
        TANDEM_OIDC_CLIENT_SECRET_FILE=str(secret),
    )
    assert result.returncode == 0, result.stderr
    assert "port = 4123" in result.stdout.splitlines()
    assert 'oidc_client_secret = "<redacted>"' in result.stdout.splitlines()
    assert "very-secret-client-secret" not in result.stdout


def test_the_readme_reference_is_generated_from_the_model() -> None:
    """Run ``tandem config reference`` and paste its output into the README when this fails."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index(README_BEGIN)
    end = readme.index(README_END) + len(README_END)
    assert readme[start:end] == reference_table()
