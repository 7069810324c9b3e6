"""An OpenID provider's metadata and signing keys (JWKS, RFC 7517), found by discovery and cached.

The one discovery and key-set cache of the gateway: bearer tokens, the browser login's ID
and logout tokens and the introspection endpoint all read a provider through it.

Metadata comes from the OpenID discovery document (OpenID Connect Discovery 1.0, section
4), or, for a provider that has none, from its OAuth 2.0 authorization server metadata
(RFC 8414 section 3: ``/.well-known/oauth-authorization-server`` inserted before the
issuer's path, or appended to it as some providers serve it). Either document's ``issuer``
must be the configured one (Discovery 4.3, RFC 8414 3.3). An endpoint the first document
lacks (``introspection_endpoint`` is often only in RFC 8414 metadata) is looked for in the
other. Documents are read once.

The key set is kept for the response's ``Cache-Control: max-age`` (else
``jwks_cache_seconds``), never less than ``jwks_refresh_interval``. A ``kid`` the set does
not know triggers one refresh, and such refreshes happen at most once per
``jwks_refresh_interval``: a flood of tokens with invented ``kid`` values costs the provider
one request per interval. Concurrent refreshes share one request. When the provider cannot
be reached the last key set stays in use; with none at all, :class:`ProviderUnavailable` is
raised. Only public signature keys are kept (:func:`gateway.auth.jose.import_key_set`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from . import jose
from .providers import secure_url

__all__ = [
    "CachedKeys",
    "JwksCache",
    "KeySource",
    "ProviderUnavailable",
    "Source",
    "authorization_server_metadata_urls",
]

_log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES: Final = 256 * 1024
FAILURE_BACKOFF: Final = 5.0
"""After a failed fetch, seconds before the next try (at most ``jwks_refresh_interval``)."""

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_ACCEPT: Final = {"Accept": "application/json"}
_OPENID: Final = "/.well-known/openid-configuration"
_OAUTH: Final = "/.well-known/oauth-authorization-server"

T = TypeVar("T")


class ProviderUnavailable(Exception):
    """The provider's discovery document, key set or introspection cannot be had."""


class KeySource(Protocol):
    """Where and how often to read one provider (``ProviderSettings`` is one)."""

    @property
    def issuer(self) -> str: ...
    @property
    def discovery_url(self) -> str: ...
    @property
    def jwks_url(self) -> str | None: ...
    @property
    def jwks_cache_seconds(self) -> float: ...
    @property
    def jwks_refresh_interval(self) -> float: ...
    @property
    def timeout(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Source:
    """A :class:`KeySource` for a provider known by its issuer alone (the browser login)."""

    issuer: str
    discovery_url: str = ""
    jwks_url: str | None = None
    jwks_cache_seconds: float = 600.0
    jwks_refresh_interval: float = 10.0
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class CachedKeys:
    """A provider's usable public keys, as fetched at one time."""

    keys: jose.KeySet
    expires_at: float

    def knows(self, kid: str) -> bool:
        """True if some key carries ``kid`` (whatever its type)."""
        return jose.knows(self.keys, kid)

    def find(self, kid: str | None, algorithm: str) -> jose.Key | None:
        """The key named ``kid`` that fits ``algorithm``; without a ``kid``, the only one."""
        return jose.find_key(self.keys, kid, algorithm)


def authorization_server_metadata_urls(issuer: str) -> tuple[str, ...]:
    """Where RFC 8414 metadata may be: the well-known path before the issuer's, then after."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    inserted = urlunsplit((parts.scheme, parts.netloc, _OAUTH + path, "", ""))
    appended = issuer.rstrip("/") + _OAUTH
    return (inserted,) if inserted == appended else (inserted, appended)


class JwksCache:
    """The metadata and signing keys of one provider, fetched with ``http`` and cached."""

    def __init__(
        self,
        provider: KeySource,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.requests = 0
        """JWKS requests sent so far (discovery not counted)."""
        self._http = http
        self._clock = clock
        self._keyset: CachedKeys | None = None
        self._metadata: Mapping[str, Any] | None = None
        self._metadata_url: str | None = None
        self._other: Mapping[str, Any] | None = None  # the second kind of metadata, if read
        self._last_unknown_kid = -math.inf
        self._failed_at = -math.inf
        self._backoff = min(FAILURE_BACKOFF, provider.jwks_refresh_interval)
        self._keys_flight: _SingleFlight[CachedKeys | None] = _SingleFlight()
        self._discovery_flight: _SingleFlight[Mapping[str, Any] | None] = _SingleFlight()

    async def key(self, kid: str | None, algorithm: str) -> jose.Key | None:
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
        """The provider's discovery document (or RFC 8414 metadata), fetched once."""
        if self._metadata is not None:
            return self._metadata
        if not self._discovery_flight.busy and self._clock() - self._failed_at < self._backoff:
            raise ProviderUnavailable(f"{self.provider.issuer}: discovery failed recently")
        metadata = await self._discovery_flight.run(self._discover)
        if metadata is None:
            raise ProviderUnavailable(f"{self.provider.issuer}: discovery failed")
        return metadata

    async def endpoint(self, name: str) -> str | None:
        """The URL the metadata gives for ``name`` (``introspection_endpoint``...), or None.

        Looked for in the discovery document, then in the other kind of metadata.
        """
        found = (await self.metadata()).get(name)
        if found is None and self._other is None:
            self._other = await self._other_metadata()
        if found is None:
            found = self._other.get(name) if self._other else None
        if found is None:
            return None
        if not isinstance(found, str) or not secure_url(found):
            raise ProviderUnavailable(f"{self.provider.issuer}: {name} is not a usable URL")
        return found

    async def _current(self) -> CachedKeys:
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

    async def _fetch_keys(self) -> CachedKeys | None:
        provider = self.provider
        try:
            url = provider.jwks_url or await self._jwks_uri()
            self.requests += 1
            response = await self._http.get(url, headers=_ACCEPT, timeout=provider.timeout)
            keys = jose.import_key_set(_json(response))
        except (ProviderUnavailable, httpx.HTTPError, ValueError) as error:
            self._failed_at = self._clock()
            _log.warning("JWKS of %s not fetched: %s", provider.issuer, _describe(error))
            return None
        lifetime = _max_age(response.headers.get("cache-control", ""))
        if lifetime is None:
            lifetime = provider.jwks_cache_seconds
        lifetime = min(max(lifetime, provider.jwks_refresh_interval), 86400.0)
        self._keyset = CachedKeys(keys, self._clock() + lifetime)
        return self._keyset

    async def _jwks_uri(self) -> str:
        uri = (await self.metadata()).get("jwks_uri")
        if not isinstance(uri, str) or not secure_url(uri):
            raise ProviderUnavailable("discovery names no usable jwks_uri")
        return uri

    def _openid_url(self) -> str:
        return self.provider.discovery_url or self.provider.issuer.rstrip("/") + _OPENID

    async def _discover(self) -> Mapping[str, Any] | None:
        """The OpenID discovery document; failing that (a plain OAuth 2.0 server), RFC 8414."""
        provider = self.provider
        errors: list[Exception] = []
        for url in (self._openid_url(), *authorization_server_metadata_urls(provider.issuer)):
            try:
                document = await self._document(url)
            except (httpx.HTTPError, ValueError) as error:
                errors.append(error)
                not_here = (
                    isinstance(error, httpx.HTTPStatusError) and error.response.status_code == 404
                ) or (isinstance(error, ValueError) and not isinstance(error, _WrongIssuer))
                if not_here:
                    continue  # this kind of metadata is not served: try the next
                break  # down, broken, or another issuer's: no fallback hides that
            self._metadata, self._metadata_url = document, url
            return document
        self._failed_at = self._clock()
        reasons = ", ".join(dict.fromkeys(_describe(error) for error in errors))
        _log.warning("discovery of %s failed: %s", provider.issuer, reasons)
        return None

    async def _other_metadata(self) -> Mapping[str, Any]:
        """The kind of metadata :meth:`_discover` did not use ({} when there is none)."""
        urls = list(authorization_server_metadata_urls(self.provider.issuer))
        if self._metadata_url in urls:
            urls = [self._openid_url()]
        for url in urls:
            try:
                return await self._document(url)
            except (httpx.HTTPError, ValueError):
                continue
        return {}

    async def _document(self, url: str) -> Mapping[str, Any]:
        response = await self._http.get(url, headers=_ACCEPT, timeout=self.provider.timeout)
        document = _json(response)
        if not isinstance(document, dict):
            raise ValueError("metadata document is not an object")
        if document.get("issuer") != self.provider.issuer:
            raise _WrongIssuer("metadata document names another issuer")
        return document


class _WrongIssuer(ValueError):
    """A metadata document for another issuer (Discovery 1.0 4.3, RFC 8414 3.3)."""


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


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__ if isinstance(error, httpx.HTTPError) else str(error)
