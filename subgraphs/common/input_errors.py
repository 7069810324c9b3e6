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
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)

__all__ = ["input_error"]

_TYPE: Final = re.compile(r"type '([^']+)'|(\w+) cannot represent")
_INSIDE: Final = re.compile(r"^Variable '\$\w+' has invalid value at ((?:\.\w+|\[\d+\])+):")
_MISSING: Final = re.compile(r"type '([^']+)' to include required field '(\w+)'")
_UNKNOWN: Final = re.compile(r"type '([^']+)' not to include unknown field '(\w+)'")
"""graphql-core's message for a bad value inside a variable: where in it (``.lines[0].sku``)."""
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
        at, field = uses[0] if uses else (None, f"${name}")
        inside = _INSIDE.match(error.message)
        if inside is None:
            expected = print_ast(node.type)
        else:
            field += re.sub(r"\[(\d+)\]", r".\1", inside.group(1))
            expected = _expected(error.message[inside.end() :])
    elif isinstance(node, ObjectFieldNode | ValueNode) and not isinstance(node, VariableNode):
        found = [(at, path) for at, path, value in _argument_values(document) if value is node]
        if not found:
            return None
        at, field = found[0]
        expected = _expected(error.message)
    else:
        return None
    expected = expected.strip("[]!") or "the argument's type"
    message = f"`{field}` is not a valid {expected}.{_HINTS.get(expected, '')}"
    if (missing := _MISSING.search(error.message)) is not None:
        field = f"{field}.{missing.group(2)}"
        message = f"`{field}` is required (a field of {missing.group(1)})."
    elif (unknown := _UNKNOWN.search(error.message)) is not None:
        if not isinstance(node, ObjectFieldNode):  # a variable: the message names the field
            field = f"{field}.{unknown.group(2)}"
        message = f"`{field}` is not a field of {unknown.group(1)}."
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=None if at is None else list(at),
        extensions={"code": "BAD_USER_INPUT", "field": field},
    )


def _expected(message: str) -> str:
    """The type graphql-core's ``message`` says a value is not, if it says."""
    match = _TYPE.search(message)
    return next((group for group in match.groups() if group), "") if match else ""


Values = Iterator[tuple[tuple[str, ...], str, ValueNode | ObjectFieldNode]]


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


def _in_value(path: str, value: ValueNode) -> Iterator[tuple[str, ValueNode | ObjectFieldNode]]:
    yield path, value
    if isinstance(value, ObjectValueNode):
        for field in value.fields:
            yield f"{path}.{field.name.value}", field
            yield from _in_value(f"{path}.{field.name.value}", field.value)
    elif isinstance(value, ListValueNode):
        for index, item in enumerate(value.values):
            yield from _in_value(f"{path}.{index}", item)
