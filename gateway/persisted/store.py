"""Where automatic persisted queries (APQ) are kept: in this process, or in Redis as well.

A client registers a document once (its SHA-256 hash and its text, checked against each other
before anything is stored) and then sends the hash alone. Only documents whose hash was checked
are ever put here, and a text read back from Redis is checked again before it is used, so a
hash always runs the text it is the digest of.

- :class:`MemoryDocumentStore`: a :class:`~gateway.caching.BoundedCache`, bounded in entries
  and in bytes (least recently used documents leave first); one per replica.
- :class:`RedisDocumentStore`: one store for every replica (a document registered through one
  is found through the others), each entry expiring ``ttl`` seconds after it was last
  registered, with this replica's memory store in front. While Redis is away the memory store
  alone answers: a document it does not hold is "not found", which an APQ client answers by
  sending the text again, so an outage costs a larger request, never an error. The outage is
  logged once (``shared_state.Outage``).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

from ..caching import BoundedCache
from ..shared_state import REDIS_DOWN, Outage, ServiceUnavailable, redis_client

__all__ = ["DocumentStore", "MemoryDocumentStore", "RedisDocumentStore", "sha256_of"]

log = logging.getLogger("tandem.persisted")

ENTRY_OVERHEAD = 200
"""Estimated bytes an entry costs besides its text and its key (two str objects, the LRU's
bookkeeping)."""


def sha256_of(query: str) -> str:
    """The APQ hash of a document: SHA-256 of its exact text, in lower-case hex."""
    return hashlib.sha256(query.encode()).hexdigest()


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None:
        """The document registered under ``sha256``, or None."""

    async def put(self, sha256: str, query: str) -> None:
        """Keep ``query`` under ``sha256`` (the caller checked that it is its hash)."""


class MemoryDocumentStore:
    """Documents in this process, bounded in number and in bytes."""

    def __init__(self, entries: int = 10_000, max_bytes: int = 16 * 2**20) -> None:
        self.cache: BoundedCache[str, str] = BoundedCache(entries, max_bytes)

    async def get(self, sha256: str) -> str | None:
        return self.cache.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        self.cache.put(sha256, query, len(query) + len(sha256) + ENTRY_OVERHEAD)


class RedisDocumentStore:
    """Documents shared by every replica through Redis, this replica's memory in front."""

    def __init__(
        self,
        url: str,
        local: MemoryDocumentStore,
        *,
        ttl: int = 86_400,
        prefix: str = "tandem:apq:",
    ) -> None:
        self.redis = redis_client(url)
        self.local = local
        self.ttl = ttl
        self.prefix = prefix
        self.outage = Outage("Redis for persisted queries", log)

    async def get(self, sha256: str) -> str | None:
        found = await self.local.get(sha256)
        if found is not None:
            return found
        try:
            async with self.outage.guard(*REDIS_DOWN):
                raw = await self.redis.get(self.prefix + sha256)
        except ServiceUnavailable:
            return None  # the client sends the text again (module docstring)
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        if sha256_of(text) != sha256:
            log.warning("persisted query %s in Redis does not match its hash: ignored", sha256)
            return None
        await self.local.put(sha256, text)
        return text

    async def put(self, sha256: str, query: str) -> None:
        await self.local.put(sha256, query)
        try:
            async with self.outage.guard(*REDIS_DOWN):
                await self.redis.set(self.prefix + sha256, query, ex=self.ttl)
        except ServiceUnavailable:
            return  # kept by this replica; the others will be sent the text once more

    async def close(self) -> None:
        await self.redis.aclose()
