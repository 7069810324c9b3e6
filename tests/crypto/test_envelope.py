"""Envelopes: sealed by a writer with public keys only, opened by the gateway's keyring; a
tampered, swapped or foreign envelope never opens (DecryptionFailed, never a wrong value)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.crypto.errors import DecryptionFailed
from gateway.crypto.keyring import FieldKeyring
from tandem_shared import crypto
from tandem_shared.crypto import Sealer, parse_envelope
from tandem_shared.crypto_keys import (
    KeyringError,
    LocalKEK,
    PublicKeyring,
    b64decode,
    b64encode,
    create_keyring,
    load_keyring,
)

KEK = LocalKEK(b"k" * 32)


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    path = tmp_path / "keyring.json"
    create_keyring(path, KEK)
    return path


@pytest.fixture
def sealer(keyring_file: Path) -> Sealer:
    return Sealer(PublicKeyring(keyring_file))


@pytest.fixture
def keyring(keyring_file: Path) -> FieldKeyring:
    return FieldKeyring(keyring_file, KEK)


def test_a_value_round_trips_and_its_envelope_says_format_and_key(
    sealer: Sealer, keyring: FieldKeyring
) -> None:
    envelope = sealer.seal("Employee", "emp-001", "idCardNumber", "310101197002020013")
    version, kid, *parts = envelope.split(".")
    assert (version, kid, len(parts)) == ("t1", load_keyring(keyring.path).active, 3)
    assert "310101197002020013" not in envelope
    opened = keyring.open(envelope, "Employee", "emp-001", "idCardNumber")
    assert (opened.plaintext, opened.kid) == ("310101197002020013", kid)


def test_the_same_value_seals_differently_each_time(sealer: Sealer) -> None:
    first = sealer.seal("Employee", "emp-001", "phone", "+86 139 0001 7919")
    second = sealer.seal("Employee", "emp-001", "phone", "+86 139 0001 7919")
    assert first != second
    # one data key serves many values: the sealed key part is shared, the nonces differ
    assert first.split(".")[2] == second.split(".")[2]
    assert first.split(".")[3] != second.split(".")[3]


def test_unicode_and_empty_values_round_trip(sealer: Sealer, keyring: FieldKeyring) -> None:
    for value in ("", "张伟 · 6222", "x" * 1000):
        envelope = sealer.seal("Supplier", "sup-01", "bankAccount", value)
        assert keyring.open(envelope, "Supplier", "sup-01", "bankAccount").plaintext == value


@pytest.mark.parametrize("part", [2, 3, 4])
def test_any_flipped_bit_fails(sealer: Sealer, keyring: FieldKeyring, part: int) -> None:
    envelope = sealer.seal("Employee", "emp-001", "idCardNumber", "310101197002020013")
    parts = envelope.split(".")
    raw = bytearray(b64decode(parts[part]))
    for position in (0, len(raw) // 2, len(raw) - 1):
        flipped = bytearray(raw)
        flipped[position] ^= 0x01
        tampered = ".".join([*parts[:part], b64encode(bytes(flipped)), *parts[part + 1 :]])
        with pytest.raises(DecryptionFailed):
            keyring.open(tampered, "Employee", "emp-001", "idCardNumber")


@pytest.mark.parametrize(
    ("entity", "entity_id", "field"),
    [
        ("Employee", "emp-002", "idCardNumber"),  # another row
        ("Employee", "emp-001", "phone"),  # another field of the row
        ("Customer", "emp-001", "idCardNumber"),  # another type
    ],
)
def test_a_moved_envelope_does_not_open(
    sealer: Sealer, keyring: FieldKeyring, entity: str, entity_id: str, field: str
) -> None:
    envelope = sealer.seal("Employee", "emp-001", "idCardNumber", "310101197002020013")
    with pytest.raises(DecryptionFailed, match="does not authenticate"):
        keyring.open(envelope, entity, entity_id, field)


def test_the_key_id_is_authenticated_too(
    sealer: Sealer, keyring: FieldKeyring, keyring_file: Path
) -> None:
    envelope = sealer.seal("Employee", "emp-001", "phone", "+86 139 0001 7919")
    relabelled = envelope.replace(envelope.split(".")[1], "k20000101-000000", 1)
    with pytest.raises(DecryptionFailed, match="no usable key"):
        keyring.open(relabelled, "Employee", "emp-001", "phone")


@pytest.mark.parametrize(
    "text",
    ["", "310101197002020013", "t1.k1.AAAA.AAAA.AAAA", "t2.k1.a.b.c", "t1..a.b.c", None, 42],
)
def test_what_is_not_an_envelope_is_refused(keyring: FieldKeyring, text: object) -> None:
    assert parse_envelope(text) is None  # type: ignore[arg-type]
    with pytest.raises(DecryptionFailed, match="not an envelope"):
        keyring.open(text, "Employee", "emp-001", "phone")  # type: ignore[arg-type]


def test_an_envelope_of_another_keyring_does_not_open(
    sealer: Sealer, tmp_path: Path, keyring: FieldKeyring
) -> None:
    other = tmp_path / "other.json"
    create_keyring(other, KEK)
    foreign = Sealer(PublicKeyring(other)).seal("Employee", "emp-001", "phone", "123456")
    with pytest.raises(DecryptionFailed):
        keyring.open(foreign, "Employee", "emp-001", "phone")


def test_a_wrong_master_key_cannot_load_the_keyring(keyring_file: Path) -> None:
    with pytest.raises(KeyringError, match="does not unwrap"):
        FieldKeyring(keyring_file, LocalKEK(b"x" * 32))


def test_a_private_key_moved_to_another_key_version_does_not_unwrap(keyring_file: Path) -> None:
    document = json.loads(keyring_file.read_text())
    document["keys"][0]["kid"] = "k20000101-abcdef"
    document["active"] = "k20000101-abcdef"
    keyring_file.write_text(json.dumps(document))
    with pytest.raises(KeyringError, match="does not unwrap"):
        FieldKeyring(keyring_file, KEK)


def test_a_writer_makes_a_new_data_key_after_its_budget(
    sealer: Sealer, keyring: FieldKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(crypto, "MAX_USES_PER_DEK", 3)
    envelopes = [sealer.seal("Employee", f"emp-{i}", "phone", str(i)) for i in range(7)]
    assert len({e.split(".")[2] for e in envelopes}) == 3
    for i, envelope in enumerate(envelopes):
        assert keyring.open(envelope, "Employee", f"emp-{i}", "phone").plaintext == str(i)


def test_the_keyring_file_holds_no_private_key_in_the_clear(keyring_file: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    record = load_keyring(keyring_file).keys[0]
    private = record.private_key(KEK).private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    text = keyring_file.read_text()
    assert b64encode(private) not in text and private.hex() not in text
