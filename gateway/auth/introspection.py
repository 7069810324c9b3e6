"""Token introspection (RFC 7662) for opaque access tokens, with a short cache of active ones.

The gateway authenticates to the endpoint with HTTP Basic (RFC 6749 section 2.3.1) and sends
``token`` with ``token_type_hint=access_token`` (section 2.1). Only ``"active": true`` counts
(section 2.2); :func:`refusal` then checks what the response says about the token the way a
JWT's claims are checked: not a refresh token, ``exp``/``nbf`` with leeway, ``iss``, and an
``aud`` among the accepted audiences (required: a token for another resource server is
refused, section 4). Active responses are reused for ``cache_seconds``, never past their
``exp``; the cache is keyed by the token's SHA-256, never by the token, and is the gateway's
one bounded cache type (:class:`gateway.caching.BoundedCache`: the least recently used
answers leave first). Concurrent requests with the same token share one introspection call.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote_plus

import httpx
import orjson

from ..caching import BoundedCache
from .jwks import JwksCache, ProviderUnavailable
from .providers import IntrospectionSettings, ProviderSettings

__all__ = ["Introspector", "audience_accepted", "refusal"]

_log = logging.getLogger(__name__)

MAX_CACHED: Final = 10_000
MAX_RESPONSE_BYTES: Final = 64 * 1024
_ACCESS_TOKEN_TYPES: Final = frozenset({"bearer", "access_token"})


class Introspector:
    """Asks one provider's introspection endpoint whether opaque tokens are active."""

    def __init__(
        self,
        provider: ProviderSettings,
        http: httpx.AsyncClient,
        jwks: JwksCache,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if provider.introspection is None:
            raise ValueError(f"{provider.issuer} has no introspection settings")
        self.provider = provider
        self.settings: IntrospectionSettings = provider.introspection
        self.requests = 0
        """Introspection requests sent so far."""
        self._http = http
        self._jwks = jwks
        self._clock = clock
        self._cache: BoundedCache[bytes, tuple[Mapping[str, Any], float]] = BoundedCache(
            MAX_CACHED
        )
        self._flights: dict[bytes, asyncio.Future[Mapping[str, Any] | None]] = {}

    async def introspect(self, token: str) -> Mapping[str, Any] | None:
        """The provider's response for an active ``token``; ``None`` if it is not active.

        Raises :class:`~gateway.auth.jwks.ProviderUnavailable` if the provider cannot say.
        """
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(digest)
        if cached is not None:
            if self._clock() < cached[1]:
                return cached[0]
            self._cache.pop(digest)
        flight = self._flights.get(digest)
        if flight is None:
            flight = self._flights[digest] = asyncio.ensure_future(self._ask(token, digest))
            flight.add_done_callback(lambda done: self._landed(digest, done))
        return await asyncio.shield(flight)

    async def _ask(self, token: str, digest: bytes) -> Mapping[str, Any] | None:
        settings = self.settings
        endpoint = await self.endpoint()
        auth = httpx.BasicAuth(quote_plus(settings.client_id), quote_plus(settings.client_secret))
        form = {"token": token, "token_type_hint": "access_token"}
        self.requests += 1
        try:
            response = await self._http.post(
                endpoint,
                data=form,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=self.provider.timeout,
            )
            response.raise_for_status()
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise ValueError("response too large")
            answer = orjson.loads(response.content)
        except (httpx.HTTPError, ValueError) as error:
            reason = (
                f"HTTP {error.response.status_code}"
                if isinstance(error, httpx.HTTPStatusError)
                else type(error).__name__
            )
            _log.warning("introspection at %s failed: %s", self.provider.issuer, reason)
            raise ProviderUnavailable(f"{self.provider.issuer}: introspection failed") from None
        if not isinstance(answer, dict):
            raise ProviderUnavailable(f"{self.provider.issuer}: introspection answer malformed")
        if answer.get("active") is not True:
            return None
        self._remember(digest, answer)
        return answer

    def _remember(self, digest: bytes, answer: Mapping[str, Any]) -> None:
        now = self._clock()
        until = now + self.settings.cache_seconds
        expires = answer.get("exp")
        if isinstance(expires, int | float) and not isinstance(expires, bool):
            until = min(until, float(expires))
        if until <= now:
            return
        self._cache.put(digest, (answer, until))

    def _landed(self, digest: bytes, flight: asyncio.Future[Mapping[str, Any] | None]) -> None:
        if self._flights.get(digest) is flight:
            del self._flights[digest]
        if not flight.cancelled():
            flight.exception()  # retrieved: the awaiting callers receive it

    async def endpoint(self) -> str:
        """The endpoint: configured, else from OpenID discovery or RFC 8414 metadata."""
        if self.settings.endpoint:
            return self.settings.endpoint
        endpoint = await self._jwks.endpoint("introspection_endpoint")
        if endpoint is None:
            raise ProviderUnavailable(f"{self.provider.issuer}: no introspection endpoint")
        return endpoint


def refusal(answer: Mapping[str, Any], provider: ProviderSettings, now: float) -> str | None:
    """Why an active introspection ``answer`` is not acceptable here, or ``None``."""
    token_type = answer.get("token_type")
    if token_type is not None and (
        not isinstance(token_type, str) or token_type.lower() not in _ACCESS_TOKEN_TYPES
    ):
        return "token type not accepted"
    expires, not_before = answer.get("exp"), answer.get("nbf")
    if expires is not None and not _number(expires):
        return "invalid claims: exp"
    if expires is not None and now >= float(expires) + provider.leeway:
        return "token expired"
    if not_before is not None and not _number(not_before):
        return "invalid claims: nbf"
    if not_before is not None and now < float(not_before) - provider.leeway:
        return "token not yet valid"
    if "iss" in answer and answer["iss"] != provider.issuer:
        return "invalid issuer"
    if not audience_accepted(answer.get("aud"), provider.audiences):
        return "invalid audience"
    return None


def audience_accepted(audience: Any, accepted: tuple[str, ...]) -> bool:
    """True if ``aud`` (a string or a list of strings, RFC 7519 4.1.3) names an accepted one."""
    if isinstance(audience, str):
        return audience in accepted
    if isinstance(audience, list) and all(isinstance(item, str) for item in audience):
        return any(item in accepted for item in audience)
    return False


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
