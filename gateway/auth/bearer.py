"""Bearer-token authentication for programs: provider-signed JWTs and, where set up, opaque tokens.

A request's ``Authorization: Bearer <token>`` (RFC 6750 section 2.1) becomes a
:class:`~tandem_shared.tokens.Principal`, or an :class:`AuthenticationError` (401, code
``UNAUTHENTICATED``) whose ``reason`` is short, fixed text, safe to log: it never holds the
token. When the provider cannot be asked, :class:`AuthenticationUnavailable` (503).

A JWT (RFC 7519) is checked in this order, following RFC 8725 section 3:

1. its header and payload parse as JSON objects; no ``crit`` header (RFC 7515 4.1.11);
2. ``alg`` is an asymmetric algorithm (never ``none``, never HMAC, whatever the header says)
   and one the provider allows; the provider is chosen by the unverified ``iss``, exactly;
3. the key is the provider's JWK with that ``kid`` whose type fits ``alg`` (``jku``, ``jwk``,
   ``x5u`` and ``x5c`` headers are ignored); an unknown ``kid`` refreshes the key set once
   (rate-limited, :mod:`gateway.auth.jwks`);
4. the library (:mod:`gateway.auth.jose`) verifies the signature with that key and only
   ``alg`` allowed; then ``exp`` (required), ``nbf`` and ``iss`` with the provider's leeway;
   ``aud`` must name one of the provider's audiences.

The header and claims are read before verification only through :func:`jose.peek` (the
library's parser), to choose the provider and key.

A token that is not a JWT goes to the introspection endpoints of the providers that have
one, in their configured order (:mod:`gateway.auth.introspection`).

The principal: subject, name, roles and department from the provider's claim mapping
(:mod:`gateway.auth.claims`; the subject is ``sub`` unless mapped, the name falls back to
``preferred_username``, ``username``, then the subject); ``client_id`` (RFC 9068) or else
``azp``. A client-credentials token (no subject, the subject equal to the client id, or
``gty`` ``client-credentials``) acts as the policy subject its client maps to; a client not
listed is refused if the provider requires listed clients, and otherwise acts as its own
client id. An introspection answer naming a ``username`` is a user's token, never a
client's: without the subject claim it is completed from the userinfo endpoint when the
provider's ``introspection.userinfo`` says so, and refused otherwise.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx

from tandem_shared.tokens import Principal

from ..errors import TandemError
from . import jose
from .claims import ClaimError
from .introspection import Introspector, audience_accepted, refusal
from .jwks import JwksCache, ProviderUnavailable
from .providers import IntegratorClient, ProviderSettings

__all__ = [
    "AuthenticationError",
    "AuthenticationUnavailable",
    "BearerAuthenticator",
    "BearerIdentity",
]

MAX_TOKEN_CHARS: Final = 16 * 1024

_HEADER = re.compile(r"^bearer +([A-Za-z0-9._~+/-]+=*)$", re.IGNORECASE)
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
        self._http = http_client
        self._introspectors = [
            Introspector(p, http_client, self._jwks[issuer], clock=self._clock)
            for issuer, p in self.providers.items()
            if p.introspection is not None
        ]

    async def aclose(self) -> None:
        """Close the HTTP client (owned by the caller, who may close it here)."""
        await self._http.aclose()

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
        parts = jose.peek(token)
        if parts is not None and "alg" in parts[0]:
            return await self._verify_jwt(token, *parts)
        if self._introspectors:
            return await self._introspect(token)
        raise AuthenticationError("malformed token")

    async def check_endpoints(self) -> None:
        """At start-up: every introspecting provider has an endpoint (configured, OpenID
        discovery or RFC 8414 metadata). Raises ``TandemError`` naming the provider when
        one has none; a provider that cannot be reached now is asked again per request."""
        for introspector in self._introspectors:
            try:
                await introspector.endpoint()
            except ProviderUnavailable as error:
                if "no introspection endpoint" in str(error):
                    raise TandemError(
                        f"bearer provider {introspector.provider.issuer}: opaque tokens are "
                        "configured (introspection) but neither the settings nor the provider's "
                        "metadata (OpenID discovery, RFC 8414) name an introspection endpoint; "
                        "set introspection.endpoint",
                        code="INVALID_SETTINGS",
                    ) from None

    async def _verify_jwt(
        self, token: str, header: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> BearerIdentity:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in jose.ASYMMETRIC_ALGORITHMS:
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
        claims = _decode(token, found, algorithm, provider, self._clock())
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
            if introspector.settings.userinfo and _needs_userinfo(answer, provider):
                answer = {**await self._userinfo(introspector, token), **answer}
            if "username" in answer and provider.claims.subject not in answer:
                answer = {**answer, "gty": "user"}  # a person's token: never its client's
            principal, client = _principal(answer, provider)
            expires = answer.get("exp")
            expires_at = float(expires) if isinstance(expires, int | float) else None
            return BearerIdentity(principal, provider.issuer, client, expires_at)
        if unavailable:
            raise AuthenticationUnavailable("the identity provider cannot be reached")
        raise AuthenticationError("token inactive")

    async def _userinfo(self, introspector: Introspector, token: str) -> Mapping[str, Any]:
        """The userinfo claims of a user's opaque token (OpenID Connect Core 1.0 §5.3)."""
        provider = introspector.provider
        try:
            endpoint = await self._jwks[provider.issuer].endpoint("userinfo_endpoint")
            if endpoint is None:
                raise AuthenticationUnavailable("the identity provider has no userinfo endpoint")
            response = await self._http.get(
                endpoint,
                headers={"authorization": f"Bearer {token}", "accept": "application/json"},
                timeout=provider.timeout,
            )
        except (ProviderUnavailable, httpx.HTTPError):
            raise AuthenticationUnavailable("the identity provider cannot be reached") from None
        if response.status_code in (401, 403):
            raise AuthenticationError("token inactive")
        try:
            claims = response.json() if response.status_code == 200 else None
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            raise AuthenticationUnavailable("the identity provider's userinfo answer is unusable")
        return claims


def _token_of(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise AuthenticationError("missing bearer token", missing=True)
    if len(authorization) > MAX_TOKEN_CHARS:
        raise AuthenticationError("token too large")
    match = _HEADER.match(authorization.strip())
    if match is None:
        raise AuthenticationError("malformed authorization header")
    return match.group(1)


def _decode(
    token: str, found: jose.Key, algorithm: str, provider: ProviderSettings, now: float
) -> Mapping[str, Any]:
    try:
        claims = jose.verify(token, found, [algorithm]).claims
    except (jose.JoseError, ValueError):
        raise AuthenticationError("invalid signature") from None
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if (value is not None or name == "exp") and (
            not isinstance(value, int | float) or isinstance(value, bool)
        ):
            raise AuthenticationError(f"invalid claims: {name}")
    registry = jose.JWTClaimsRegistry(
        now=int(now), leeway=int(provider.leeway), iss={"essential": True, "value": provider.issuer}
    )
    try:
        registry.validate(claims)
    except jose.ExpiredTokenError:
        raise AuthenticationError("token expired") from None
    except jose.ClaimError as error:
        if error.claim == "nbf":
            raise AuthenticationError("token not yet valid") from None
        if error.claim == "iss":
            raise AuthenticationError("invalid issuer") from None
        if error.claim == "aud":
            raise AuthenticationError("invalid audience") from None
        raise AuthenticationError("invalid claims") from None
    if not audience_accepted(claims.get("aud"), provider.audiences):
        raise AuthenticationError("invalid audience")
    return claims


def _needs_userinfo(answer: Mapping[str, Any], provider: ProviderSettings) -> bool:
    """A user's introspection answer (it names a ``username``) lacking the subject claim."""
    return "username" in answer and provider.claims.subject not in answer


def _principal(
    claims: Mapping[str, Any], provider: ProviderSettings
) -> tuple[Principal, IntegratorClient | None]:
    try:
        identity = provider.claims.identity(claims)
    except ClaimError as error:
        raise AuthenticationError(f"invalid claims: {_claim_label(error)}") from None
    subject = identity.subject
    client_id = claims.get("client_id", claims.get("azp"))
    if not isinstance(client_id, str | None):
        raise AuthenticationError("invalid claims: sub/client_id")
    client = None if client_id is None else provider.clients.get(client_id)
    client_credentials = (
        client_id is not None
        and claims.get("gty") != "user"
        and (subject in (None, client_id) or claims.get("gty") == _CLIENT_CREDENTIALS)
    )
    if client_credentials and client is not None:
        subject = name = client.subject
    else:
        if client_credentials and provider.require_listed_clients:
            raise AuthenticationError("unknown client")
        if client_credentials:
            subject = subject or client_id
        if not subject:
            raise AuthenticationError("invalid claims: sub")
        name = identity.name or subject
    return Principal(subject, name, identity.roles, identity.department, client_id), client


def _claim_label(error: ClaimError) -> str:
    """A short fixed label for a claim error (the message names a claim path, no value)."""
    text = str(error)
    for label in ("subject", "department", "roles"):
        if label in text:
            return "sub" if label == "subject" else label
    return "claims"
