"""``tandem keys provision``: the init step creates every secret once, keeps what is there,
re-derives the public copies, and refuses modes that would let others write a secret."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gateway.crypto.keys_cli import main as keys
from gateway.crypto.provision import FILES, check, provision
from tandem_shared.crypto_keys import KeyringError


def contents(directory: Path) -> dict[str, str]:
    return {name: (directory / name).read_text() for name in FILES}


def test_a_second_run_keeps_every_secret_and_the_modes(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    first = provision(secrets)
    assert set(first) == set(FILES) and "kept" not in first.values()
    before = contents(secrets)
    (secrets / "keyring.public.json").unlink()
    again = provision(secrets)
    assert again["master.key"] == again["keyring.json"] == again["gateway-key.pem"] == "kept"
    assert contents(secrets) == before  # the public copy derived again, identical
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert {stat.S_IMODE((secrets / n).stat().st_mode) for n in FILES} == {0o600}


def test_the_public_keyring_holds_no_private_key_and_fits_the_private_one(tmp_path: Path) -> None:
    provision(tmp_path)
    public = json.loads((tmp_path / "keyring.public.json").read_text())
    private = json.loads((tmp_path / "keyring.json").read_text())
    assert [k["wrapped"] for k in public["keys"]] == [None]
    assert [k["public"] for k in public["keys"]] == [k["public"] for k in private["keys"]]
    assert private["keys"][0]["wrapped"]


def test_the_roles_check_what_they_will_load(tmp_path: Path) -> None:
    provision(tmp_path)
    gateway = {
        "TANDEM_ENV": "production",
        "TANDEM_KEYRING_FILE": str(tmp_path / "keyring.json"),
        "TANDEM_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "TANDEM_GATEWAY_KEY_FILE": str(tmp_path / "gateway-key.pem"),
    }
    assert check("gateway", gateway)
    subgraph = {
        "TANDEM_ENV": "production",
        "TANDEM_KEYRING_FILE": str(tmp_path / "keyring.public.json"),
        "TANDEM_BLIND_INDEX_KEY_FILE": str(tmp_path / "blind-index.key"),
        "TANDEM_GATEWAY_PUBLIC_KEY_FILE": str(tmp_path / "gateway-public.pem"),
    }
    assert check("subgraph", subgraph)
    with pytest.raises(KeyringError, match="no private key"):  # the subgraphs' copy
        check("gateway", {**gateway, "TANDEM_KEYRING_FILE": subgraph["TANDEM_KEYRING_FILE"]})
    other = tmp_path / "other"
    provision(other)
    with pytest.raises(KeyringError, match="does not unwrap"):  # another deploy's master key
        check("gateway", {**gateway, "TANDEM_MASTER_KEY_FILE": str(other / "master.key")})
    with pytest.raises(KeyringError, match="TANDEM_GATEWAY_PUBLIC_KEY_FILE"):
        check("subgraph", {**subgraph, "TANDEM_GATEWAY_PUBLIC_KEY_FILE": str(other / "x")})


def test_a_mode_that_lets_others_write_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert keys(["provision", str(tmp_path / "s"), "--mode", "666"]) == 2
    assert "at most 0644" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()
    assert keys(["provision", str(tmp_path / "s"), "--mode", "644"]) == 0
    assert stat.S_IMODE((tmp_path / "s" / "master.key").stat().st_mode) == 0o644
