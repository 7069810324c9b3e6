"""Validation rules the gateway adds to the GraphQL spec's own."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValidationRule
from graphql.language import FieldNode

__all__ = ["GATEWAY_RULES", "ReservedTypenameKeyRule"]


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


GATEWAY_RULES = (ReservedTypenameKeyRule,)
