"""Defence in depth: a subgraph refuses operations the gateway's policy grants no role of the
caller (issue 10, item 3), so a copied route to a subgraph still hits a wall.

The check is *coarse*: it reads the same files as the gateway (``policies/model.conf`` and
``policy.csv``) and, for every field an operation selects, asks only "does any of the caller's
roles (or its subject) hold an ``allow`` row for this coordinate and action, in some
department?". Root fields of ``Mutation`` need ``write``, every other field ``read`` (the
action the gateway fetches with; ``read_plain``/``read_masked`` are decided at the gateway).
What it leaves to the gateway, which alone can decide them, and why it still never refuses a
request the gateway would send:

- departments (``p.dom``) and relation subjects (``employee@self``, ``manager@department``)
  count as grants of the role (the gateway fetches such fields and decides per object);
- a ``deny`` row counts only when it is unconditional (every department, a plain subject);
- ``g`` rows (subject -> role) are followed in every department;
- ``__typename`` and the entity key fields (``@key``) are always allowed: the gateway's
  planner selects keys for its own joins whatever the caller may read;
- ``_entities`` is reached by the gateway for any role (every entity jump goes through it),
  so the root field itself is allowed to every principal and the wall is the fields inside
  its ``... on Type`` fragments, checked like any other field; ``_service`` is a root field
  like the others (the composition credential, not a user, reads it).

Rules the security team adds at run time (``/admin/graphql``) are not seen here: a grant
beyond the files needs the files changed too (or ``TANDEM_SUBGRAPH_POLICY=off``).

Only the default model is understood: a ``model.conf`` whose matcher or effect differ is
refused at start-up (:class:`PolicyFileError`) rather than approximated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLSchema,
    GraphQLUnionType,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)

__all__ = ["CoarsePolicy", "OperationGuard", "PolicyFileError", "key_fields"]

_MATCHER: Final = (
    '(r.sub == p.sub || g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*")) && '
    '(p.dom == "*" || r.dom == p.dom) && globMatch(r.obj, p.obj) && '
    '(p.act == "*" || r.act == p.act)'
)
_EFFECT: Final = "some(where (p.eft == allow)) && !some(where (p.eft == deny))"
_ALWAYS: Final = frozenset({"__typename"})
_ENTRY_POINTS: Final = frozenset({"_entities"})
_OBJECT_DEFINITIONS: Final = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


class PolicyFileError(ValueError):
    """The policy files cannot be read as the default model (names the file and line)."""


@dataclass(frozen=True, slots=True)
class _Rule:
    subject: str  # the role or subject, relation suffix removed
    obj: str
    act: str
    allow: bool
    unconditional: bool  # every department, no relation


class CoarsePolicy:
    """Which subjects hold some grant of ``(coordinate, action)`` in the policy files."""

    def __init__(self, rules: Iterable[_Rule], roles_of: Mapping[str, frozenset[str]]) -> None:
        self.rules = tuple(rules)
        self.roles_of = dict(roles_of)
        self.permits = lru_cache(maxsize=65_536)(self._permits)

    @classmethod
    def from_directory(cls, directory: Path) -> CoarsePolicy:
        """Read ``model.conf`` and ``policy.csv`` in ``directory``."""
        _check_model(directory / "model.conf")
        rules: list[_Rule] = []
        roles: dict[str, set[str]] = {}
        path = directory / "policy.csv"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise PolicyFileError(f"{path}: cannot read ({error.strerror})") from None
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            row = [cell.strip() for cell in next(csv.reader([line], skipinitialspace=True))]
            if row[0] == "p" and len(row) in (5, 6):
                subject, domain, obj, act = row[1:5]
                effect = row[5] if len(row) == 6 else "allow"
                if effect not in ("allow", "deny"):
                    raise PolicyFileError(f"{path}:{number}: effect must be allow or deny")
                role, relation, _ = subject.partition("@")
                unconditional = domain == "*" and not relation
                rules.append(_Rule(role, obj, act, effect == "allow", unconditional))
            elif row[0] == "g" and len(row) in (3, 4):
                roles.setdefault(row[1], set()).add(row[2])
            else:
                raise PolicyFileError(f"{path}:{number}: expected a p or g row")
        return cls(rules, {name: frozenset(held) for name, held in roles.items()})

    def subjects(self, subject: str, roles: Iterable[str]) -> frozenset[str]:
        """The principal's subject, its roles and the roles ``g`` rows give them."""
        found = {subject, *roles}
        pending = list(found)
        while pending:
            for role in self.roles_of.get(pending.pop(), ()):
                if role not in found:
                    found.add(role)
                    pending.append(role)
        return frozenset(found)

    def _permits(self, subjects: frozenset[str], coordinate: str, action: str) -> bool:
        """True if some subject may ``action`` on ``coordinate`` in some department."""
        for subject in subjects:
            allowed = denied = False
            for rule in self.rules:
                if rule.subject != subject or not (rule.act == "*" or rule.act == action):
                    continue
                if not fnmatchcase(coordinate, rule.obj):
                    continue
                if rule.allow:
                    allowed = True
                elif rule.unconditional:
                    denied = True
            if allowed and not denied:
                return True
        return False


class OperationGuard:
    """The coordinates of a GraphQL request body that the caller's roles hold no grant of."""

    def __init__(self, schema: GraphQLSchema, policy: CoarsePolicy, keys: frozenset[str]):
        self.schema = schema
        self.policy = policy
        self.keys = keys
        self.coordinates = lru_cache(maxsize=1024)(self._coordinates)

    def refused(self, subject: str, roles: Iterable[str], query: str) -> list[str]:
        """The coordinates refused to the caller (empty: the operation may run).

        A query that does not parse is left to the GraphQL layer, which answers it."""
        try:
            needed = self.coordinates(query)
        except GraphQLError:
            return []
        subjects = self.policy.subjects(subject, roles)
        return [
            f"{coordinate} ({action})"
            for coordinate, action, alternatives in needed
            if not any(self.policy.permits(subjects, c, action) for c in alternatives)
        ]

    def _coordinates(self, query: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """(coordinate, action, coordinates any of which grants it) for each field selected."""
        document = parse(query, no_location=True)
        return tuple(sorted(_collect(self.schema, document, self.keys)))


def _collect(
    schema: GraphQLSchema, document: DocumentNode, keys: frozenset[str]
) -> set[tuple[str, str, tuple[str, ...]]]:
    type_info = TypeInfo(schema)
    mutation = schema.mutation_type
    query = schema.query_type
    found: set[tuple[str, str, tuple[str, ...]]] = set()

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = type_info.get_parent_type()
            name = node.name.value
            if parent is None or name in _ALWAYS:
                return
            if parent is query and name in _ENTRY_POINTS:
                return
            coordinate = f"{parent.name}.{name}"
            if coordinate in keys:
                return
            action = "write" if parent is mutation else "read"
            alternatives = [coordinate]
            if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
                alternatives += [f"{t.name}.{name}" for t in schema.get_possible_types(parent)]
            found.add((coordinate, action, tuple(alternatives)))

    visit(document, TypeInfoVisitor(type_info, Fields()))
    return found


def key_fields(sdl: str) -> frozenset[str]:
    """``Type.field`` of every top-level field an ``@key`` names in a subgraph's SDL."""
    keys: set[str] = set()
    for definition in parse(sdl, no_location=True).definitions:
        if not isinstance(definition, _OBJECT_DEFINITIONS):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "key":
                continue
            for argument in directive.arguments or ():
                if argument.name.value == "fields" and isinstance(argument.value, StringValueNode):
                    selection = parse(f"{{ {argument.value.value} }}", no_location=True)
                    operation = selection.definitions[0]
                    assert isinstance(operation, OperationDefinitionNode)
                    keys.update(
                        f"{definition.name.value}.{field.name.value}"
                        for field in operation.selection_set.selections
                        if isinstance(field, FieldNode)
                    )
    return frozenset(keys)


def _check_model(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyFileError(f"{path}: cannot read ({error.strerror})") from None
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith("#"):
            values[name.strip()] = " ".join(value.split())
    if values.get("m") != " ".join(_MATCHER.split()) or values.get("e") != _EFFECT:
        raise PolicyFileError(
            f"{path}: not the default model (its matcher or effect differ): the subgraphs' "
            "coarse check understands only that one; set TANDEM_SUBGRAPH_POLICY=off"
        )
