"""Malformed argument values as ``BAD_USER_INPUT`` naming the argument (issue 16, item 6).

GraphQL reports a value that its type cannot parse before any resolver runs: a literal during
validation (``roomAvailability(start: "tomorrow")``), a variable while coercing variables
(``$start = "2026-12-10 10:00"``). Those errors carry no code, and a scalar that raises
``ValueError`` (``DateTime``) even looks like a bug. :func:`input_error` recognises them by
their node (the value, or the variable's definition), finds the argument the value sits in
(a dotted path: ``input.lines.0.quantity``; for a variable, where it is used) and rewrites
them as ``BAD_USER_INPUT`` with that ``field``. The message names the expected type and never
repeats the value (it may be a secret given for an encrypted field). The error carries the
path of the field the argument belongs to (its response keys; for a variable, the first field
using it), so that a gateway sees the field's null explained and adds no error of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)

__all__ = ["input_error"]

_TYPE: Final = re.compile(r"type '([^']+)'|^(\w+) cannot represent")
_HINTS: Final = {
    "DateTime": " An ISO 8601 date-time with an offset, e.g. 2026-11-25T09:30:00+08:00.",
}


def input_error(error: GraphQLError, document: DocumentNode | None) -> GraphQLError | None:
    """``error`` as ``BAD_USER_INPUT`` naming its argument, if it is about an argument's value."""
    if error.path is not None or not error.nodes or document is None:
        return None
    node = error.nodes[0]
    if isinstance(node, VariableDefinitionNode):
        name = node.variable.name.value
        uses = [(at, path) for at, path, value in _argument_values(document)
                if isinstance(value, VariableNode) and value.name.value == name]  # fmt: skip
        expected = print_ast(node.type).rstrip("!")
        at, field = uses[0] if uses else (None, f"${name}")
    elif isinstance(node, ValueNode) and not isinstance(node, VariableNode):
        found = [(at, path) for at, path, value in _argument_values(document) if value is node]
        if not found:
            return None
        at, field = found[0]
        match = _TYPE.search(error.message)
        expected = next((group for group in match.groups() if group), "") if match else ""
    else:
        return None
    expected = expected.strip("[]!") or "the argument's type"
    message = f"`{field}` is not a valid {expected}.{_HINTS.get(expected, '')}"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=None if at is None else list(at),
        extensions={"code": "BAD_USER_INPUT", "field": field},
    )


Values = Iterator[tuple[tuple[str, ...], str, ValueNode]]


def _argument_values(document: DocumentNode) -> Values:
    """Every value node inside an argument: the response keys of its field (from the
    operation, or from the fragment it is in), its dotted path from the argument, the node."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            yield from _in_selections(definition.selection_set, ())


def _in_selections(selection_set: SelectionSetNode | None, at: tuple[str, ...]) -> Values:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            key = (*at, (selection.alias or selection.name).value)
            for argument in selection.arguments or ():
                for path, value in _in_value(argument.name.value, argument.value):
                    yield key, path, value
            yield from _in_selections(selection.selection_set, key)
        elif isinstance(selection, InlineFragmentNode):
            yield from _in_selections(selection.selection_set, at)


def _in_value(path: str, value: ValueNode) -> Iterator[tuple[str, ValueNode]]:
    yield path, value
    if isinstance(value, ObjectValueNode):
        for field in value.fields:
            yield from _in_value(f"{path}.{field.name.value}", field.value)
    elif isinstance(value, ListValueNode):
        for index, item in enumerate(value.values):
            yield from _in_value(f"{path}.{index}", item)
