"""Derive the API schema (what clients see) from the supergraph document.

Removes every element of the linked specs (``join__*``, ``link__*``, ``@link``, ``@tag``,
``@inaccessible``) and every ``@inaccessible`` type, field, argument, enum value and input
field, as the Federation spec's "API schema" section says; declares ``@defer`` (the incremental
delivery RFC's definition, as Apollo Router's and Hive Gateway's API schemas do), which the
gateway serves itself (``gateway/incremental``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from graphql import (
    GraphQLDeferDirective,
    GraphQLError,
    GraphQLSchema,
    build_ast_schema,
    parse,
    print_directive,
    validate_schema,
)
from graphql.language import (
    DirectiveDefinitionNode,
    DocumentNode,
    NamedTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
)

from ..errors import SupergraphError
from .links import LinkedSpecs

__all__ = ["DEFER_DEFINITION", "build_api_schema"]

DEFER_DEFINITION = parse(print_directive(GraphQLDeferDirective)).definitions[0]
"""``directive @defer(if: Boolean! = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT``"""


def build_api_schema(document: DocumentNode, links: LinkedSpecs, source_name: str) -> GraphQLSchema:
    inaccessible = links.directive_name("inaccessible")
    hidden_types = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode | TypeExtensionNode)
        and (links.is_spec_element(d.name.value) or _marked(d, inaccessible))
    }
    removed_directives = {
        d.name.value
        for d in document.definitions
        if isinstance(d, DirectiveDefinitionNode) and links.is_spec_element(d.name.value)
    }

    def keep_directives(node: Any) -> Any:
        directives = node.directives or ()
        kept = tuple(d for d in directives if d.name.value not in removed_directives)
        if len(kept) != len(directives):
            node = dataclasses.replace(node, directives=kept)
        return node

    def uses_hidden(type_node: Any) -> bool:
        while not isinstance(type_node, NamedTypeNode):
            type_node = type_node.type
        return type_node.name.value in hidden_types

    def visible(node: Any) -> bool:
        return not _marked(node, inaccessible)

    definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            operation_types = tuple(
                op for op in definition.operation_types or () if not uses_hidden(op.type)
            )
            definitions.append(
                keep_directives(dataclasses.replace(definition, operation_types=operation_types))
            )
            continue
        if isinstance(definition, DirectiveDefinitionNode):
            if definition.name.value not in removed_directives:
                definitions.append(definition)
            continue
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            definitions.append(definition)
            continue
        if definition.name.value in hidden_types:
            continue
        node = keep_directives(definition)
        changes: dict[str, Any] = {}
        if getattr(node, "fields", None) is not None:
            fields = []
            for field_node in node.fields:
                if not visible(field_node) or uses_hidden(field_node.type):
                    continue
                field_node = keep_directives(field_node)
                arguments = getattr(field_node, "arguments", None)
                if arguments:
                    field_node = dataclasses.replace(
                        field_node,
                        arguments=tuple(
                            keep_directives(a)
                            for a in arguments
                            if visible(a) and not uses_hidden(a.type)
                        ),
                    )
                fields.append(field_node)
            changes["fields"] = tuple(fields)
        if getattr(node, "values", None) is not None:
            changes["values"] = tuple(keep_directives(v) for v in node.values if visible(v))
        if getattr(node, "types", None) is not None:
            changes["types"] = tuple(t for t in node.types if t.name.value not in hidden_types)
        if getattr(node, "interfaces", None) is not None:
            changes["interfaces"] = tuple(
                t for t in node.interfaces if t.name.value not in hidden_types
            )
        definitions.append(dataclasses.replace(node, **changes) if changes else node)
    if not any(
        isinstance(d, DirectiveDefinitionNode) and d.name.value == "defer" for d in definitions
    ):
        definitions.append(DEFER_DEFINITION)
    api_document = DocumentNode(definitions=tuple(definitions))
    try:
        schema = build_ast_schema(api_document, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(f"{source_name}: cannot build the API schema: {error}") from None
    problems = validate_schema(schema)
    if problems:
        raise SupergraphError(
            f"{source_name}: the API schema is invalid: "
            + "; ".join(problem.message for problem in problems[:5])
        )
    return schema


def _marked(node: Any, directive_name: str | None) -> bool:
    if directive_name is None:
        return False
    return any(d.name.value == directive_name for d in getattr(node, "directives", None) or ())
