"""A validation rule: plaintexts of encrypted fields come as variables, never in the document.

A document is a cache key (parsed documents, plans), travels into subgraph requests and may
be logged as text; a variable's value does none of that. So an argument or input field marked
``@encryptedInput`` must be a variable, and such a variable has no default value in the
document. The error names the argument, never its value.

The rule also keeps response keys starting with ``_tandem_`` for the gateway: an encrypted
field's entity key and the attributes relation rules read travel under such keys, and a client
alias there must not stand in for them.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, ValidationRule, get_named_type
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableNode,
)

from .encrypted_fields import EncryptedFields

__all__ = ["RESERVED_PREFIX", "plaintext_variables_rule"]

RESERVED_PREFIX = "_tandem_"


def plaintext_variables_rule(fields: EncryptedFields) -> type[ValidationRule]:
    """The rule for ``fields`` (give it to ``graphql.validate`` with the others)."""

    class PlaintextVariablesRule(ValidationRule):
        def __init__(self, context: Any) -> None:
            super().__init__(context)
            self.marked_variables: set[str] = set()

        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            if node.alias is not None and node.alias.value.startswith(RESERVED_PREFIX):
                self.report_error(
                    GraphQLError(
                        f"Response keys starting with {RESERVED_PREFIX} are reserved for the "
                        "gateway.",
                        node,
                    )
                )

        def _check(self, where: str, node: ArgumentNode | ObjectFieldNode) -> None:
            if isinstance(node.value, VariableNode):
                self.marked_variables.add(node.value.name.value)
                return
            self.report_error(
                GraphQLError(
                    f"{where} carries a plaintext to be encrypted: pass it as a variable.",
                    node,
                )
            )

        def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
            parent = self.context.get_parent_type()
            field = self.context.get_field_def()
            if parent is None or field is None:
                return
            field_name = next(
                (name for name, f in getattr(parent, "fields", {}).items() if f is field), None
            )
            specs = fields.arguments.get(f"{parent.name}.{field_name}")
            spec = specs.get(node.name.value) if specs else None
            if spec is not None:
                self._check(spec.where, node)

        def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
            parent = self.context.get_parent_input_type()
            named = get_named_type(parent) if parent is not None else None
            specs = fields.input_fields.get(named.name) if named is not None else None
            spec = specs.get(node.name.value) if specs else None
            if spec is not None:
                self._check(spec.where, node)

        def leave_document(self, node: DocumentNode, *_args: Any) -> None:
            for definition in node.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                for variable in definition.variable_definitions or ():
                    name = variable.variable.name.value
                    if name in self.marked_variables and variable.default_value is not None:
                        self.report_error(
                            GraphQLError(
                                f"${name} carries a plaintext to be encrypted: "
                                "it may have no default value in the document.",
                                variable,
                            )
                        )

    return PlaintextVariablesRule
