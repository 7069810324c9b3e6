"""Opening envelopes: the keyring's private keys, held by the gateway (and ``tandem keys``).

:class:`FieldKeyring` unwraps every usable key version's private key with the master key when
it loads the keyring file, and loads it again when the file changes (checked when an
envelope names a key version it does not know: a rotation is picked up on its first use).
An envelope's data key is opened with HPKE once and cached (bounded); the value is then one
AES-GCM decryption with the entity binding as associated data
(:func:`tandem_shared.crypto.associated_data`). Whatever goes wrong (not an envelope, an
unknown or retired key, a tampered or moved ciphertext) is :class:`DecryptionFailed`: a
value is decrypted exactly or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tandem_shared.crypto import DEK_SEAL, associated_data, dek_info, parse_envelope
from tandem_shared.crypto_keys import (
    RETIRED,
    KeyEncryptionKey,
    KeyringData,
    keyring_path,
    load_keyring,
    master_key,
)

from ..caching import BoundedCache
from .errors import DecryptionFailed

__all__ = ["FieldKeyring", "Opened"]


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: str
    kid: str


class FieldKeyring:
    """The private half of the keyring; :meth:`open` is the only way to a plaintext."""

    def __init__(self, path: Path, kek: KeyEncryptionKey, *, cache_size: int = 4096) -> None:
        self.path = path
        self.kek = kek
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._private: dict[str, X25519PrivateKey] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._deks: BoundedCache[tuple[str, bytes], AESGCM] = BoundedCache(cache_size)
        self.reload()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FieldKeyring:
        """The keyring and master key the environment names (see ``crypto_keys``)."""
        return cls(keyring_path(environ), master_key(environ))

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._private)

    def reload(self) -> bool:
        """Load the keyring file again if it changed since the last load; True if it did."""
        status = self.path.stat()
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if stamp == self._stamp:
            return False
        data: KeyringData = load_keyring(self.path)
        private = {
            record.kid: record.private_key(self.kek)
            for record in data.keys
            if record.status != RETIRED
        }
        with self._lock:
            if self._private.keys() - private.keys():  # a key retired: its data keys with it
                self._deks.clear()
            self._private = private
            self._stamp = stamp
        return True

    def open(self, text: str, entity: str, entity_id: str, field: str) -> Opened:
        """The plaintext of ``text`` as ``entity`` ``entity_id``'s ``field``."""
        envelope = parse_envelope(text)
        if envelope is None:
            raise DecryptionFailed("not an envelope")
        aead = self._data_key(envelope.kid, envelope.sealed_dek)
        aad = associated_data(envelope.kid, entity, entity_id, field)
        try:
            plaintext = aead.decrypt(envelope.nonce, envelope.ciphertext, aad)
        except InvalidTag:
            raise DecryptionFailed("the ciphertext does not authenticate for this field") from None
        try:
            return Opened(plaintext.decode("utf-8"), envelope.kid)
        except UnicodeDecodeError:  # pragma: no cover - authenticated, so written by a sealer
            raise DecryptionFailed("the plaintext is not UTF-8") from None

    def _data_key(self, kid: str, sealed: bytes) -> AESGCM:
        cache_key = (kid, sealed)
        aead = self._deks.get(cache_key)
        if aead is not None:
            return aead
        private = self._private.get(kid)
        if private is None and self._changed():
            private = self._private.get(kid)
        if private is None:
            raise DecryptionFailed(f"no usable key {kid}")
        try:
            dek = DEK_SEAL.decrypt(sealed, private, info=dek_info(kid))
        except (InvalidTag, ValueError):  # a tampered or moved data key
            raise DecryptionFailed("the data key does not open") from None
        return self._deks.put(cache_key, AESGCM(dek))

    def _changed(self) -> bool:
        try:
            return self.reload()
        except OSError:
            return False
