"""Persisted operations: automatic persisted queries (APQ) and trusted-document manifests.

``manifest.py`` reads the manifests clients' build tools write (Apollo's, GraphQL Codegen's and
Hive's, integrators' lists), ``store.py`` keeps APQ documents (in memory, or in Redis as well),
``operations.py`` decides which document a request runs under the ``persisted_operations``
mode, and ``errors.py`` holds the codes Apollo's and Hive's clients expect.
"""

from .errors import (
    NO_CACHE,
    OperationNotTrusted,
    PersistedQueryHashMismatch,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
)
from .manifest import Manifest, ManifestError, read_manifest
from .operations import MODES, Mode, PersistedOperations, Resolved
from .store import DocumentStore, MemoryDocumentStore, RedisDocumentStore, sha256_of

__all__ = [
    "MODES",
    "NO_CACHE",
    "DocumentStore",
    "Manifest",
    "ManifestError",
    "MemoryDocumentStore",
    "Mode",
    "OperationNotTrusted",
    "PersistedOperations",
    "PersistedQueryHashMismatch",
    "PersistedQueryNotFound",
    "PersistedQueryNotSupported",
    "RedisDocumentStore",
    "Resolved",
    "read_manifest",
    "sha256_of",
]
