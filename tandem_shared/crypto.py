"""Encrypted fields, the writer's half: envelopes, sealing to the keyring, blind indexes.

An *envelope* is the text a subgraph stores and returns for a marked field::

    t1.<kid>.<sealed data key>.<nonce>.<ciphertext>      (each part base64url, no padding)

- ``t1``: the format version; ``kid``: the key version (``tandem_shared.crypto_keys``).
- *sealed data key*: a random AES-256 data key (DEK), sealed with HPKE (RFC 9180: X25519,
  HKDF-SHA256, AES-256-GCM; ``info`` binds the format and ``kid``) to the key version's public
  key. A writer makes one DEK and reuses it for many values; only a holder of the key
  version's private key (the gateway, ``tandem keys``) can open it.
- *nonce* (96 random bits) and *ciphertext*: AES-256-GCM of the value under the DEK, with
  associated data ``["t1", kid, entity type, entity id, field]`` (JSON): the envelope of
  ``Employee emp-001 idCardNumber`` does not open as another row's or another field's.

So subgraphs can write marked fields and never read them. Everything here comes from
``cryptography`` (HPKE, AESGCM, HMAC); no cipher is implemented here.

A *blind index* is ``HMAC-SHA256(index key, coordinate + "\\x00" + normalized value)``: a
column beside the envelope that equality lookups compare with, so a subgraph finds a row by
a value it stores only encrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from tandem_shared.crypto_keys import PublicKeyring, b64decode, b64encode

__all__ = [
    "DEK_SEAL",
    "ENVELOPE_VERSION",
    "SPEC_URL",
    "BlindIndex",
    "Envelope",
    "Sealer",
    "associated_data",
    "dek_info",
    "index_form",
    "is_envelope",
    "parse_envelope",
]

SPEC_URL: Final = "https://specs.tandem.dev/encryption/v0.1"
"""Links the ``@encrypted`` and ``@encryptedInput`` directives that mark envelope fields in a
subgraph's schema (``subgraphs.common.crypto_schema`` declares them, the gateway reads them)."""
ENVELOPE_VERSION: Final = "t1"
DEK_SEAL: Final = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
"""HPKE base mode, single shot (RFC 9180 section 6)."""
SEALED_DEK_BYTES: Final = 32 + 32 + 16  # X25519 enc, the key, the GCM tag
NONCE_BYTES: Final = 12
MAX_USES_PER_DEK: Final = 1 << 20
"""A writer makes a new data key after this many values (random 96-bit nonces stay far from
the 2**32 bound NIST SP 800-38D sets per key)."""
_PART: Final = r"([A-Za-z0-9_-]+)"
_ENVELOPE: Final = re.compile(rf"^t1\.([a-z0-9][a-z0-9-]{{0,40}})\.{_PART}\.{_PART}\.{_PART}$")


@dataclass(frozen=True, slots=True)
class Envelope:
    kid: str
    sealed_dek: bytes
    nonce: bytes
    ciphertext: bytes

    def text(self) -> str:
        parts = (self.sealed_dek, self.nonce, self.ciphertext)
        return ".".join((ENVELOPE_VERSION, self.kid, *(b64encode(p) for p in parts)))


def parse_envelope(text: str) -> Envelope | None:
    """The envelope ``text`` is, or None if it is not one (never raises)."""
    match = _ENVELOPE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    try:
        sealed, nonce, ciphertext = (b64decode(match.group(i)) for i in (2, 3, 4))
    except ValueError:
        return None
    if len(sealed) != SEALED_DEK_BYTES or len(nonce) != NONCE_BYTES or len(ciphertext) < 16:
        return None
    return Envelope(match.group(1), sealed, nonce, ciphertext)


def is_envelope(value: object) -> bool:
    return isinstance(value, str) and parse_envelope(value) is not None


def associated_data(kid: str, entity: str, entity_id: str, field: str) -> bytes:
    """What a value's ciphertext is bound to: format, key version, entity type, id and field."""
    return json.dumps([ENVELOPE_VERSION, kid, entity, entity_id, field]).encode()


def dek_info(kid: str) -> bytes:
    """HPKE ``info`` for sealing a data key to key version ``kid``."""
    return f"tandem-dek/{ENVELOPE_VERSION}|{kid}".encode()


@dataclass(slots=True)
class _DataKey:
    kid: str
    sealed: bytes
    aead: AESGCM
    uses: int = 0


class Sealer:
    """Seals values to the keyring's active key version (the writer: a subgraph, a rewrap)."""

    def __init__(self, keyring: PublicKeyring) -> None:
        self.keyring = keyring
        self._lock = threading.Lock()
        self._dek: _DataKey | None = None

    def seal(self, entity: str, entity_id: str, field: str, plaintext: str) -> str:
        """The envelope of ``plaintext`` as ``entity`` ``entity_id``'s ``field``."""
        kid, public_key = self.keyring.active()
        with self._lock:
            dek = self._dek
            if dek is None or dek.kid != kid or dek.uses >= MAX_USES_PER_DEK:
                dek = self._dek = _new_data_key(kid, public_key)
            dek.uses += 1
        nonce = os.urandom(NONCE_BYTES)
        aad = associated_data(kid, entity, entity_id, field)
        ciphertext = dek.aead.encrypt(nonce, plaintext.encode("utf-8"), aad)
        return Envelope(kid, dek.sealed, nonce, ciphertext).text()


def _new_data_key(kid: str, public_key: X25519PublicKey) -> _DataKey:
    key = AESGCM.generate_key(bit_length=256)
    sealed = DEK_SEAL.encrypt(key, public_key, info=dek_info(kid))
    return _DataKey(kid, sealed, AESGCM(key))


class BlindIndex:
    """Equality tokens for a field's values: HMAC-SHA256 under the index key, per coordinate."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the blind-index key must be 32 bytes")
        self._key = key

    def token(self, coordinate: str, normalized: str) -> str:
        message = coordinate.encode() + b"\x00" + normalized.encode("utf-8")
        return b64encode(hmac.new(self._key, message, hashlib.sha256).digest())


def index_form(value: str) -> str:
    """What a blind index hashes: no whitespace, upper case."""
    return "".join(value.split()).upper()
