"""Fields the planner adds itself (keys, required fields) and the representations they feed.

Such fields get response keys of their own when the client uses the same response key for
something else (``internal_key``), so that data never collides in the merged response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from graphql import GraphQLList, GraphQLNonNull, print_ast
from graphql.language import FieldNode, InlineFragmentNode, SelectionSetNode

from ..operation import FieldSelection, InlineSelection, Selection
from ..supergraph import Supergraph
from .plan import RepresentationField, RepresentationFragment, RepresentationItem
from .selection import SelectionBuilder

__all__ = [
    "Reserved",
    "add_representation",
    "builders_conflict",
    "client_fields_below",
    "has_fields",
    "internal_key",
    "internal_selections",
    "merge_builder",
    "representation_conflicts",
    "representation_items",
    "reserved_keys",
    "selection_size",
    "unwrap",
    "without_keys",
]

Reserved = Mapping[str, list[FieldSelection]]  # the client's fields at a level, by key


def internal_key(name: str, arguments: str, reserved: Reserved) -> str:
    """The response key for a field the planner adds itself."""
    if name == "__typename":
        return name
    if arguments:
        digest = hashlib.sha1(arguments.encode()).hexdigest()[:8]
        return f"_tandem_{name}_{digest}"
    client = reserved.get(name)
    if client is None or client[0].signature == (name, ""):
        return name
    return f"_tandem_{name}"


def selection_size(same_key: Sequence[Selection]) -> int:
    total = 0
    for selection in same_key:
        total += 1
        inner = selection.selections
        if inner:
            total += selection_size(inner)
    return total


def reserved_keys(fields: Mapping[str, list[FieldSelection]]) -> Reserved:
    return fields


def client_fields_below(same_key: Sequence[FieldSelection] | None) -> Reserved:
    """Every client field under a response key, whatever its type condition (conservative)."""
    found: dict[str, list[FieldSelection]] = {}

    def visit(selections: Sequence[Selection]) -> None:
        for selection in selections:
            if isinstance(selection, FieldSelection):
                found.setdefault(selection.key, []).append(selection)
            else:
                visit(selection.selections)

    for field_selection in same_key or ():
        visit(field_selection.selections or ())
    return found


def unwrap(gql_type: object) -> tuple[str, int]:
    depth = 0
    while True:
        if isinstance(gql_type, GraphQLNonNull):
            gql_type = gql_type.of_type
        elif isinstance(gql_type, GraphQLList):
            depth += 1
            gql_type = gql_type.of_type
        else:
            return gql_type.name, depth  # type: ignore[attr-defined]


def internal_selections(
    selection_set: SelectionSetNode, reserved: Reserved
) -> tuple[Selection, ...]:
    """A key or ``@requires`` field set as selections with planner-owned response keys."""
    result: list[Selection] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            arguments = tuple(node.arguments or ())
            text = ",".join(print_ast(a) for a in arguments)
            key = internal_key(node.name.value, text, reserved)
            # below a key the client shares, the client's own fields are there too
            below = client_fields_below(reserved.get(key)) if key == node.name.value else {}
            result.append(
                FieldSelection(
                    key=key,
                    name=node.name.value,
                    arguments=arguments,
                    selections=internal_selections(node.selection_set, below)
                    if node.selection_set
                    else None,
                )
            )
        elif isinstance(node, InlineFragmentNode):
            result.append(
                InlineSelection(
                    type_condition=node.type_condition.name.value if node.type_condition else None,
                    selections=internal_selections(node.selection_set, reserved),
                )
            )
    return tuple(result)


def add_representation(builder: SelectionBuilder, selections: Sequence[Selection]) -> None:
    """Record which data keys feed a representation (``key`` = data key, ``name`` = field)."""
    for selection in selections:
        if isinstance(selection, FieldSelection):
            child = builder.add_field(
                selection.key, selection.name, composite=selection.selections is not None
            )
            if child is not None and selection.selections is not None:
                add_representation(child, selection.selections)
        elif selection.type_condition is None:
            add_representation(builder, selection.selections)
        else:
            add_representation(builder.fragment(selection.type_condition), selection.selections)


def representation_conflicts(builder: SelectionBuilder, selections: Sequence[Selection]) -> bool:
    """Whether a representation would need one field name with two different values."""
    for selection in selections:
        if isinstance(selection, InlineSelection):
            inner = (
                builder.fragments.get(selection.type_condition)
                if selection.type_condition
                else builder
            )
            if inner is not None and representation_conflicts(inner, selection.selections):
                return True
            continue
        for entry in builder.entries.values():
            if entry.name == selection.name and entry.key != selection.key:
                return True
            if (
                entry.key == selection.key
                and entry.child
                and selection.selections
                and representation_conflicts(entry.child, selection.selections)
            ):
                return True
    return False


def builders_conflict(left: SelectionBuilder, right: SelectionBuilder) -> bool:
    """Whether two representation builders use one field name for different data keys."""
    names = {entry.name: entry for entry in left.entries.values()}
    for entry in right.entries.values():
        other = names.get(entry.name)
        if other is None:
            continue
        if other.key != entry.key:
            return True
        if (
            other.child is not None
            and entry.child is not None
            and builders_conflict(other.child, entry.child)
        ):
            return True
    for type_name, fragment in right.fragments.items():
        if type_name in left.fragments and builders_conflict(left.fragments[type_name], fragment):
            return True
    return False


def representation_items(
    builder: SelectionBuilder, supergraph: Supergraph
) -> tuple[RepresentationItem, ...]:
    items: list[RepresentationItem] = []
    for entry in builder.entries.values():
        items.append(
            RepresentationField(
                name=entry.name,
                data_key=entry.key,
                selections=representation_items(entry.child, supergraph)
                if entry.child is not None
                else None,
            )
        )
    for type_name, fragment in builder.fragments.items():
        accepts = supergraph.possible_types(type_name) | {type_name}
        items.append(
            RepresentationFragment(
                type_condition=type_name,
                accepts=frozenset(accepts),
                selections=representation_items(fragment, supergraph),
            )
        )
    return tuple(items)


def merge_builder(target: SelectionBuilder, source: SelectionBuilder) -> None:
    for key, entry in source.entries.items():
        child = target.add_field(
            key, entry.name, entry.arguments, composite=entry.child is not None
        )
        if child is not None and entry.child is not None:
            merge_builder(child, entry.child)
    for type_name, fragment in source.fragments.items():
        merge_builder(target.fragment(type_name), fragment)


def without_keys(selections: Sequence[Selection], keys: set[str]) -> tuple[Selection, ...]:
    result: list[Selection] = []
    for selection in selections:
        if isinstance(selection, FieldSelection):
            if selection.key not in keys:
                result.append(selection)
        else:
            inner = without_keys(selection.selections, keys)
            if inner:
                result.append(InlineSelection(selection.type_condition, inner, selection.defer))
    return tuple(result)


def has_fields(selections: Sequence[Selection]) -> bool:
    return any(isinstance(s, FieldSelection) or has_fields(s.selections) for s in selections)
