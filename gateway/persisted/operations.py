"""Which document a request runs: its own text, a persisted operation, or a refusal.

A request may carry its document (``query``), an id (``extensions.persistedQuery.sha256Hash``,
Apollo's APQ and persisted queries; ``documentId``, Hive and the GraphQL-over-HTTP proposal),
or both. The ``persisted_operations`` mode decides what runs:

``allow``           any document; ids resolve through the manifests, then the APQ store
``log-unknown``     the same, and a document no manifest holds is logged (once per replica)
``only-persisted``  only documents of the manifests, by id or by text; the APQ store is never
                    read nor written, so nothing can be registered

An integrator client limited to trusted documents (``trusted_documents`` in the providers'
settings) is held to ``only-persisted`` with its own list in place of the gateway's manifests.

Automatic persisted queries, step by step (Apollo's protocol):

1. hash alone, unknown: ``PERSISTED_QUERY_NOT_FOUND`` (status 200, not cached): the client
   sends the hash again, with the document;
2. hash + document: SHA-256 of the document must be the hash, else
   ``PERSISTED_QUERY_HASH_MISMATCH`` (400) and nothing runs; the document runs, and is kept
   (:meth:`PersistedOperations.remember`) once it has parsed and validated;
3. hash alone: the kept document runs.

Without an APQ store or any manifest, a request naming an id gets
``PERSISTED_QUERY_NOT_SUPPORTED``, and an APQ client stops sending hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..caching import BoundedCache
from ..errors import RequestError
from ..graphql_request import GraphQLRequest
from .errors import (
    OperationNotTrusted,
    PersistedQueryHashMismatch,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
)
from .manifest import Manifest, digest
from .store import DocumentStore, sha256_of

__all__ = ["MODES", "Mode", "PersistedOperations", "Resolved"]

log = logging.getLogger("tandem.persisted")

Mode = Literal["allow", "log-unknown", "only-persisted"]
MODES: Final = ("allow", "log-unknown", "only-persisted")

_REPORTED_ENTRIES: Final = 10_000  # unknown documents already logged by this replica


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document to run, and the APQ hash to keep it under once it has validated."""

    query: str
    register: str | None = None


class PersistedOperations:
    """Resolves a request's document under one mode, with manifests and an APQ store."""

    def __init__(
        self,
        mode: Mode = "allow",
        manifest: Manifest | None = None,
        *,
        store: DocumentStore | None = None,
        client_manifests: Mapping[str, Manifest] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self.manifest = manifest if manifest is not None else Manifest("none")
        self.store = store
        self.client_manifests = client_manifests or {}
        self._reported: BoundedCache[str, bool] = BoundedCache(_REPORTED_ENTRIES)

    async def resolve(self, asked: GraphQLRequest, client_list: str | None = None) -> Resolved:
        """The document ``asked`` runs; ``client_list``: the caller's own trusted-documents
        list, when it is limited to one (module docstring)."""
        if client_list is not None:
            manifest = self.client_manifests.get(client_list) or Manifest(client_list)
            mode: Mode = "only-persisted"
        else:
            manifest, mode = self.manifest, self.mode
        apq = _apq_hash(asked.extensions)
        if apq is not None and asked.document_id is not None and apq != asked.document_id:
            raise RequestError(
                "documentId and extensions.persistedQuery.sha256Hash name different documents"
            )
        key = apq if apq is not None else asked.document_id
        if key is None:
            return Resolved(self._admit(asked.query, manifest, mode, asked.operation_name))
        apollo = apq is not None
        store = self.store if mode != "only-persisted" else None
        if store is None and not manifest.bodies:
            raise PersistedQueryNotSupported(apollo=apollo)
        known = manifest.body(key)
        if not asked.query:  # an id alone
            if known is not None:
                return Resolved(known)
            kept = await store.get(key.lower()) if store is not None else None
            if kept is None:
                raise PersistedQueryNotFound(apollo=apollo)
            return Resolved(self._admit(kept, manifest, mode, asked.operation_name))
        if known is not None:  # an id of the manifest, and its text
            if digest(known) != digest(asked.query):
                raise PersistedQueryHashMismatch("the document is not the one this id names")
            return Resolved(known)
        if sha256_of(asked.query) != key.lower():
            raise PersistedQueryHashMismatch("provided sha does not match query")
        query = self._admit(asked.query, manifest, mode, asked.operation_name)
        return Resolved(query, register=key.lower() if store is not None else None)

    async def remember(self, resolved: Resolved) -> None:
        """Keep a registered document (call once it has run: it parsed and validated)."""
        if resolved.register is not None and self.store is not None:
            await self.store.put(resolved.register, resolved.query)

    async def close(self) -> None:
        """Close the APQ store's connections, if it has any."""
        close = getattr(self.store, "close", None)
        if close is not None:
            await close()

    def _admit(self, query: str, manifest: Manifest, mode: Mode, name: str | None) -> str:
        if mode == "allow" or manifest.allows(query):
            return query
        if mode == "only-persisted":
            raise OperationNotTrusted("only persisted operations may run: this one is not")
        hashed = digest(query)
        if self._reported.get(hashed) is None:
            self._reported.put(hashed, True)
            log.warning(
                "operation not in the persisted-operations manifest: sha256 %s, name %r",
                hashed,
                name,
            )
        return query


def _apq_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """``extensions.persistedQuery.sha256Hash``, or None without ``persistedQuery``."""
    persisted = extensions.get("persistedQuery") if extensions else None
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise RequestError("extensions.persistedQuery must be an object")
    if persisted.get("version") != 1:
        raise RequestError("unsupported persisted query version: send version 1")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not sha256:
        raise RequestError("extensions.persistedQuery.sha256Hash must be a non-empty string")
    return sha256
