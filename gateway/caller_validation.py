"""Validation for the caller: against the schema they may see, cached per visible schema.

With filtered schema visibility (``gateway/authz/visibility.py``) a caller's schema lacks what
policy hides from them. Validating their document against the whole API schema would let the
errors tell hidden from nonexistent: a hidden field would pass validation and come back
``FORBIDDEN`` while a made-up one fails it, and the spec's rules would suggest hidden names
("Did you mean 'salary'?"). Validated against the caller's schema, a hidden field, argument or
type fails exactly as a nonexistent one does, and suggestions name only what the caller sees
(issue 10, item 6). ``suggestions=False`` leaves every "Did you mean" out as well.

Validation is not rebuilt per request: each visible schema (one per policy version and
roles/department, built once by ``SchemaVisibility``) keeps the outcome per document, keyed
by a digest of the document's text (no copy of it per variant) and the rule set; an error kept
there drops its references to the document's syntax tree (its locations stay), so a cached
failure does not keep a large document alive. The caches live as long as the visible schema
they belong to.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Sequence

from graphql import GraphQLError, GraphQLSchema, ValidationRule, validate
from graphql.language import DocumentNode

from tandem_shared.tokens import Principal

from .authz.visibility import SchemaVisibility
from .caching import BoundedCache

__all__ = ["CallerValidation", "suggestions_wanted"]

_Key = tuple[bytes, tuple[type[ValidationRule], ...]]


def suggestions_wanted(setting: str, *, production: bool) -> bool:
    """The ``validation_suggestions`` setting: ``on``, ``off``, or ``auto`` (on in development,
    where they help; off in production, where they would offer the schema's names to guess)."""
    return setting == "on" or (setting == "auto" and not production)


class CallerValidation:
    """The validation errors of a document for a caller (cached per visible schema)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        visibility: SchemaVisibility | None = None,
        *,
        suggestions: bool = True,
        cache_size: int = 1000,
    ) -> None:
        self.schema = schema
        self.visibility = visibility
        self.suggestions = suggestions
        self.cache_size = cache_size
        self._results: weakref.WeakKeyDictionary[
            GraphQLSchema, BoundedCache[_Key, tuple[GraphQLError, ...]]
        ] = weakref.WeakKeyDictionary()

    def schema_for(self, principal: Principal | None) -> GraphQLSchema:
        """The schema ``principal``'s documents are validated against."""
        return self.visibility.schema_for(principal) if self.visibility else self.schema

    def errors(
        self,
        query: str,
        document: DocumentNode,
        principal: Principal | None,
        rules: Sequence[type[ValidationRule]],
    ) -> tuple[GraphQLError, ...]:
        """``document``'s errors (parsed from ``query``) against ``principal``'s schema."""
        schema = self.schema_for(principal)
        results = self._results.get(schema)
        if results is None:
            results = self._results[schema] = BoundedCache(self.cache_size)
        key = (hashlib.blake2b(query.encode(), digest_size=16).digest(), tuple(rules))
        found = results.get(key)
        if found is not None:
            return found
        found = tuple(validate(schema, document, rules, hide_suggestions=not self.suggestions))
        for error in found:
            error.nodes = error.source = None  # locations were computed; the tree may go
        return results.put(key, found)
