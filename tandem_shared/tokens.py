"""The gateway-signed identity token every subgraph request carries (DESIGN.md, "Identity").

A JWS (RFC 7515) in compact form, header ``{"alg": "ES256", "typ": "tandem-identity+jwt",
"kid": ...}``, claims (RFC 7519)::

    iss        "tandem-gateway"
    aud        the subgraph's name ("oa", "erp"), one string
    sub        the principal's stable id         name        display name
    roles      list of role names                department  department id, or null
    client_id  the API client, or null           jti         unique token id
    iat, exp   issued / expires (10 s by default, at most 60 s)
    bh         the body hash: base64url (no padding) of SHA-256 over the exact request body

Two kinds of request have no JSON body to hash, and ``bh`` then covers what stands for it
(``subgraphs/common/identity.py`` computes the same): a ``GET`` (a file download) hashes
``"GET " + path``, so a token for one file opens no other; a ``multipart/form-data`` upload
hashes ``"tandem-multipart/v1 " + hex SHA-256 of the whole multipart body``, every byte of
the operation, its map and its files, which the subgraph streams to disk while hashing and
compares before anything reads it (the claims are checked first, so no unsigned request
makes it spool a byte).

One token covers one request: its body (``bh``), its audience (``aud``, the one subgraph)
and a life of seconds, so a token copied off the wire buys nothing but the very request it
came with, to the same subgraph, for seconds (and :mod:`subgraphs.common.identity` admits
each ``jti`` once). The body is hashed as sent, bytes for bytes, rather than a canonical form
of query and variables: nothing has to agree on a canonicalisation, and a subgraph compares
one digest before it parses anything. The cost is one ES256 signature per subgraph request
(raw ES256 about 22 us to sign and 64 us to verify on the development machine; Ed25519 27 us
/ 86 us: no faster here, so the key type stays). JOSE is joserfc, Authlib's JOSE layer and
the gateway's one JOSE library (``gateway/auth/jose.py`` says why); this module imports it
itself so that a subgraph needs nothing of the gateway.

Verification (RFC 8725 practice) accepts ES256 only, reading the algorithm from the
allow-list rather than the header, requires the explicit ``typ`` so no other JWT (an IdP's
access token) passes, and checks every claim with a leeway of 2 seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from joserfc import jwt
from joserfc.errors import (
    ClaimError,
    DecodeError,
    ExpiredTokenError,
    InvalidPayloadError,
    JoseError,
)
from joserfc.jwk import ECKey
from joserfc.jws import JWSRegistry

from tandem_shared.keys import key_id, public_key_of

__all__ = [
    "ALGORITHM",
    "DEFAULT_LEEWAY",
    "DEFAULT_TTL",
    "ISSUER",
    "MAX_TTL",
    "TOKEN_TYPE",
    "InvalidToken",
    "Principal",
    "VerifiedToken",
    "body_hash",
    "check_body_hash",
    "check_subgraph_token",
    "get_binding",
    "mint_subgraph_token",
    "multipart_binding",
    "verify_subgraph_request",
    "verify_subgraph_token",
]

ISSUER: Final = "tandem-gateway"
ALGORITHM: Final = "ES256"
TOKEN_TYPE: Final = "tandem-identity+jwt"
DEFAULT_TTL: Final = 10
MAX_TTL: Final = 60
DEFAULT_LEEWAY: Final = 2

_REQUIRED = ("iss", "aud", "sub", "iat", "exp", "jti", "bh")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: a person, or an API client acting as ``subject``."""

    subject: str
    name: str
    roles: tuple[str, ...] = ()
    department: str | None = None
    client_id: str | None = None

    def has_role(self, *roles: str) -> bool:
        """True if the principal holds any of ``roles``."""
        return any(role in self.roles for role in roles)


class InvalidToken(Exception):
    """The token is refused; ``reason`` is safe to log (it never contains the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def body_hash(body: bytes) -> str:
    """The ``bh`` claim of a request ``body``: base64url SHA-256, without padding."""
    digest = hashlib.sha256(body).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def multipart_binding(body_sha256_hex: str) -> bytes:
    """What a multipart upload's ``bh`` hashes: the hex SHA-256 of the whole body, prefixed
    (module docstring)."""
    return b"tandem-multipart/v1 " + body_sha256_hex.encode("ascii")


def get_binding(path: str) -> bytes:
    """What a ``GET`` request's ``bh`` hashes: its method and path (module docstring)."""
    return b"GET " + path.encode("utf-8")


def mint_subgraph_token(
    private_key: str,
    audience: str,
    principal: Principal,
    ttl: int = DEFAULT_TTL,
    *,
    body: bytes,
    issued_at: int | None = None,
) -> str:
    """A token for one request to ``audience`` (a subgraph name) with exactly ``body``,
    naming ``principal``, signed with ES256.

    ``private_key`` is PEM text; ``issued_at`` (Unix seconds) defaults to now.
    """
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be 1..{MAX_TTL} seconds")
    now = int(time.time()) if issued_at is None else issued_at
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": principal.subject,
        "name": principal.name,
        "roles": list(principal.roles),
        "department": principal.department,
        "client_id": principal.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "bh": body_hash(body),
    }
    header = {"alg": ALGORITHM, "typ": TOKEN_TYPE, "kid": _key_id_of_private(private_key)}
    return jwt.encode(header, claims, _key(private_key), registry=_REGISTRY)


def verify_subgraph_token(
    token: str, public_key: str, audience: str, *, body: bytes, leeway: int = DEFAULT_LEEWAY
) -> Principal:
    """The principal of a valid token for a request to ``audience`` with ``body``;
    :class:`InvalidToken` otherwise (another body, audience, an expired token...)."""
    return verify_subgraph_request(token, public_key, audience, body=body, leeway=leeway).principal


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token :func:`verify_subgraph_request` accepted: whom it names, and what a replay
    cache needs (its ``jti`` and when it expires, Unix seconds)."""

    principal: Principal
    token_id: str
    expires: int


def verify_subgraph_request(
    token: str, public_key: str, audience: str, *, body: bytes, leeway: int = DEFAULT_LEEWAY
) -> VerifiedToken:
    """Like :func:`verify_subgraph_token`, with the token's id and expiry."""
    verified, bound = check_subgraph_token(token, public_key, audience, leeway=leeway)
    check_body_hash(bound, body_hash(body))
    return verified


def check_body_hash(bound: str, computed: str) -> None:
    """Refuse (:class:`InvalidToken`) unless a token's ``bh`` claim equals the hash of the
    body received (:func:`body_hash`), compared in constant time."""
    if not hmac.compare_digest(bound, computed):
        raise InvalidToken("invalid claims: the token is for another body")


def check_subgraph_token(
    token: str, public_key: str, audience: str, *, leeway: int = DEFAULT_LEEWAY
) -> tuple[VerifiedToken, str]:
    """Everything :func:`verify_subgraph_request` checks but the body: the token and its
    ``bh`` claim, for a body that has yet to arrive (an upload streamed to disk is hashed
    as it comes and compared with :func:`check_body_hash` before anything reads it)."""
    try:
        decoded = jwt.decode(token, _key(public_key), registry=_REGISTRY)
    except (DecodeError, InvalidPayloadError, ValueError):
        raise InvalidToken("malformed token") from None
    except JoseError as error:
        refused = error.error in ("unsupported_algorithm", "unsupported_header")
        raise InvalidToken("algorithm not allowed" if refused else "invalid signature") from None
    if decoded.header.get("typ") != TOKEN_TYPE:
        raise InvalidToken("not a gateway identity token")
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(leeway=leeway, iss={"essential": True, "value": ISSUER})
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidToken("token expired") from None
    except ClaimError as error:
        reason = _CLAIM_REASONS.get(error.claim, error.claim)
        raise InvalidToken(f"invalid claims: {reason}") from None
    principal = _principal(claims, audience, leeway)
    bound, token_id = claims["bh"], claims["jti"]
    if not isinstance(bound, str):
        raise InvalidToken("invalid claims: the token is for another body")
    if not isinstance(token_id, str) or not token_id:
        raise InvalidToken("invalid claims: jti")
    return VerifiedToken(principal, token_id, claims["exp"]), bound


_CLAIM_REASONS: Final = {"iat": "issued in the future", "iss": "issuer", "aud": "audience"}
_REGISTRY: Final = JWSRegistry(algorithms=[ALGORITHM])
"""ES256 only, whatever a header says (RFC 8725 3.1)."""


@lru_cache(maxsize=16)
def _key(pem: str) -> ECKey:
    """The parsed ES256 key of a PEM text, parsed once (a gateway signs on every fetch)."""
    return ECKey.import_key(pem)


@lru_cache(maxsize=8)
def _key_id_of_private(private_key: str) -> str:
    return key_id(public_key_of(private_key))


def _principal(claims: Mapping[str, Any], audience: str, leeway: int) -> Principal:
    missing = [claim for claim in _REQUIRED if claim not in claims]
    if missing:
        raise InvalidToken(f"invalid claims: missing {', '.join(missing)}")
    if claims["aud"] != audience:  # a list containing the audience is not accepted
        raise InvalidToken("invalid claims: audience")
    issued_at, expires = claims["iat"], claims["exp"]
    if not isinstance(issued_at, int) or not isinstance(expires, int):
        raise InvalidToken("invalid claims: iat/exp")
    if issued_at > time.time() + leeway:
        raise InvalidToken("invalid claims: issued in the future")
    if expires - issued_at > MAX_TTL:
        raise InvalidToken("invalid claims: lifetime too long")
    subject, name, roles = claims["sub"], claims.get("name"), claims.get("roles", [])
    department, client_id = claims.get("department"), claims.get("client_id")
    if not isinstance(subject, str) or not subject or not isinstance(name, str):
        raise InvalidToken("invalid claims: sub/name")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("invalid claims: roles")
    if not isinstance(department, str | None) or not isinstance(client_id, str | None):
        raise InvalidToken("invalid claims: department/client_id")
    return Principal(subject, name, tuple(roles), department, client_id)
