"""The client operation, normalized: the model authorization, planning, execution and
protection all read (so it lives in none of them).

Named fragments are inlined, ``@skip``/``@include`` are evaluated (so plans are cached per
document *and* the values of the variables those directives read; ``@defer``'s ``if`` too: a
fragment deferred carries a :class:`DeferMark`, one not deferred is an ordinary fragment), and
the result is a small
tree of :class:`FieldSelection` and :class:`InlineSelection` that ``collect_fields`` walks as the
GraphQL spec's CollectFields algorithm does. :class:`NormalizedOperation` is that tree with what
the phases after it need of the operation (kind, root type, variable types, introspection).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLSchema
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

__all__ = [
    "DeferMark",
    "FieldSelection",
    "InlineSelection",
    "NormalizedOperation",
    "Selection",
    "collect_fields",
    "condition_variables",
    "normalize_operation",
]


@dataclass(frozen=True, slots=True, eq=False)
class FieldSelection:
    """A field as the client selected it; ``key`` is its response name (alias or name)."""

    key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    selections: tuple[Selection, ...] | None

    @property
    def signature(self) -> tuple[str, str]:
        from graphql import print_ast

        return (self.name, ",".join(print_ast(a) for a in self.arguments))


@dataclass(frozen=True, slots=True)
class DeferMark:
    """A fragment the client marked ``@defer`` (its ``if`` true): ``id`` numbers the marks of
    one operation (the planner's deferred nodes and the incremental
    response's parts name them by it); ``label`` is the client's, returned with its part."""

    id: int
    label: str | None


@dataclass(frozen=True, slots=True, eq=False)
class InlineSelection:
    """An inline fragment (or an inlined named fragment) with an optional type condition;
    ``defer``: the client asked for it later (``@defer``), which a phase that rebuilds the
    fragment keeps."""

    type_condition: str | None
    selections: tuple[Selection, ...]
    defer: DeferMark | None = None


Selection = FieldSelection | InlineSelection


@dataclass(frozen=True, eq=False)
class NormalizedOperation:
    """An operation after fragment inlining and ``@skip``/``@include`` (shared by principals;
    equal only to itself, so the decisions made for it are kept by its identity)."""

    kind: str
    selections: tuple[Selection, ...]
    root_type: str
    variable_types: Mapping[str, str]
    introspection: DocumentNode | None


def condition_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """Names of the variables read by ``@skip``/``@include``/``@defer`` anywhere in the
    operation (their values change its normalized form)."""
    names: set[str] = set()
    seen: set[str] = set()

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for node in selection_set.selections:
            for directive in node.directives or ():
                if directive.name.value in ("skip", "include", "defer"):
                    for argument in directive.arguments or ():
                        if isinstance(argument.value, VariableNode):
                            names.add(argument.value.name.value)
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    visit(fragments[name].selection_set)
            else:
                visit(getattr(node, "selection_set", None))

    visit(operation.selection_set)
    return tuple(sorted(names))


def normalize_operation(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> tuple[Selection, ...]:
    """Inline fragments and evaluate ``@skip``/``@include`` with ``variables``; a fragment with
    ``@defer`` whose ``if`` holds gets a :class:`DeferMark`."""
    marks: list[DeferMark] = []

    def deferred(directives: Sequence[DirectiveNode] | None) -> DeferMark | None:
        for directive in directives or ():
            if directive.name.value != "defer":
                continue
            arguments = {a.name.value: a.value for a in directive.arguments or ()}
            condition = arguments.get("if")
            if isinstance(condition, VariableNode):
                active = variables.get(condition.name.value, True) is not False
            else:
                active = getattr(condition, "value", True) is not False
            if not active:
                return None
            label = arguments.get("label")
            marks.append(DeferMark(len(marks), getattr(label, "value", None)))
            return marks[-1]
        return None

    def included(directives: Sequence[DirectiveNode] | None) -> bool:
        for directive in directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = None
            for argument in directive.arguments or ():
                if argument.name.value == "if":
                    node = argument.value
                    if isinstance(node, VariableNode):
                        value = variables.get(node.name.value)
                    else:
                        value = getattr(node, "value", None)
            if name == "skip" and value is True:
                return False
            if name == "include" and value is not True:
                return False
        return True

    def convert(selection_set: SelectionSetNode) -> tuple[Selection, ...]:
        result: list[Selection] = []
        for node in selection_set.selections:
            if not included(node.directives):
                continue
            if isinstance(node, FieldNode):
                result.append(
                    FieldSelection(
                        key=node.alias.value if node.alias else node.name.value,
                        name=node.name.value,
                        arguments=tuple(node.arguments or ()),
                        selections=convert(node.selection_set) if node.selection_set else None,
                    )
                )
            elif isinstance(node, InlineFragmentNode):
                result.append(
                    InlineSelection(
                        type_condition=node.type_condition.name.value
                        if node.type_condition
                        else None,
                        selections=convert(node.selection_set),
                        defer=deferred(node.directives),
                    )
                )
            else:
                assert isinstance(node, FragmentSpreadNode)
                fragment = fragments[node.name.value]
                result.append(
                    InlineSelection(
                        type_condition=fragment.type_condition.name.value,
                        selections=convert(fragment.selection_set),
                        defer=deferred(node.directives),
                    )
                )
        return tuple(result)

    return convert(operation.selection_set)


def fragment_applies(schema: GraphQLSchema, condition: str | None, type_name: str) -> bool:
    """Whether a fragment on ``condition`` applies to an object of type ``type_name``."""
    if condition is None or condition == type_name:
        return True
    abstract = schema.type_map.get(condition)
    concrete = schema.type_map.get(type_name)
    if abstract is None or concrete is None:
        return False
    if not hasattr(abstract, "fields") and not hasattr(abstract, "types"):
        return False
    if hasattr(abstract, "types") or (hasattr(abstract, "interfaces") and _is_abstract(abstract)):
        try:
            return schema.is_sub_type(abstract, concrete)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return False
    return False


def _is_abstract(gql_type: Any) -> bool:
    from graphql import is_abstract_type

    return bool(is_abstract_type(gql_type))


def collect_fields(
    schema: GraphQLSchema, selections: Sequence[Selection], type_name: str
) -> dict[str, list[FieldSelection]]:
    """CollectFields for an object of ``type_name``: response key -> the fields merged there."""
    fields: dict[str, list[FieldSelection]] = {}

    def visit(items: Sequence[Selection]) -> None:
        for item in items:
            if isinstance(item, FieldSelection):
                fields.setdefault(item.key, []).append(item)
            elif fragment_applies(schema, item.type_condition, type_name):
                visit(item.selections)

    visit(selections)
    return fields


def merged_selections(fields: Sequence[FieldSelection]) -> tuple[Selection, ...]:
    """The sub-selections of fields merged under one response key."""
    if len(fields) == 1:
        return fields[0].selections or ()
    result: list[Selection] = []
    for field in fields:
        result.extend(field.selections or ())
    return tuple(result)
