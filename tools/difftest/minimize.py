"""Shrink an operation that shows a difference to a smallest one that still shows it.

Greedy one-at-a-time removal (as delta debugging ends): drop one selection (a field, an
inline fragment or a spread, with what is below it) anywhere in the document; keep the
smaller document if it is still valid against the API schema and still shows the same class
of difference. Repeat until no single removal keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import GraphQLError, GraphQLSchema, parse, print_ast, validate
from graphql.language import (
    REMOVE,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    SelectionSetNode,
    Visitor,
    visit,
)

__all__ = ["minimize"]


class _Drop(Visitor):
    """Removes the ``index``-th selection (in document order) with everything below it."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.seen = -1

    def enter(self, node: Node, *_: object) -> object:
        if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
            self.seen += 1
            if self.seen == self.index:
                return REMOVE
        return None


def _smaller(query: str) -> Iterator[str]:
    """Every document one removal smaller than ``query`` (not yet validated)."""
    document = parse(query, no_location=True)
    counter = _Drop(-1)
    visit(document, counter)
    for index in range(counter.seen + 1):
        yield print_ast(visit(document, _Drop(index)))


def _has_empty_selection_set(document: Node) -> bool:
    found = False

    class _Empty(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
            nonlocal found
            found = found or not node.selections

    visit(document, _Empty())
    return found


def minimize(
    query: str, schema: GraphQLSchema, still_differs: Callable[[str], bool], budget: int = 200
) -> str:
    """The smallest valid document found that ``still_differs`` (at most ``budget`` tries)."""
    best = query
    tries = 0
    improved = True
    while improved and tries < budget:
        improved = False
        for candidate in _smaller(best):
            if candidate == best:
                continue
            try:
                document = parse(candidate, no_location=True)
            except GraphQLError:
                continue
            if _has_empty_selection_set(document) or validate(schema, document):
                continue  # graphql-core admits "{}", GraphQL's grammar does not
            tries += 1
            if still_differs(candidate):
                best = candidate
                improved = True
                break
            if tries >= budget:
                break
    return best
