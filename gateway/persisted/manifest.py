"""Trusted-document manifests: the operations a client may send, as its build tools write them.

One reader for every format, so the gateway-wide manifests (``persisted_operations_manifests``)
and an integrator's own list (``trusted_documents_dir/<list>.json``) mean the same thing:

- Apollo's persisted query manifest (``@apollo/generate-persisted-query-manifest``)::

      {"format": "apollo-persisted-query-manifest", "version": 1,
       "operations": [{"id": "...", "body": "query Q { ... }", "name": "Q", "type": "query"}]}

- a map of ids to documents, as GraphQL Codegen's client preset (``persistedDocuments``) and
  Hive's app deployments write it: ``{"<hash>": "query Q { ... }", ...}``;
- a list of operation texts or of their SHA-256 hex digests (integrators' lists, as before):
  ``["{ me }", "5e3f...", ...]``; a text's id is its digest.

Ids are opaque: a client sends one as ``extensions.persistedQuery.sha256Hash`` or as
``documentId`` and gets that entry's body. A client may also send the full text of an entry
(compared by SHA-256, surrounding white space aside).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = ["APOLLO_FORMAT", "Manifest", "ManifestError", "digest", "read_manifest"]

APOLLO_FORMAT: Final = "apollo-persisted-query-manifest"

_HEX: Final = frozenset("0123456789abcdef")


class ManifestError(ValueError):
    """A manifest file that cannot be read, or is in no format this module knows."""


def digest(text: str) -> str:
    """The SHA-256 hex digest a manifest keeps of an operation text (white space around it
    aside, so a trailing newline in a file or a request changes nothing)."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """The operations of one manifest: bodies by id, and the digests of every text allowed."""

    name: str
    bodies: Mapping[str, str] = field(default_factory=dict)
    digests: frozenset[str] = frozenset()

    def body(self, document_id: str) -> str | None:
        """The operation text under ``document_id``, or None."""
        return self.bodies.get(document_id)

    def allows(self, query: str) -> bool:
        """Whether ``query`` is the text of one of this manifest's operations."""
        return digest(query) in self.digests

    def __len__(self) -> int:
        return len(self.digests)

    @classmethod
    def of(
        cls, name: str, documents: Mapping[str, str], digests: frozenset[str] = frozenset()
    ) -> Manifest:
        """A manifest of ``documents`` (id -> body) plus texts known only by ``digests``."""
        texts = frozenset(digest(body) for body in documents.values())
        return cls(name, dict(documents), texts | digests)


def read_manifest(path: str | Path) -> Manifest:
    """The manifest in ``path`` (any format of the module docstring), named after the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ManifestError(f"{path}: not JSON ({error})") from None
    try:
        return _parse(path.stem, data)
    except ManifestError as error:
        raise ManifestError(f"{path}: {error}") from None


def _parse(name: str, data: Any) -> Manifest:
    if isinstance(data, list):
        return _from_list(name, data)
    if not isinstance(data, dict):
        raise ManifestError("expected a JSON object or list")
    if "format" in data or "operations" in data:
        return _from_apollo(name, data)
    if not all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in data.items()):
        raise ManifestError("expected a map of ids to operation texts")
    return Manifest.of(name, data)


def _from_apollo(name: str, data: dict[str, Any]) -> Manifest:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise ManifestError(f'expected "format": "{APOLLO_FORMAT}" and "version": 1')
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError('"operations" must be a list')
    bodies: dict[str, str] = {}
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise ManifestError(f"operations[{index}] must be an object")
        document_id, body = operation.get("id"), operation.get("body")
        if not isinstance(document_id, str) or not document_id:
            raise ManifestError(f"operations[{index}].id must be a non-empty string")
        if not isinstance(body, str) or not body.strip():
            raise ManifestError(f"operations[{index}].body must be an operation text")
        if bodies.get(document_id, body) != body:
            raise ManifestError(f"id {document_id!r} names two different bodies")
        bodies[document_id] = body
    return Manifest.of(name, bodies)


def _from_list(name: str, entries: list[Any]) -> Manifest:
    if not all(isinstance(e, str) and e.strip() for e in entries):
        raise ManifestError("expected a JSON list of operation texts or SHA-256 digests")
    known = {e.strip() for e in entries if _is_digest(e.strip())}
    texts = {digest(e): e for e in entries if not _is_digest(e.strip())}
    return Manifest.of(name, texts, frozenset(known))


def _is_digest(text: str) -> bool:
    return len(text) == 64 and set(text) <= _HEX
