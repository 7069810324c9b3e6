"""The gateway's ES256 (P-256) key pair as PEM text, and the development pair on disk.

In development the pair is generated on first use into ``.tandem/dev-gateway-key.pem``
(mode 0600, never committed: ``.tandem/`` is ignored) by whichever process needs it first,
the gateway or a subgraph; creation is atomic, so concurrent starters agree on one pair.
In production a subgraph is given only the gateway's public key
(``TANDEM_GATEWAY_PUBLIC_KEY_FILE``) and nothing is generated.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "generate_private_key",
    "key_id",
    "load_or_create_dev_key",
    "public_key_of",
]


def generate_private_key() -> str:
    """A new P-256 private key as PKCS#8 PEM text."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii")


def public_key_of(private_key: str) -> str:
    """The public half of a PEM P-256 private key, as SubjectPublicKeyInfo PEM text."""
    key = serialization.load_pem_private_key(private_key.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the gateway key must be an EC P-256 private key")
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def key_id(public_key: str) -> str:
    """A short stable id for a public key (``kid``): base64url SHA-256 of its DER, 16 chars."""
    key = serialization.load_pem_public_key(public_key.encode("ascii"))
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode("ascii")[:16]


def load_or_create_dev_key(path: Path) -> str:
    """The PEM private key at ``path``, generated there (mode 0600) if the file is missing."""
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    temporary = Path(name)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(generate_private_key())
    try:
        os.link(temporary, path)  # atomic, and fails if another process won the race
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    return path.read_text(encoding="ascii")
