"""Field-encryption keys: the keyring file, the master key that wraps it, the blind-index key.

A *key version* (``kid``) is an X25519 key pair. Its public half is stored in the keyring in
the clear: subgraphs seal new values to the active version's public key and can never open
them. Its private half is stored wrapped by the *master key* (a
:class:`KeyEncryptionKey`: a local AES-256 key from the environment or a file, or an external
KMS such as Vault transit behind the same Protocol); only the gateway and ``tandem keys``
unwrap it. See ``gateway/crypto/README.md`` for who holds what.

The keyring file (JSON, ``TANDEM_KEYRING_FILE``, default ``<data dir>/keyring.json``)::

    {"format": "tandem-keyring/1", "active": "k20261101-3f9a2c",
     "keys": [{"kid": ..., "created": ..., "status": "active" | "decrypt" | "retired",
               "public": <base64url X25519 public key>,
               "wrapped": <base64url private key wrapped by the master key, null once retired>,
               "kek": <the master key's id>}]}

Settings (read from the environment; in development missing keys are generated under
``TANDEM_DATA_DIR``, default ``.tandem``; ``TANDEM_ENV=production`` generates nothing):

==============================  ==============================================================
``TANDEM_KEYRING_FILE``         the keyring (subgraphs: public halves; gateway: all)
``TANDEM_MASTER_KEY``           base64url of 32 random bytes (gateway and ``tandem keys`` only)
``TANDEM_MASTER_KEY_FILE``      ... or a file holding that text (default ``<data dir>/master.key``)
``TANDEM_BLIND_INDEX_KEY``      base64url of 32 random bytes: the HMAC key of blind indexes
``TANDEM_BLIND_INDEX_KEY_FILE`` ... or a file holding it (default ``<data dir>/blind-index.key``)
==============================  ==============================================================
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ACTIVE",
    "DECRYPT",
    "KEYRING_FORMAT",
    "RETIRED",
    "KeyEncryptionKey",
    "KeyRecord",
    "KeyringData",
    "KeyringError",
    "LocalKEK",
    "PublicKeyring",
    "b64decode",
    "b64encode",
    "blind_index_key",
    "create_keyring",
    "keyring_path",
    "load_keyring",
    "master_key",
    "new_key_version",
    "retire",
    "update_keyring",
]

KEYRING_FORMAT: Final = "tandem-keyring/1"
KID: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
ACTIVE, DECRYPT, RETIRED = "active", "decrypt", "retired"


class KeyringError(Exception):
    """A key or the keyring cannot be used; the message names the setting, never a key."""


def b64encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """The bytes of unpadded base64url ``text``; ValueError on anything else."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- the master key --------------------------------------------------------------------------


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps key material (the master key). ``context`` is bound to the result
    (a wrapped key moved to another key version does not unwrap). A Vault transit key fits:
    ``wrap`` is ``transit/encrypt`` and ``unwrap`` ``transit/decrypt`` with ``context``."""

    @property
    def id(self) -> str: ...

    def wrap(self, key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes: ...


class LocalKEK:
    """A master key held by this process: AES-256-GCM, a random nonce per wrap."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise KeyringError("the master key must be 32 bytes")
        self._aead = AESGCM(key)
        self._id = "local:" + b64encode(hashlib.sha256(b"tandem-kek-id\x00" + key).digest())[:12]

    @property
    def id(self) -> str:
        return self._id

    def wrap(self, key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], context)
        except InvalidTag:
            raise KeyringError("a key does not unwrap with this master key") from None


# -- the keyring file ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRecord:
    kid: str
    created: str
    status: str
    public: bytes
    wrapped: bytes | None
    kek: str

    def private_key(self, kek: KeyEncryptionKey) -> X25519PrivateKey:
        if self.wrapped is None:
            raise KeyringError(f"key {self.kid} is retired")
        raw = kek.unwrap(self.wrapped, _wrap_context(self.kid))
        return X25519PrivateKey.from_private_bytes(raw)


@dataclass(frozen=True, slots=True)
class KeyringData:
    active: str
    keys: tuple[KeyRecord, ...]

    def record(self, kid: str) -> KeyRecord | None:
        return next((key for key in self.keys if key.kid == kid), None)

    def to_json(self) -> str:
        keys = [
            {
                "kid": k.kid,
                "created": k.created,
                "status": k.status,
                "public": b64encode(k.public),
                "wrapped": None if k.wrapped is None else b64encode(k.wrapped),
                "kek": k.kek,
            }
            for k in self.keys
        ]
        document = {"format": KEYRING_FORMAT, "active": self.active, "keys": keys}
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str) -> KeyringData:
        try:
            document = json.loads(text)
            if document.get("format") != KEYRING_FORMAT:
                raise ValueError("format")
            keys = tuple(
                KeyRecord(
                    kid=_kid(item["kid"]),
                    created=str(item["created"]),
                    status=_status(item["status"]),
                    public=b64decode(item["public"]),
                    wrapped=None if item.get("wrapped") is None else b64decode(item["wrapped"]),
                    kek=str(item["kek"]),
                )
                for item in document["keys"]
            )
            active = str(document["active"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyringError(f"{source} is not a {KEYRING_FORMAT} keyring") from None
        data = cls(active, keys)
        record = data.record(active)
        if record is None or record.status != ACTIVE:
            raise KeyringError(f"{source}: the active key is missing or not active")
        return data


def _kid(value: Any) -> str:
    if not isinstance(value, str) or not KID.match(value):
        raise ValueError("kid")
    return value


def _status(value: Any) -> str:
    if value not in (ACTIVE, DECRYPT, RETIRED):
        raise ValueError("status")
    return str(value)


def _wrap_context(kid: str) -> bytes:
    return f"{KEYRING_FORMAT}|{kid}".encode()


def new_key_version(kek: KeyEncryptionKey, *, status: str = ACTIVE) -> KeyRecord:
    """A fresh X25519 key pair, its private half wrapped by ``kek``."""
    kid = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    created = datetime.now(UTC).isoformat(timespec="seconds")
    return KeyRecord(kid, created, status, public, kek.wrap(raw, _wrap_context(kid)), kek.id)


def load_keyring(path: Path) -> KeyringData:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KeyringError(f"cannot read the keyring {path}: {error.strerror}") from None
    return KeyringData.from_json(text, str(path))


def create_keyring(path: Path, kek: KeyEncryptionKey) -> KeyringData:
    """Write a keyring with one active key at ``path`` unless one is there (atomic: of two
    concurrent creators, one wins and both return its keyring)."""
    first = new_key_version(kek)
    _create_file(path, KeyringData(first.kid, (first,)).to_json())
    return load_keyring(path)


@contextlib.contextmanager
def update_keyring(path: Path) -> Iterator[list[KeyringData]]:
    """Change the keyring under an exclusive lock: yields ``[current]``; replace the item to
    write a new keyring (atomically renamed into place)."""
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        box = [load_keyring(path)]
        before = box[0]
        yield box
        if box[0] is not before:
            descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(box[0].to_json())
            os.replace(name, path)


def retire(data: KeyringData, kid: str) -> KeyringData:
    """``data`` with ``kid`` retired (its private half dropped)."""
    keys = tuple(replace(k, status=RETIRED, wrapped=None) if k.kid == kid else k for k in data.keys)
    return KeyringData(data.active, keys)


# -- the public view: what a subgraph needs to seal ------------------------------------------


class PublicKeyring:
    """The active key version's public key, re-read whenever the keyring file changes (a
    ``stat`` per call: a rotation applies to the very next write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._active: tuple[str, X25519PublicKey] | None = None

    def active(self) -> tuple[str, X25519PublicKey]:
        try:
            status = self.path.stat()
        except OSError as error:
            raise KeyringError(f"cannot read the keyring {self.path}: {error.strerror}") from None
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if stamp != self._stamp or self._active is None:
            data = load_keyring(self.path)
            record = data.record(data.active)
            assert record is not None  # checked by from_json
            self._active = (record.kid, X25519PublicKey.from_public_bytes(record.public))
            self._stamp = stamp
        return self._active


# -- settings --------------------------------------------------------------------------------


def _data_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("TANDEM_DATA_DIR") or ".tandem")


def _production(env: Mapping[str, str]) -> bool:
    return env.get("TANDEM_ENV", "development").strip().lower() == "production"


def master_key(environ: Mapping[str, str] | None = None) -> LocalKEK:
    """The master key: ``TANDEM_MASTER_KEY``, ``TANDEM_MASTER_KEY_FILE``, or in development
    ``<data dir>/master.key`` (generated on first use)."""
    return LocalKEK(_secret(environ, "TANDEM_MASTER_KEY", "master.key"))


def blind_index_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The blind-index HMAC key (``TANDEM_BLIND_INDEX_KEY[_FILE]``, development default
    ``<data dir>/blind-index.key``)."""
    return _secret(environ, "TANDEM_BLIND_INDEX_KEY", "blind-index.key")


def keyring_path(environ: Mapping[str, str] | None = None, *, create: bool = True) -> Path:
    """The keyring file (``TANDEM_KEYRING_FILE``); in development ``<data dir>/keyring.json``,
    created with a first key (wrapped by the development master key) when ``create``."""
    env = os.environ if environ is None else environ
    given = env.get("TANDEM_KEYRING_FILE", "").strip()
    if given:
        return Path(given)
    if _production(env):
        raise KeyringError("TANDEM_KEYRING_FILE is required in production")
    path = _data_dir(env) / "keyring.json"
    if create and not path.exists():
        create_keyring(path, master_key(env))
    return path


def _secret(environ: Mapping[str, str] | None, variable: str, default_name: str) -> bytes:
    env = os.environ if environ is None else environ
    text = env.get(variable, "").strip()
    if not text:
        file = env.get(f"{variable}_FILE", "").strip()
        if file:
            try:
                text = Path(file).read_text(encoding="ascii").strip()
            except OSError as error:
                raise KeyringError(f"cannot read {variable}_FILE: {error.strerror}") from None
        elif _production(env):
            raise KeyringError(f"{variable} or {variable}_FILE is required in production")
        else:
            path = _data_dir(env) / default_name
            if not path.exists():
                _create_file(path, b64encode(os.urandom(32)) + "\n")
            text = path.read_text(encoding="ascii").strip()
    try:
        key = b64decode(text)
    except ValueError:
        raise KeyringError(f"{variable} is not base64url") from None
    if len(key) != 32:
        raise KeyringError(f"{variable} must be 32 bytes (base64url)")
    return key


def _create_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` (mode 0600) unless it exists; atomic against racers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(name)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(content)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
