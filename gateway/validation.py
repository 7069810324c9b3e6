"""Validation rules the gateway adds to the GraphQL spec's own."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValidationRule
from graphql.language import FieldNode, SelectionSetNode
from graphql.validation import (
    DeferStreamDirectiveLabel,
    DeferStreamDirectiveOnRootField,
    DeferStreamDirectiveOnValidOperationsRule,
)

__all__ = ["GATEWAY_RULES", "NonEmptySelectionSetRule", "ReservedTypenameKeyRule"]


class ReservedTypenameKeyRule(ValidationRule):
    """No field may be aliased ``__typename``: the gateway reads an object's type from that
    response key when it joins subgraph responses."""

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        alias = node.alias.value if node.alias is not None else None
        if alias == "__typename" and node.name.value != "__typename":
            self.report_error(
                GraphQLError(
                    f"The response key '__typename' is reserved; '{node.name.value}' "
                    "cannot be aliased to it.",
                    node,
                )
            )


class NonEmptySelectionSetRule(ValidationRule):
    """A selection set has at least one selection (``SelectionSet : { Selection+ }`` in the
    spec's grammar); graphql-core's parser admits ``{}``, graphql-js and so both reference
    gateways refuse it (issue 14's differential testing)."""

    def enter_selection_set(self, node: SelectionSetNode, *_args: Any) -> None:
        if not node.selections:
            self.report_error(GraphQLError("A selection set must select at least one field.", node))


GATEWAY_RULES = (
    ReservedTypenameKeyRule,
    NonEmptySelectionSetRule,
    # @defer (the incremental delivery RFC's rules): labels static and unique, not on a
    # mutation's or subscription's root fields, not in a subscription unless its ``if`` is false
    DeferStreamDirectiveLabel,
    DeferStreamDirectiveOnRootField,
    DeferStreamDirectiveOnValidOperationsRule,
)
