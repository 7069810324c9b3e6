"""Gateway keys: P-256 PEM text, and one development pair shared by every process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from subgraphs.common.settings import SettingsError, SubgraphSettings, gateway_public_key
from tandem_shared.keys import (
    generate_private_key,
    key_id,
    load_or_create_dev_key,
    public_key_of,
)


def test_the_dev_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dev-gateway-key.pem"

    first = load_or_create_dev_key(path)
    second = load_or_create_dev_key(path)

    assert first == second
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]


def test_concurrent_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "dev-gateway-key.pem"

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: load_or_create_dev_key(path), range(16)))

    assert len(keys) == 1
    assert list(tmp_path.iterdir()) == [path]


def test_subgraphs_derive_the_public_key_in_development_only(tmp_path: Path) -> None:
    development = SubgraphSettings(name="oa", data_dir=tmp_path)
    public = gateway_public_key(development)
    assert public == public_key_of(load_or_create_dev_key(tmp_path / "dev-gateway-key.pem"))

    given = tmp_path / "gateway.pub"
    given.write_text(public_key_of(generate_private_key()))
    configured = SubgraphSettings(name="oa", data_dir=tmp_path, gateway_public_key_file=given)
    assert gateway_public_key(configured) == given.read_text()


def test_key_ids_are_short_and_stable() -> None:
    private = generate_private_key()
    assert key_id(public_key_of(private)) == key_id(public_key_of(private))
    assert len(key_id(public_key_of(private))) == 16
    assert key_id(public_key_of(private)) != key_id(public_key_of(generate_private_key()))


def test_only_p256_keys_are_gateway_keys() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        public_key_of(p384.decode())


def test_no_key_no_production(tmp_path: Path) -> None:
    from subgraphs.common.settings import Environment

    settings = SubgraphSettings(name="oa", data_dir=tmp_path, environment=Environment.PRODUCTION)
    with pytest.raises(SettingsError):
        gateway_public_key(settings)
