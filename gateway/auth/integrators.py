"""Limits for third-party integrators: a request rate per client, and trusted documents.

A client listed in the bearer providers' settings (``[providers.clients.<id>]``) may carry
``rate_limit_per_minute`` and ``trusted_documents`` (the name of a list). Rates are counted in
Redis (``TANDEM_REDIS_URL``) so that every replica shares one budget, or in this process when
no Redis is configured; each operation of a batched request counts. A trusted-documents list
is a manifest ``<name>.json`` in ``TANDEM_TRUSTED_DOCUMENTS_DIR``, in any format
``gateway/persisted/manifest.py`` reads (a list of operation texts or their SHA-256 hex
digests, Apollo's persisted query manifest, an ``{id: text}`` map); the client may run those
operations, by text or by id, and nothing else (``gateway/persisted/operations.py``).

When Redis cannot be reached the limiter does what ``rate_limit_on_store_failure`` says
(``TANDEM_RATE_LIMIT_ON_STORE_FAILURE``):

- ``closed`` (the default): a rate-limited client's request is answered 503
  ``SERVICE_UNAVAILABLE`` with ``Retry-After``. A limit is a promise to the subgraphs behind
  the gateway and to the other integrators sharing them; an outage of the counter should not
  lift it, and integrators are programs that retry after ``Retry-After`` anyway. Clients
  without a limit (and browser users) are not affected by the limiter.
- ``open``: the request goes through, counted by this replica alone in memory (so a client is
  still held to its limit per replica, at most N times it with N replicas). For operators who
  value availability over the exact budget.

Either way the outage is logged once, and its end once with the number of calls it cost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal, Protocol

from ..errors import TandemError
from ..persisted.errors import OperationNotTrusted
from ..persisted.manifest import Manifest, ManifestError, read_manifest
from ..shared_state import REDIS_DOWN, Outage, ServiceUnavailable, redis_client

__all__ = [
    "MemoryRateLimiter",
    "OperationNotTrusted",
    "RateLimited",
    "RateLimiter",
    "RedisRateLimiter",
    "StoreFailure",
    "TrustedDocuments",
]

log = logging.getLogger("tandem.auth")

StoreFailure = Literal["open", "closed"]
"""What the Redis rate limiter does while Redis is away (see the module docstring)."""

STORE_FAILURES: Final = ("open", "closed")


class RateLimited(TandemError):
    code = "RATE_LIMITED"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many requests for this client: try again later")
        self.retry_after = retry_after


class RateLimiter(Protocol):
    async def hit(self, client_id: str, per_minute: int, count: int = 1) -> None:
        """Count ``count`` operations (one request, or a batch); raise :class:`RateLimited`
        past ``per_minute``."""


class MemoryRateLimiter:
    """Fixed one-minute windows in this process (a single replica)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, client_id: str, per_minute: int, count: int = 1) -> None:
        window = int(time.time() // 60)
        start, counted = self._windows.get(client_id, (window, 0))
        if start != window:
            start, counted = window, 0
        counted += count
        self._windows[client_id] = (start, counted)
        if counted > per_minute:
            raise RateLimited(retry_after=60 - int(time.time()) % 60)


class RedisRateLimiter:
    """Fixed one-minute windows in Redis: one budget shared by every replica; while Redis is
    away, fail ``closed`` (503) or ``open`` (this replica's own count)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "tandem:ratelimit:",
        on_store_failure: StoreFailure = "closed",
    ) -> None:
        if on_store_failure not in STORE_FAILURES:
            raise ValueError(f"on_store_failure must be open or closed, not {on_store_failure!r}")
        self.redis = redis_client(url)
        self.prefix = prefix
        self.on_store_failure = on_store_failure
        self.outage = Outage(
            "Redis for rate limits",
            log,
            message="the rate limit cannot be checked right now: try again shortly",
        )
        self._local = MemoryRateLimiter()

    async def hit(self, client_id: str, per_minute: int, count: int = 1) -> None:
        window = int(time.time() // 60)
        key = f"{self.prefix}{client_id}:{window}"
        try:
            async with self.outage.guard(*REDIS_DOWN), self.redis.pipeline(True) as pipe:
                pipe.incrby(key, count)
                pipe.expire(key, 120)
                counted, _ = await pipe.execute()
        except ServiceUnavailable:
            if self.on_store_failure == "closed":
                raise
            await self._local.hit(client_id, per_minute, count)  # open: this replica alone
            return
        if int(counted) > per_minute:
            raise RateLimited(retry_after=60 - int(time.time()) % 60)

    async def close(self) -> None:
        await self.redis.aclose()


class TrustedDocuments:
    """The integrators' lists of operations, read once from a folder of manifests."""

    def __init__(self, folder: str | Path | None) -> None:
        self.lists: dict[str, Manifest] = {}
        if folder is None:
            return
        for path in sorted(Path(folder).glob("*.json")):
            try:
                self.lists[path.stem] = read_manifest(path)
            except ManifestError as error:
                raise TandemError(f"trusted documents: {error}", code="INVALID_SETTING") from None

    def check(self, list_name: str, query: str) -> None:
        """Refuse ``query`` unless it is one of the texts of the list ``list_name``."""
        manifest = self.lists.get(list_name)
        if manifest is None or not manifest.allows(query):
            raise OperationNotTrusted("this client may only run its trusted documents")


def from_environment(environ: Mapping[str, str]) -> tuple[RateLimiter, TrustedDocuments]:
    """The limiter and trusted documents that ``TANDEM_REDIS_URL``,
    ``TANDEM_RATE_LIMIT_ON_STORE_FAILURE`` and ``TANDEM_TRUSTED_DOCUMENTS_DIR`` describe."""
    url = environ.get("TANDEM_REDIS_URL")
    failure = environ.get("TANDEM_RATE_LIMIT_ON_STORE_FAILURE") or "closed"
    if failure not in STORE_FAILURES:
        raise TandemError(
            f"TANDEM_RATE_LIMIT_ON_STORE_FAILURE must be open or closed, not {failure!r}",
            code="INVALID_SETTING",
        )
    limiter: RateLimiter = (
        RedisRateLimiter(url, on_store_failure="open" if failure == "open" else "closed")
        if url
        else MemoryRateLimiter()
    )
    return limiter, TrustedDocuments(environ.get("TANDEM_TRUSTED_DOCUMENTS_DIR"))
