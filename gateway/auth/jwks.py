"""An OpenID provider's signing keys (JWKS, RFC 7517), found by discovery and cached.

The discovery document (OpenID Connect Discovery 1.0, section 4) is read once; its
``issuer`` must be the configured one (section 4.3). The key set is kept for the
response's ``Cache-Control: max-age`` (else ``jwks_cache_seconds``), never less than
``jwks_refresh_interval``. A ``kid`` the set does not know triggers one refresh, and
such refreshes happen at most once per ``jwks_refresh_interval``: a flood of tokens with
invented ``kid`` values costs the provider one request per interval. Concurrent
refreshes share one request. When the provider cannot be reached the last key set stays
in use; with none at all, :class:`ProviderUnavailable` is raised.

Only public signature keys that python-jose can use are kept: ``RSA`` (at least 2048
bits) and ``EC`` on P-256/P-384/P-521, without private members; a key is used only with an
algorithm that fits its type, curve and ``alg`` (RFC 7518 section 3.1).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

import httpx
import orjson

from .providers import ProviderSettings, secure_url

__all__ = ["JwksCache", "KeySet", "ProviderUnavailable", "compatible", "parse_jwks"]

_log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES: Final = 256 * 1024
MAX_KEYS: Final = 100
MIN_RSA_BITS: Final = 2048
FAILURE_BACKOFF: Final = 5.0
"""After a failed fetch, seconds before the next try (at most ``jwks_refresh_interval``)."""

_CURVES: Final = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_PUBLIC_MEMBERS: Final = {
    "RSA": ("kty", "kid", "use", "alg", "n", "e"),
    "EC": ("kty", "kid", "use", "alg", "crv", "x", "y"),
}
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_ACCEPT: Final = {"Accept": "application/json"}

T = TypeVar("T")


class ProviderUnavailable(Exception):
    """The provider's discovery document, key set or introspection cannot be had."""


@dataclass(frozen=True, slots=True)
class KeySet:
    """A provider's usable public keys, as fetched at one time."""

    keys: tuple[Mapping[str, Any], ...]
    expires_at: float

    def knows(self, kid: str) -> bool:
        """True if some key carries ``kid`` (whatever its type)."""
        return any(key.get("kid") == kid for key in self.keys)

    def find(self, kid: str | None, algorithm: str) -> Mapping[str, Any] | None:
        """The key named ``kid`` that fits ``algorithm``; without a ``kid``, the only one."""
        if kid is None:
            fitting = [key for key in self.keys if compatible(key, algorithm)]
            return fitting[0] if len(fitting) == 1 else None
        for key in self.keys:
            if key.get("kid") == kid and compatible(key, algorithm):
                return key
        return None


def compatible(key: Mapping[str, Any], algorithm: str) -> bool:
    """True if ``key`` may verify ``algorithm``: type, curve and its own ``alg`` agree."""
    if key.get("alg") not in (None, algorithm):
        return False
    if algorithm.startswith("RS"):
        return key.get("kty") == "RSA"
    return key.get("kty") == "EC" and key.get("crv") == _CURVES.get(algorithm)


def parse_jwks(document: Any) -> tuple[Mapping[str, Any], ...]:
    """The public signature keys of a JWK Set document; unusable members are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    usable: list[Mapping[str, Any]] = []
    for key in document["keys"][:MAX_KEYS]:
        if not isinstance(key, dict) or key.get("use", "sig") != "sig":
            continue
        operations = key.get("key_ops")
        if operations is not None and (not isinstance(operations, list)
                                       or "verify" not in operations):  # fmt: skip
            continue
        kty = key.get("kty")
        members = _PUBLIC_MEMBERS.get(kty) if isinstance(kty, str) else None
        if members is None or not isinstance(key.get("kid", ""), str):
            continue
        public = {name: key[name] for name in members if name in key}
        if _well_formed(public):
            usable.append(public)
    return tuple(usable)


class JwksCache:
    """The signing keys of one provider, fetched with ``http`` and cached."""

    def __init__(
        self,
        provider: ProviderSettings,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.requests = 0
        """JWKS requests sent so far (discovery not counted)."""
        self._http = http
        self._clock = clock
        self._keyset: KeySet | None = None
        self._metadata: Mapping[str, Any] | None = None
        self._last_unknown_kid = -math.inf
        self._failed_at = -math.inf
        self._backoff = min(FAILURE_BACKOFF, provider.jwks_refresh_interval)
        self._keys_flight: _SingleFlight[KeySet | None] = _SingleFlight()
        self._discovery_flight: _SingleFlight[Mapping[str, Any] | None] = _SingleFlight()

    async def key(self, kid: str | None, algorithm: str) -> Mapping[str, Any] | None:
        """The JWK for ``kid`` and ``algorithm``, refreshing once (rate-limited) if unknown."""
        keyset = await self._current()
        if kid is None or keyset.knows(kid):
            return keyset.find(kid, algorithm)
        if not self._keys_flight.busy:
            now = self._clock()
            if now - self._last_unknown_kid < self.provider.jwks_refresh_interval:
                return None
            self._last_unknown_kid = now
        refreshed = await self._keys_flight.run(self._fetch_keys)
        return (refreshed or keyset).find(kid, algorithm)

    async def metadata(self) -> Mapping[str, Any]:
        """The provider's discovery document, fetched once."""
        if self._metadata is not None:
            return self._metadata
        if not self._discovery_flight.busy and self._clock() - self._failed_at < self._backoff:
            raise ProviderUnavailable(f"{self.provider.issuer}: discovery failed recently")
        metadata = await self._discovery_flight.run(self._discover)
        if metadata is None:
            raise ProviderUnavailable(f"{self.provider.issuer}: discovery failed")
        return metadata

    async def _current(self) -> KeySet:
        keyset = self._keyset
        now = self._clock()
        if keyset is not None and now < keyset.expires_at:
            return keyset
        if self._keys_flight.busy or now - self._failed_at >= self._backoff:
            refreshed = await self._keys_flight.run(self._fetch_keys)
            if refreshed is not None:
                return refreshed
        if keyset is not None:
            return keyset  # stale, while the provider cannot be reached
        raise ProviderUnavailable(f"{self.provider.issuer}: no key set")

    async def _fetch_keys(self) -> KeySet | None:
        provider = self.provider
        try:
            url = provider.jwks_url or await self._jwks_uri()
            self.requests += 1
            response = await self._http.get(url, headers=_ACCEPT, timeout=provider.timeout)
            keys = parse_jwks(_json(response))
        except (ProviderUnavailable, httpx.HTTPError, ValueError) as error:
            self._failed_at = self._clock()
            _log.warning("JWKS of %s not fetched: %s", provider.issuer, _describe(error))
            return None
        lifetime = _max_age(response.headers.get("cache-control", ""))
        if lifetime is None:
            lifetime = provider.jwks_cache_seconds
        lifetime = min(max(lifetime, provider.jwks_refresh_interval), 86400.0)
        self._keyset = KeySet(keys, self._clock() + lifetime)
        return self._keyset

    async def _jwks_uri(self) -> str:
        uri = (await self.metadata()).get("jwks_uri")
        if not isinstance(uri, str) or not secure_url(uri):
            raise ProviderUnavailable("discovery names no usable jwks_uri")
        return uri

    async def _discover(self) -> Mapping[str, Any] | None:
        provider = self.provider
        try:
            response = await self._http.get(
                provider.discovery_url, headers=_ACCEPT, timeout=provider.timeout
            )
            document = _json(response)
            if not isinstance(document, dict):
                raise ValueError("discovery document is not an object")
            if document.get("issuer") != provider.issuer:
                raise ValueError("discovery document names another issuer")
        except (httpx.HTTPError, ValueError) as error:
            self._failed_at = self._clock()
            _log.warning("discovery of %s failed: %s", provider.issuer, _describe(error))
            return None
        self._metadata = document
        return document


class _SingleFlight(Generic[T]):
    """Runs one ``work`` at a time; callers that arrive meanwhile await the same result."""

    def __init__(self) -> None:
        self._task: asyncio.Future[T] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        task = self._task
        if task is None:
            task = self._task = asyncio.ensure_future(work())
            task.add_done_callback(self._finished)
        return await asyncio.shield(task)  # a cancelled caller leaves the others theirs

    def _finished(self, task: asyncio.Future[T]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled():
            task.exception()  # retrieved: the awaiting callers receive it


def _json(response: httpx.Response) -> Any:
    response.raise_for_status()
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise ValueError("document too large")
    return orjson.loads(response.content)


def _max_age(cache_control: str) -> float | None:
    if "no-store" in cache_control.lower() or "no-cache" in cache_control.lower():
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return None if match is None else float(match.group(1))


def _well_formed(key: Mapping[str, Any]) -> bool:
    if key.get("alg") is not None and not isinstance(key.get("alg"), str):
        return False
    if key["kty"] == "RSA":
        modulus, exponent = _b64(key.get("n")), _b64(key.get("e"))
        return (
            modulus is not None
            and exponent is not None
            and int.from_bytes(modulus, "big").bit_length() >= MIN_RSA_BITS
        )
    return (
        key.get("crv") in _CURVES.values()
        and _b64(key.get("x")) is not None
        and _b64(key.get("y")) is not None
    )


def _b64(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__ if isinstance(error, httpx.HTTPError) else str(error)
