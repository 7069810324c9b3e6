"""The production init step: every secret a deploy needs, written once into one directory.

``tandem keys provision DIR`` creates what is missing and never replaces what is there (a
second run, or a run after a partial one, finishes the set and changes nothing else), so the
same command is safe in a deploy's init job and by hand. It writes, in a 0700 directory:

==========================  =================================================  ==================
file                        what                                               who reads it
==========================  =================================================  ==================
``master.key``              the master key (base64url of 32 random bytes)      gateway, operators
``keyring.json``            the field-encryption keyring, wrapped by it        gateway, operators
``keyring.public.json``     the same keyring without the wrapped private keys  OA, ERP
``blind-index.key``         the blind-index HMAC key                           OA, ERP, operators
``gateway-key.pem``         the ES256 key the gateway signs subgraph tokens    gateway
``gateway-public.pem``      its public half                                    OA, ERP
``database.env``            ``PGPASSWORD`` / ``POSTGRES_PASSWORD`` (random)    all, PostgreSQL
``tls-*``, ``*-tls.*``      TLS between gateway and subgraphs: a CA, the       all (see
                            subgraphs' server and the gateway's client         ``tls_certs.py``)
                            certificates (:mod:`gateway.crypto.tls_certs`)
==========================  =================================================  ==================

The two public files are derived again on every run (after ``tandem keys rotate`` on
``keyring.json``, a run refreshes ``keyring.public.json`` for the subgraphs). The OpenID
client secret is not made here: it comes from the identity provider.

:func:`check` is the other half: what a process of one role will need at start-up, in the
environment it will start with, verified without starting it (``tandem keys check --role
gateway``), so a deploy's init container stops with one line naming the missing setting.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tandem_shared.crypto_keys import (
    KeyringData,
    KeyringError,
    PublicKeyring,
    b64encode,
    blind_index_key,
    create_keyring,
    keyring_path,
    load_keyring,
    master_key,
)
from tandem_shared.keys import generate_private_key, public_key_of

from .keyring import FieldKeyring
from .tls_certs import TLS_FILES, TlsProvisionError, provision_tls

__all__ = ["FILES", "ROLES", "check", "provision", "public_keyring"]

FILES: Final = (
    "master.key",
    "keyring.json",
    "keyring.public.json",
    "blind-index.key",
    "gateway-key.pem",
    "gateway-public.pem",
    "database.env",
    *TLS_FILES,
)
"""What :func:`provision` writes, in order."""

ROLES: Final = ("gateway", "subgraph")


def provision(directory: Path, *, mode: int = 0o600) -> dict[str, str]:
    """Write the missing secrets of a deploy into ``directory``; file name -> what happened
    (``created``, ``kept``, ``derived``).

    The directory is made 0700 (only its owner enters it); the files get ``mode``: 0600 when
    the owner is the only reader (kustomize), 0644 when containers that run as another user
    read them through bind mounts (compose secrets), still closed to others by the directory.
    """
    if mode & ~0o644:
        raise ValueError("--mode: at most 0644 (nobody but the owner may write or run a secret)")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    done: dict[str, str] = {}

    def random_key() -> str:
        return b64encode(os.urandom(32)) + "\n"

    def password() -> str:
        value = secrets.token_urlsafe(32)
        return f"PGPASSWORD={value}\nPOSTGRES_PASSWORD={value}\n"

    done["master.key"] = _create(directory / "master.key", random_key)
    keyring = directory / "keyring.json"
    existed = keyring.exists()
    kek = master_key({"TANDEM_MASTER_KEY_FILE": str(directory / "master.key")})
    create_keyring(keyring, kek)
    FieldKeyring(keyring, kek)  # a kept keyring must open with the kept master key
    done["keyring.json"] = "kept" if existed else "created"
    _replace(directory / "keyring.public.json", public_keyring(load_keyring(keyring)).to_json())
    done["keyring.public.json"] = "derived"
    done["blind-index.key"] = _create(directory / "blind-index.key", random_key)
    done["gateway-key.pem"] = _create(directory / "gateway-key.pem", generate_private_key)
    private = (directory / "gateway-key.pem").read_text(encoding="ascii")
    try:
        public = public_key_of(private)
    except ValueError as error:
        raise KeyringError(f"{directory / 'gateway-key.pem'}: {error}") from None
    _replace(directory / "gateway-public.pem", public)
    done["gateway-public.pem"] = "derived"
    done["database.env"] = _create(directory / "database.env", password)
    try:
        done.update(provision_tls(directory))
    except TlsProvisionError as error:
        raise KeyringError(str(error)) from None
    for name in FILES:
        (directory / name).chmod(mode)
    return done


def public_keyring(data: KeyringData) -> KeyringData:
    """``data`` without any private key: what a subgraph needs to seal, and nothing to open."""
    return KeyringData(data.active, tuple(replace(key, wrapped=None) for key in data.keys))


def check(role: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """What a process of ``role`` will read at start-up, loaded now; one line per check."""
    env = os.environ if environ is None else environ
    if role == "gateway":
        path = keyring_path(env, create=False)
        if all(key.wrapped is None for key in load_keyring(path).keys):
            raise KeyringError(
                "TANDEM_KEYRING_FILE holds no private key (the subgraphs' public copy?)"
            )
        keyring = FieldKeyring(path, master_key(env))
        private = _read(env, "TANDEM_GATEWAY_KEY_FILE")
        try:
            public_key_of(private)
        except ValueError:
            raise KeyringError("TANDEM_GATEWAY_KEY_FILE is not an EC P-256 private key") from None
        return [
            f"keyring {keyring.path}: {len(keyring.kids)} key versions open with the master key",
            "gateway signing key: ES256 (P-256)",
        ]
    if role == "subgraph":
        kid, _ = PublicKeyring(keyring_path(env, create=False)).active()
        blind_index_key(env)
        public = _read(env, "TANDEM_GATEWAY_PUBLIC_KEY_FILE")
        try:
            key = serialization.load_pem_public_key(public.encode("ascii"))
        except ValueError:
            key = None
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise KeyringError("TANDEM_GATEWAY_PUBLIC_KEY_FILE is not an EC P-256 public key")
        return [f"keyring: seals to {kid}", "blind-index key: 32 bytes", "gateway public key: ok"]
    raise ValueError(f"--role must be one of {', '.join(ROLES)}")


def _read(env: Mapping[str, str], variable: str) -> str:
    path = env.get(variable, "").strip()
    if not path:
        raise KeyringError(f"{variable} is required")
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not ASCII"
        raise KeyringError(f"cannot read {variable}: {reason}") from None


def _create(path: Path, content: Callable[[], str]) -> str:
    """Write ``content()`` to ``path`` (0600) unless a file is there; atomic against racers."""
    if path.exists():
        return "kept"
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
    temporary = Path(name)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(content())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return "kept"
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return "created"


def _replace(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` (0600), atomically replacing what was there."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(content)
    os.replace(name, path)
