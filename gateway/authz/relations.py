"""Rules that depend on the data: how an object relates to the caller, declared by the policy.

A policy subject ``<role>@<relation>`` (``employee@self``, ``manager@department``) grants its
rule only for objects that stand in that relation to the caller. The gateway cannot know that
when it plans, so such a field is fetched together with the attribute the relation reads, and
decided per object when the response is shaped: where the relation holds the value is shown,
elsewhere it is null with a ``FORBIDDEN`` error at that object's path.

Which relations exist is policy configuration, not code: ``relations.csv`` in the policy
folder (beside ``model.conf``) names, per relation and type, the attribute of the object that
is compared with an attribute of the caller, ``subject`` (their id) or ``department``::

    # relation, caller attribute, type, attribute path
    self, subject, Employee, id
    department, department, Budget, department.id
    approver, subject, ApprovalRequest, currentStep.approver.id

The path follows fields of the type (no lists) down to a scalar. :meth:`Relations.read` reads
the file (no file: no relations), :meth:`Relations.check` holds it against the API schema when
the gateway starts; both raise :class:`RelationsError`, whose message names the file, the line
and a code (:data:`CODES`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
)

from tandem_shared.tokens import Principal

from ..operation import FieldSelection

__all__ = [
    "CALLER_ATTRIBUTES",
    "CODES",
    "FILE_NAME",
    "Relation",
    "Relations",
    "RelationsError",
    "attribute_selection",
    "holds",
]

FILE_NAME: Final = "relations.csv"
CALLER_ATTRIBUTES: Final = ("subject", "department")
CODES: Final = {
    "RELATION_ROW": "a row is not: relation, caller attribute, type, attribute path",
    "RELATION_NAME": "a relation, type or field name is not a valid name",
    "RELATION_CALLER_ATTRIBUTE": "the caller attribute is neither subject nor department",
    "RELATION_DUPLICATE": "a relation names a type twice, or two caller attributes",
    "RELATION_UNKNOWN_TYPE": "the type is no object or interface type of the schema",
    "RELATION_UNKNOWN_FIELD": "a field of the path does not exist",
    "RELATION_PATH": "the path goes through a list or a scalar, or ends at no scalar",
}
"""Each :class:`RelationsError` code and what it means."""

_RELATION_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_GRAPHQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class RelationsError(ValueError):
    """A relations file the gateway cannot use: ``<file>, line <n>: <what> [<CODE>]``."""

    def __init__(self, source: str, line: int, code: str, message: str) -> None:
        assert code in CODES
        super().__init__(f"{source}, line {line}: {message} [{code}]")
        self.code = code
        self.line = line


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    compare_with: str  # "subject" or "department": which attribute of the caller
    paths: Mapping[str, tuple[str, ...]]  # type name -> attribute path on its objects


@dataclass(frozen=True)
class Relations(Mapping[str, Relation]):
    """The relations a policy declares, by name (a read-only mapping), with where each path
    was declared, so that :meth:`check` names the line."""

    table: Mapping[str, Relation] = field(default_factory=dict)
    source: str = FILE_NAME
    lines: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (relation, type)

    def __getitem__(self, name: str) -> Relation:
        return self.table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    @classmethod
    def read(cls, path: str | Path) -> Relations:
        """The relations declared in ``path`` (CSV, ``#`` starts a comment); none when there
        is no such file. Raises :class:`RelationsError` for a malformed row."""
        source = Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(source=source)
        attributes: dict[str, str] = {}
        paths: dict[str, dict[str, tuple[str, ...]]] = {}
        lines: dict[tuple[str, str], int] = {}
        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            values = [value.strip() for value in row]
            if not values or not values[0] or values[0].startswith("#"):
                continue
            if len(values) != 4 or not all(values):
                raise RelationsError(source, number, "RELATION_ROW", CODES["RELATION_ROW"])
            name, attribute, type_name, dotted = values
            steps = tuple(step.strip() for step in dotted.split("."))
            if not _RELATION_NAME.match(name):
                raise RelationsError(
                    source, number, "RELATION_NAME", f"relation {name!r}: use [a-z][a-z0-9_]*"
                )
            if not all(_GRAPHQL_NAME.match(n) for n in (type_name, *steps)):
                raise RelationsError(
                    source, number, "RELATION_NAME", f"{type_name}: {dotted!r} is no field path"
                )
            if attribute not in CALLER_ATTRIBUTES:
                raise RelationsError(
                    source,
                    number,
                    "RELATION_CALLER_ATTRIBUTE",
                    f"relation {name}: caller attribute {attribute!r} is not subject or department",
                )
            if attributes.setdefault(name, attribute) != attribute:
                raise RelationsError(
                    source,
                    number,
                    "RELATION_DUPLICATE",
                    f"relation {name} compares with {attributes[name]} on an earlier line",
                )
            if type_name in paths.setdefault(name, {}):
                first = lines[(name, type_name)]
                raise RelationsError(
                    source,
                    number,
                    "RELATION_DUPLICATE",
                    f"relation {name} on {type_name} is declared on line {first} already",
                )
            paths[name][type_name] = steps
            lines[(name, type_name)] = number
        table = {name: Relation(name, attributes[name], paths[name]) for name in paths}
        return cls(table, source, lines)

    def check(self, schema: GraphQLSchema) -> None:
        """Every path exists in ``schema``: fields of the type, each but the last an object
        (not a list), the last a scalar. :class:`RelationsError` for the first that does not."""
        for relation in self.table.values():
            for type_name, path in relation.paths.items():
                line = self.lines.get((relation.name, type_name), 0)
                self._check_path(schema, relation.name, type_name, path, line)

    def _check_path(
        self, schema: GraphQLSchema, name: str, type_name: str, path: tuple[str, ...], line: int
    ) -> None:
        owner = schema.type_map.get(type_name)
        if not isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
            raise RelationsError(
                self.source,
                line,
                "RELATION_UNKNOWN_TYPE",
                f"relation {name}: {type_name} is no object or interface type of the schema",
            )
        where = type_name
        for index, step in enumerate(path):
            definition = owner.fields.get(step) if owner is not None else None
            if definition is None:
                raise RelationsError(
                    self.source,
                    line,
                    "RELATION_UNKNOWN_FIELD",
                    f"relation {name}: {where} has no field {step!r}",
                )
            kind: Any = definition.type
            if isinstance(kind, GraphQLNonNull):
                kind = kind.of_type
            last = index == len(path) - 1
            if isinstance(kind, GraphQLList):
                problem = f"{where}.{step} is a list"
            elif last and not isinstance(kind, GraphQLScalarType):
                problem = f"{where}.{step} is {kind.name}, not a scalar to compare"
            elif not last and not isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
                problem = f"{where}.{step} is {kind.name}: the path cannot go on"
            else:
                problem = ""
            if problem:
                raise RelationsError(
                    self.source, line, "RELATION_PATH", f"relation {name}: {problem}"
                )
            owner = kind if not last else None
            where = kind.name


def attribute_key(relation: str) -> str:
    return f"_tandem_rel_{relation}"


def attribute_selection(relation: Relation, type_name: str) -> FieldSelection | None:
    """The selection that fetches the attribute ``relation`` reads on ``type_name`` objects."""
    path = relation.paths.get(type_name)
    if not path:
        return None
    child: FieldSelection | None = None
    for name in reversed(path[1:]):
        child = FieldSelection(name, name, (), (child,) if child else None)
    return FieldSelection(attribute_key(relation.name), path[0], (), (child,) if child else None)


def holds(
    relation: Relation, path: tuple[str, ...], obj: Mapping[str, Any], principal: Principal | None
) -> bool:
    """Whether ``obj`` (a merged subgraph object) relates to ``principal`` as ``relation`` says;
    ``path`` is the relation's attribute path for the object's type."""
    if principal is None:
        return False
    value: Any = obj.get(attribute_key(relation.name))
    for name in path[1:]:
        value = value.get(name) if isinstance(value, dict) else None
    expected = principal.subject if relation.compare_with == "subject" else principal.department
    return value is not None and expected is not None and value == expected
