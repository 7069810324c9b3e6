"""The coded refusals of persisted operations, as Apollo's and Hive's clients expect them.

``PERSISTED_QUERY_NOT_FOUND`` and ``PERSISTED_QUERY_NOT_SUPPORTED`` keep Apollo's messages
(``PersistedQueryNotFound``, ``PersistedQueryNotSupported``) and, for a hash sent in
``extensions.persistedQuery``, Apollo Server's status 200 with ``Cache-Control: private,
no-cache, must-revalidate``: an APQ client reads them as "send the document" and "stop sending
hashes" (apollo-server ``errors``; the Apollo router's APQ layer). A ``documentId`` that is not
known is a 404, as the GraphQL-over-HTTP persisted-documents proposal and the Apollo router's
persisted-query list answer it.
"""

from __future__ import annotations

from typing import Final

from ..errors import RequestError, TandemError

__all__ = [
    "NO_CACHE",
    "OperationNotTrusted",
    "PersistedQueryHashMismatch",
    "PersistedQueryNotFound",
    "PersistedQueryNotSupported",
]

NO_CACHE: Final = {"cache-control": "private, no-cache, must-revalidate"}
"""Headers of a not-found or not-supported answer: no cache may keep it, since the next
request with the same hash may well succeed."""


class OperationNotTrusted(TandemError):
    """Only persisted operations may run for this caller, and this one is not among them."""

    code = "OPERATION_NOT_TRUSTED"
    status = 403


class PersistedQueryNotFound(RequestError):
    """No document is known under the id the client sent (it may send the document itself)."""

    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self, *, apollo: bool) -> None:
        super().__init__("PersistedQueryNotFound", status=200 if apollo else 404)


class PersistedQueryNotSupported(RequestError):
    """The gateway keeps no persisted operations (no APQ store, no manifest)."""

    code = "PERSISTED_QUERY_NOT_SUPPORTED"

    def __init__(self, *, apollo: bool) -> None:
        super().__init__("PersistedQueryNotSupported", status=200 if apollo else 400)


class PersistedQueryHashMismatch(RequestError):
    """The document sent is not the one its id names: nothing is registered or run."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"
