"""Arguments are authorized: searching or filtering by a field needs the right to read it.

``customers(search: "Shanghai")`` answers how many customers match even to a caller who may
not read a single customer field: an argument that searches or filters by fields is an oracle
for them (issue 10, item 5). So an argument has a policy coordinate of its own, as the
GraphQL schema-coordinates spec writes it: ``Query.customers(search:)`` for a field's
argument, ``EmployeeFilter.search`` for an input object's field. Its decision:

1. a policy rule naming the coordinate decides (``p, sales, *, Query.customers(search:),
   read, allow``; a deny overrides as everywhere);
2. otherwise, for an argument ``policies/searches.csv`` declares (:class:`SearchedFields`),
   the caller must be allowed to ``read`` every field it searches, on every object (a grant
   on related objects only is not enough: a search spans all of them);
3. otherwise it is not a search and the field it belongs to decides alone.

A field given a denied argument is denied as a whole (never fetched; ``FORBIDDEN`` naming the
argument's coordinate). An input object passed as a variable may carry any of its fields, so
every declared field of its type counts as used (fail closed); literal objects count only the
fields they hold.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from graphql import (
    GraphQLInputObjectType,
    GraphQLSchema,
    get_named_type,
)
from graphql.language import ArgumentNode, ListValueNode, ObjectValueNode, ValueNode

from .enforcer import Decision

__all__ = ["FILE_NAME", "SearchedFields", "arguments_used", "decide_argument"]

FILE_NAME: Final = "searches.csv"

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision


@dataclass(frozen=True)
class SearchedFields:
    """Argument coordinate -> the field coordinates it searches or filters by."""

    table: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.table)

    @classmethod
    def read(cls, path: str | Path) -> SearchedFields:
        """``path`` (CSV: argument coordinate, then the fields, one per column; ``#`` starts
        a comment); an empty table when there is no such file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        table: dict[str, tuple[str, ...]] = {}
        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            values = [value.strip() for value in row]
            if not values or not values[0] or values[0].startswith("#"):
                continue
            fields = tuple(value for value in values[1:] if value)
            if not fields:
                raise ValueError(f"{path}, line {number}: {values[0]} names no searched field")
            if values[0] in table:
                raise ValueError(f"{path}, line {number}: {values[0]} declared twice")
            table[values[0]] = fields
        return cls(table)

    def check(self, schema: GraphQLSchema) -> None:
        """Every coordinate names an argument or input field, every searched one a field of
        ``schema`` (``ValueError`` naming the first that does not)."""
        for argument, fields in self.table.items():
            if not _exists(schema, argument):
                raise ValueError(f"{FILE_NAME}: {argument} is no argument or input field")
            for coordinate in fields:
                type_name, _, name = coordinate.partition(".")
                owner = schema.type_map.get(type_name)
                if name not in getattr(owner, "fields", {}) or isinstance(
                    owner, GraphQLInputObjectType
                ):
                    raise ValueError(f"{FILE_NAME}: {argument} searches {coordinate}: no field")


def decide_argument(decide: Decide, searched: SearchedFields, coordinate: str) -> Decision:
    """The decision on an argument coordinate (see the module docstring for the order)."""
    decision = decide(coordinate, "read")
    if not decision.by_default:
        return decision
    fields = searched.table.get(coordinate)
    if fields is None:
        return Decision(True, "not a search argument")
    for name in fields:
        found = decide(name, "read")
        if not found.allowed:
            return Decision(False, f"searches {name}, not readable ({found.rule})")
    return Decision(True, f"searches only readable fields ({', '.join(fields)})")


def arguments_used(
    schema: GraphQLSchema, parent: str, name: str, arguments: tuple[ArgumentNode, ...]
) -> Iterator[str]:
    """The argument and input-field coordinates a selection of ``parent.name`` uses."""
    definition = getattr(schema.type_map.get(parent), "fields", {}).get(name)
    if definition is None:
        return
    for argument in arguments:
        spec = definition.args.get(argument.name.value)
        if spec is None:
            continue
        yield f"{parent}.{name}({argument.name.value}:)"
        yield from _input_fields(get_named_type(spec.type), argument.value, set())


def _input_fields(named: object, value: ValueNode | None, seen: set[str]) -> Iterator[str]:
    if not isinstance(named, GraphQLInputObjectType):
        return
    if isinstance(value, ListValueNode):
        for item in value.values:
            yield from _input_fields(named, item, seen)
        return
    if isinstance(value, ObjectValueNode):
        for given in value.fields:
            spec = named.fields.get(given.name.value)
            if spec is not None:
                yield f"{named.name}.{given.name.value}"
                yield from _input_fields(get_named_type(spec.type), given.value, seen)
        return
    if named.name in seen:  # a variable: any field may be set (recursive types once)
        return
    seen.add(named.name)
    for input_name, spec in named.fields.items():
        yield f"{named.name}.{input_name}"
        yield from _input_fields(get_named_type(spec.type), None, seen)


def _exists(schema: GraphQLSchema, coordinate: str) -> bool:
    head, _, argument = coordinate.partition("(")
    type_name, _, name = head.partition(".")
    owner = schema.type_map.get(type_name)
    found = getattr(owner, "fields", {}).get(name)
    if found is None:
        return False
    if argument:
        return argument.rstrip(":)") in getattr(found, "args", {})
    return isinstance(owner, GraphQLInputObjectType)
