"""Bearer-token authentication for programs: provider-signed JWTs and, where set up, opaque tokens.

A request's ``Authorization: Bearer <token>`` (RFC 6750 section 2.1) becomes a
:class:`~subgraphs.common.tokens.Principal`, or an :class:`AuthenticationError` (401, code
``UNAUTHENTICATED``) whose ``reason`` is short, fixed text, safe to log: it never holds the
token. When the provider cannot be asked, :class:`AuthenticationUnavailable` (503).

A JWT (RFC 7519) is checked in this order, following RFC 8725 section 3:

1. its header and payload parse as JSON objects; no ``crit`` header (RFC 7515 4.1.11);
2. ``alg`` is an asymmetric algorithm (never ``none``, never HMAC, whatever the header says)
   and one the provider allows; the provider is chosen by the unverified ``iss``, exactly;
3. the key is the provider's JWK with that ``kid`` whose type fits ``alg`` (``jku``, ``jwk``,
   ``x5u`` and ``x5c`` headers are ignored); an unknown ``kid`` refreshes the key set once
   (rate-limited, :mod:`gateway.auth.jwks`);
4. python-jose verifies the signature with that key and only ``alg`` allowed, then ``exp``
   (required), ``nbf`` and ``iss``, with the provider's leeway; ``aud`` must name one of the
   provider's audiences.

A token that is not a JWT goes to the introspection endpoints of the providers that have
one, in their configured order (:mod:`gateway.auth.introspection`).

The principal: ``sub``; ``client_id`` (RFC 9068) or else ``azp``; name, roles and
department from the provider's claim mapping (name falls back to ``preferred_username``,
``username``, then the subject). A client-credentials token (no ``sub``, ``sub`` equal to
the client id, or ``gty`` ``client-credentials``) acts as the policy subject its client
maps to; a client not listed is refused if the provider requires listed clients, and
otherwise acts as its own client id.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import httpx
import orjson
from jose import jwk, jwt  # type: ignore[import-untyped]  # the gateway's one python-jose user
from jose.exceptions import (  # type: ignore[import-untyped]
    ExpiredSignatureError,
    JWKError,
    JWTClaimsError,
    JWTError,
)

from tandem_shared.tokens import Principal

from ..errors import TandemError
from .introspection import Introspector, audience_accepted, refusal
from .jwks import JwksCache, ProviderUnavailable
from .providers import ASYMMETRIC_ALGORITHMS, IntegratorClient, ProviderSettings

__all__ = [
    "AuthenticationError",
    "AuthenticationUnavailable",
    "BearerAuthenticator",
    "BearerIdentity",
]

MAX_TOKEN_CHARS: Final = 16 * 1024
MAX_SUBJECT_CHARS: Final = 255
MAX_NAME_CHARS: Final = 200
MAX_ROLES: Final = 256

_HEADER = re.compile(r"^bearer +([A-Za-z0-9._~+/-]+=*)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]+")
_CLIENT_CREDENTIALS: Final = "client-credentials"


class AuthenticationError(TandemError):
    """The bearer token is refused (401); ``reason`` is fixed text, safe to log and return."""

    code = "UNAUTHENTICATED"
    status = 401

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing

    @property
    def www_authenticate(self) -> str:
        """The ``WWW-Authenticate`` header value for the 401 response (RFC 6750 section 3)."""
        if self.missing:
            return 'Bearer realm="tandem"'
        return f'Bearer realm="tandem", error="invalid_token", error_description="{self.reason}"'


class AuthenticationUnavailable(TandemError):
    """The provider needed to check the token cannot be reached or answers nonsense (503)."""

    code = "AUTHENTICATION_UNAVAILABLE"
    status = 503


@dataclass(frozen=True, slots=True)
class BearerIdentity:
    """An accepted token: its principal, the provider that issued it, the integrator client."""

    principal: Principal
    issuer: str
    client: IntegratorClient | None = None
    expires_at: float | None = None


class BearerAuthenticator:
    """Turns ``Authorization: Bearer`` header values into principals.

    ``http_client`` (owned by the caller) fetches discovery documents and key sets and calls
    introspection endpoints; ``clock`` (tests only) replaces both the monotonic clock of the
    key-set cache and the wall clock of the introspection cache.
    """

    def __init__(
        self,
        providers: Sequence[ProviderSettings],
        http_client: httpx.AsyncClient,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.providers: Mapping[str, ProviderSettings] = {p.issuer: p for p in providers}
        if len(self.providers) != len(providers):
            raise ValueError("two providers have the same issuer")
        self._clock = clock or time.time
        self._jwks = {
            issuer: JwksCache(p, http_client, clock=clock or time.monotonic)
            for issuer, p in self.providers.items()
        }
        self._introspectors = [
            Introspector(p, http_client, self._jwks[issuer], clock=self._clock)
            for issuer, p in self.providers.items()
            if p.introspection is not None
        ]

    def jwks(self, issuer: str) -> JwksCache:
        """The key-set cache of the provider ``issuer``."""
        return self._jwks[issuer]

    def introspector(self, issuer: str) -> Introspector | None:
        """The introspection client of the provider ``issuer``, if it has one."""
        return next((i for i in self._introspectors if i.provider.issuer == issuer), None)

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal of a valid ``Authorization`` header value; raises otherwise."""
        return (await self.identify(authorization)).principal

    async def identify(self, authorization: str | None) -> BearerIdentity:
        """Like :meth:`authenticate`, with the issuer, integrator client and expiry."""
        token = _token_of(authorization)
        parts = _jwt_parts(token)
        if parts is not None:
            return await self._verify_jwt(token, *parts)
        if self._introspectors:
            return await self._introspect(token)
        raise AuthenticationError("malformed token")

    async def _verify_jwt(
        self, token: str, header: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> BearerIdentity:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in ASYMMETRIC_ALGORITHMS:
            raise AuthenticationError("algorithm not allowed")
        if "crit" in header:
            raise AuthenticationError("critical header not supported")
        issuer = payload.get("iss")
        provider = self.providers.get(issuer) if isinstance(issuer, str) else None
        if provider is None:
            raise AuthenticationError("unknown issuer")
        if algorithm not in provider.algorithms:
            raise AuthenticationError("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("malformed token")
        try:
            found = await self._jwks[provider.issuer].key(kid, algorithm)
        except ProviderUnavailable:
            raise AuthenticationUnavailable("the identity provider cannot be reached") from None
        if found is None:
            raise AuthenticationError("unknown signing key")
        claims = _decode(token, found, algorithm, provider)
        principal, client = _principal(claims, provider)
        return BearerIdentity(principal, provider.issuer, client, float(claims["exp"]))

    async def _introspect(self, token: str) -> BearerIdentity:
        unavailable = False
        for introspector in self._introspectors:
            try:
                answer = await introspector.introspect(token)
            except ProviderUnavailable:
                unavailable = True
                continue
            if answer is None:
                continue
            provider = introspector.provider
            reason = refusal(answer, provider, self._clock())
            if reason is not None:
                raise AuthenticationError(reason)
            principal, client = _principal(answer, provider)
            expires = answer.get("exp")
            expires_at = float(expires) if isinstance(expires, int | float) else None
            return BearerIdentity(principal, provider.issuer, client, expires_at)
        if unavailable:
            raise AuthenticationUnavailable("the identity provider cannot be reached")
        raise AuthenticationError("token inactive")


def _token_of(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError("missing bearer token", missing=True)
    if len(authorization) > MAX_TOKEN_CHARS:
        raise AuthenticationError("token too large")
    match = _HEADER.match(authorization.strip())
    if match is None:
        raise AuthenticationError("malformed authorization header")
    return match.group(1)


def _jwt_parts(token: str) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """The unverified header and payload of a compact JWS; ``None`` if it is not one."""
    segments = token.split(".")
    if len(segments) != 3:
        return None
    header = _json_object(segments[0])
    if header is None or "alg" not in header:
        return None
    payload = _json_object(segments[1])
    if payload is None:
        raise AuthenticationError("malformed token")
    return header, payload


def _json_object(segment: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _decode(
    token: str, found: Mapping[str, Any], algorithm: str, provider: ProviderSettings
) -> Mapping[str, Any]:
    try:
        key = _key(algorithm, orjson.dumps(found, option=orjson.OPT_SORT_KEYS))
    except JWKError:
        raise AuthenticationError("unknown signing key") from None
    options = {
        "leeway": provider.leeway,
        "verify_aud": False,  # checked below: python-jose accepts a single audience only
        "verify_at_hash": False,
    }  # exp and iss are required below: python-jose reports their absence as a bad signature
    try:
        claims = jwt.decode(
            token, key, algorithms=[algorithm], issuer=provider.issuer, options=options
        )
    except ExpiredSignatureError:
        raise AuthenticationError("token expired") from None
    except JWTClaimsError as error:
        raise AuthenticationError(_claims_reason(str(error))) from None
    except JWTError:
        raise AuthenticationError("invalid signature") from None
    except (TypeError, ValueError):  # python-jose's int() of a non-numeric date
        raise AuthenticationError("invalid claims") from None
    if not isinstance(claims, dict) or claims.get("iss") != provider.issuer:
        raise AuthenticationError("invalid issuer")
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if (value is not None or name == "exp") and (
            not isinstance(value, int | float) or isinstance(value, bool)
        ):
            raise AuthenticationError(f"invalid claims: {name}")
    if not audience_accepted(claims.get("aud"), provider.audiences):
        raise AuthenticationError("invalid audience")
    return claims


@lru_cache(maxsize=64)
def _key(algorithm: str, jwk_json: bytes) -> Any:
    """The python-jose key of a public JWK, built once per key and algorithm."""
    return jwk.construct(orjson.loads(jwk_json), algorithm)


def _claims_reason(message: str) -> str:
    """A fixed reason for python-jose's claim error message (which is never returned)."""
    message = message.lower()
    if "not yet valid" in message:
        return "token not yet valid"
    if "invalid issuer" in message:
        return "invalid issuer"
    return "invalid claims"


def _principal(
    claims: Mapping[str, Any], provider: ProviderSettings
) -> tuple[Principal, IntegratorClient | None]:
    subject = claims.get("sub")
    client_id = claims.get("client_id", claims.get("azp"))
    if not isinstance(subject, str | None) or not isinstance(client_id, str | None):
        raise AuthenticationError("invalid claims: sub/client_id")
    client = None if client_id is None else provider.clients.get(client_id)
    client_credentials = client_id is not None and (
        subject in (None, client_id) or claims.get("gty") == _CLIENT_CREDENTIALS
    )
    if client_credentials and client is not None:
        subject = name = client.subject
    else:
        if client_credentials and provider.require_listed_clients:
            raise AuthenticationError("unknown client")
        subject = subject or client_id
        if not subject:
            raise AuthenticationError("invalid claims: sub")
        name = _name(claims, provider.claims.name, subject)
    if len(subject) > MAX_SUBJECT_CHARS:
        raise AuthenticationError("invalid claims: sub")
    roles = _roles(_claim(claims, provider.claims.roles))
    department = _claim(claims, provider.claims.department)
    if not isinstance(department, str | None):
        raise AuthenticationError("invalid claims: department")
    return Principal(subject, name, roles, department or None, client_id), client


def _name(claims: Mapping[str, Any], claim: str, subject: str) -> str:
    for value in (_claim(claims, claim), claims.get("preferred_username"), claims.get("username")):
        if isinstance(value, str) and value:
            return value[:MAX_NAME_CHARS]
    return subject


def _roles(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in _SEPARATORS.split(value) if part]
    if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
        raise AuthenticationError("invalid claims: roles")
    if len(value) > MAX_ROLES:
        raise AuthenticationError("invalid claims: roles")
    return tuple(dict.fromkeys(role for role in value if role))


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    """The claim ``name``, or, if there is none by that name, the dotted path into objects."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
