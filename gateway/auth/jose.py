"""JOSE for the gateway: the one module that reads, verifies and signs JWTs and JWKs.

**The choice (issue 12): Authlib, not python-jose.** Authlib is the library the gateway
needs anyway for OAuth 2.0 and OpenID Connect (PKCE, the ID-token claim rules, the
development provider's authorization server); python-jose covers JOSE alone, has no key-set
type (the gateway looked keys up and split token segments by hand around it) and verifies
no PS or EdDSA signatures with its default backend. Since Authlib 1.7 its JOSE layer is the
separate package ``joserfc``, from the same maintainers: Authlib requires it, and
``authlib.jose`` is deprecated in its favour (it warns on import). So JOSE here is
``joserfc``, imported in this module only, pinned beside Authlib in ``pyproject.toml``;
python-jose is gone. ``tandem_shared/tokens.py`` (which must not import the gateway)
uses the same library for the gateway's identity tokens.

What this module adds to the library is policy, not parsing:

- :data:`ASYMMETRIC_ALGORITHMS`: the only algorithms any provider token may use (never
  ``none``, never HMAC: an HMAC "secret" would be the provider's public key, RFC 8725 2.1);
- :func:`import_key_set`: a provider's JWK Set (RFC 7517) reduced to public signature keys
  (RSA of 2048 bits or more, EC on P-256/P-384/P-521, Ed25519), never private members;
- :func:`peek`: the unverified header and claims of a compact JWS, read by the library
  (used only to choose the provider and key; nothing is trusted before :func:`verify`);
- :func:`verify`: the signature with one key and one allowed algorithm.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson
from joserfc import jws, jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry, Token

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "ClaimError",
    "ECKey",
    "ExpiredTokenError",
    "InvalidKeyIdError",
    "JWTClaimsRegistry",
    "JoseError",
    "Key",
    "KeySet",
    "MissingClaimError",
    "RSAKey",
    "Token",
    "compatible",
    "find_key",
    "import_key_set",
    "knows",
    "peek",
    "sign",
    "verify",
]

Key = RSAKey | ECKey | OKPKey

ASYMMETRIC_ALGORITHMS: Final = frozenset({
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
})  # fmt: skip
"""Every algorithm a provider may be allowed: asymmetric ones the library verifies."""

MAX_KEYS: Final = 100
MIN_RSA_BITS: Final = 2048
_CURVES: Final = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521", "EdDSA": "Ed25519"}
_KEY_TYPES: Final[dict[str, type[RSAKey] | type[ECKey] | type[OKPKey]]] = {
    "RSA": RSAKey, "EC": ECKey, "OKP": OKPKey,
}  # fmt: skip
_PUBLIC_MEMBERS: Final = {
    "RSA": ("kty", "kid", "use", "alg", "n", "e"),
    "EC": ("kty", "kid", "use", "alg", "crv", "x", "y"),
    "OKP": ("kty", "kid", "use", "alg", "crv", "x"),
}


class _ProviderTokens(JWSRegistry):
    """How provider tokens are parsed: headers up to 4 KiB, header members the library does
    not know (Entra ID's ``nonce``, say) let through; only the algorithms given."""

    max_header_length = 4096


def _registry(algorithms: Iterable[str]) -> JWSRegistry:
    allowed = [a for a in algorithms if a in ASYMMETRIC_ALGORITHMS]
    return _ProviderTokens(algorithms=allowed or ["-"], strict_check_header=False)


def import_key_set(document: Any) -> KeySet:
    """The public signature keys of a JWK Set document; unusable members are skipped.

    Raises ``ValueError`` when ``document`` is not a JWK Set at all.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    usable: list[Key] = []
    for member in document["keys"][:MAX_KEYS]:
        key = _public_key(member)
        if key is not None:
            usable.append(key)
    return KeySet(usable)  # type: ignore[arg-type]


def _public_key(member: Any) -> Key | None:
    if not isinstance(member, dict) or member.get("use", "sig") != "sig":
        return None
    operations = member.get("key_ops")
    if operations is not None and (not isinstance(operations, list) or "verify" not in operations):
        return None
    kty = member.get("kty")
    members = _PUBLIC_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None or not isinstance(member.get("kid", ""), str):
        return None
    if not isinstance(member.get("alg", ""), str):
        return None
    public = {name: member[name] for name in members if name in member}
    try:
        key: Key = _KEY_TYPES[public["kty"]].import_key(public)
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    if isinstance(key, RSAKey) and key.public_key.key_size < MIN_RSA_BITS:
        return None
    if isinstance(key, OKPKey) and key.get("crv") != "Ed25519":
        return None
    return key


_READER: Final = _registry(ASYMMETRIC_ALGORITHMS)


def compatible(key: Key, algorithm: str) -> bool:
    """True if ``key`` may verify ``algorithm``: type, curve and its own ``alg`` agree."""
    if key.alg not in (None, algorithm):
        return False
    if algorithm.startswith(("RS", "PS")):
        return isinstance(key, RSAKey)
    if algorithm == "EdDSA":
        return isinstance(key, OKPKey) and key.get("crv") == "Ed25519"
    return isinstance(key, ECKey) and key.get("crv") == _CURVES.get(algorithm)


def find_key(keys: KeySet, kid: str | None, algorithm: str) -> Key | None:
    """The key named ``kid`` that fits ``algorithm``; without a ``kid``, the only fitting one."""
    fitting = [key for key in keys if isinstance(key, Key) and compatible(key, algorithm)]
    if kid is None:
        return fitting[0] if len(fitting) == 1 else None
    return next((key for key in fitting if key.kid == kid), None)


def knows(keys: KeySet, kid: str) -> bool:
    """True if some key of ``keys`` carries ``kid`` (whatever its type)."""
    return any(key.kid == kid for key in keys)


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The unverified header and claims of a compact JWS; ``None`` if it is not one.

    For choosing the provider and the key only: nothing in them is trusted yet.
    """
    if token.count(".") != 2:
        return None
    try:
        signed = jws.extract_compact(token.encode("ascii"), registry=_READER)
        header = signed.headers()
        claims = orjson.loads(signed.payload)
    except (JoseError, ValueError, UnicodeEncodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def verify(token: str, key: Key | KeySet, algorithms: Iterable[str]) -> Token:
    """The header and claims of ``token`` after its signature checks out with ``key``.

    Raises the library's ``JoseError`` (``InvalidKeyIdError`` when a key set has no key
    of the token's ``kid``) or ``ValueError`` for a malformed token.
    """
    return jwt.decode(token, key, registry=_registry(algorithms))


def sign(header: Mapping[str, Any], claims: Mapping[str, Any], key: Key) -> str:
    """A compact JWS of ``claims`` signed with ``key`` (``header`` names ``alg``)."""
    return jwt.encode(dict(header), dict(claims), key, default_type=None)
