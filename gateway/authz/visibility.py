"""The schema a caller may see: the API schema less what policy denies them (introspection, SDL).

A field is visible when the caller may ``read`` its coordinate (``write`` for mutation root
fields), as field authorization decides it at plan time, on every object or on the objects
related to them (a ``employee@self`` rule shows ``Employee.salary``: the caller may ask for
their own; each object is decided when the response is shaped). Then, until nothing changes: an
object or interface type left with no field disappears, as does a union left with no member,
and so does every field whose type disappeared; an object keeps an interface only while it
still has every field the interface shows. The query root type is always kept (even with no
field); an empty mutation or subscription root disappears. An argument or input field the
caller may not use (``arguments.py``: searching by a field they may not read) is left out
when it may be (nullable or with a default), so it fails validation like a nonexistent one.
Types no visible field reaches (input types and enums included) are left out, so their names
do not leak either.

:class:`SchemaVisibility` caches the result per (policy version, roles, department): the
decisions are asked for the caller's roles and department under a reserved subject, so a rule
written for one user's subject id does not show in that user's schema (a caller never sees more
than their roles show; enforcement is unchanged). ``per_subject=True`` keys by subject too.

Building one asks the policy about every field (a fraction of a second to seconds), which the
first request of a role set would wait for. :meth:`SchemaVisibility.warm` builds given callers'
schemas on a background thread (``tandem dev``: its demo logins', at start); and the first
build under a new policy version rebuilds the role sets seen lately (at most
:data:`RECENT_ROLE_SETS`) the same way, so a policy change does not make each of them wait again.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final

from graphql import GraphQLSchema, build_ast_schema, parse, print_schema
from graphql.language import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from tandem_shared.tokens import Principal

from ..caching import BoundedCache
from .arguments import SearchedFields, decide_argument
from .enforcer import Decision, PolicySource

__all__ = ["RECENT_ROLE_SETS", "VISIBILITY_SUBJECT", "SchemaVisibility", "visible_schema"]

VISIBILITY_SUBJECT: Final = "tandem:schema-visibility"  # never name it in a policy
RECENT_ROLE_SETS: Final = 32  # rebuilt after a policy change, the latest built first

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision
_Fields = InterfaceTypeDefinitionNode | ObjectTypeDefinitionNode


class SchemaVisibility:
    """Each caller's visible schema and its SDL, cached per policy version and caller."""

    def __init__(
        self,
        schema: GraphQLSchema,
        policy: PolicySource,
        *,
        per_subject: bool = False,
        cache_size: int = 256,
        searched: SearchedFields | None = None,
    ) -> None:
        self.schema = schema
        self.searched = searched if searched is not None else SearchedFields()
        self.policy = policy
        self.per_subject = per_subject
        self.cache_size = cache_size
        self._document = parse(print_schema(schema))
        self._cache: BoundedCache[tuple[Any, ...], tuple[GraphQLSchema, list[str]]] = (
            BoundedCache(cache_size)
        )
        self._recent: OrderedDict[tuple[Any, ...], Principal | None] = OrderedDict()
        self._version: Any = None
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self.warming: threading.Thread | None = None  # the latest warm()'s thread

    def schema_for(self, principal: Principal | None) -> GraphQLSchema:
        """The schema ``principal`` may see (introspection answers from it)."""
        return self._entry(principal)[0]

    def sdl_for(self, principal: Principal | None) -> str:
        """The SDL of :meth:`schema_for` (printed once per cache entry)."""
        schema, sdl = self._entry(principal)
        if not sdl:
            sdl.append(print_schema(schema))
        return sdl[0]

    def ready(self, principal: Principal | None) -> bool:
        """Whether ``principal``'s schema is built (building one asks the policy about every
        field: seconds for a new role; the pipeline then builds it off the event loop)."""
        return self._key(principal)[0] in self._cache

    def warm(self, principals: Iterable[Principal | None]) -> threading.Thread:
        """Build these callers' schemas on a daemon thread (requests meanwhile are served:
        one asking for a schema not built yet builds it itself)."""
        callers = list(principals)

        def build() -> None:
            for principal in callers:
                self._entry(principal)

        thread = threading.Thread(target=build, name="schema-visibility-warm", daemon=True)
        self.warming = thread
        thread.start()
        return thread

    def _key(self, principal: Principal | None) -> tuple[tuple[Any, ...], Principal | None]:
        asked = principal
        if principal is not None and not self.per_subject:
            asked = Principal(
                VISIBILITY_SUBJECT, VISIBILITY_SUBJECT, principal.roles, principal.department
            )
        key = (
            self.policy.version,
            asked.subject if asked is not None else None,
            tuple(sorted(set(asked.roles))) if asked is not None else None,
            asked.department if asked is not None else None,
        )
        return key, asked

    def _entry(self, principal: Principal | None) -> tuple[GraphQLSchema, list[str]]:
        key, asked = self._key(principal)
        entry = self._cache.get(key)
        if entry is not None:
            return entry
        with self._lock:  # one build per key: a request waits for the warming thread's
            building = self._building.setdefault(key, threading.Lock())
        with building:
            entry = self._cache.get(key)
            if entry is not None:
                return entry
            self._seen(key, asked)
            schema = _filtered(
                self.schema,
                self._document,
                lambda coordinate, action: self._decide(asked, coordinate, action),
                lambda coordinate: (
                    decide_argument(
                        lambda c, a: self.policy.decide(asked, c, a), self.searched, coordinate
                    ).allowed
                ),
            )
            entry = self._cache.put(key, (schema, []))
        with self._lock:
            self._building.pop(key, None)
        return entry

    def _seen(self, key: tuple[Any, ...], asked: Principal | None) -> None:
        """Remember ``asked``'s role set as recent; the first one of a new policy version
        rebuilds the others seen lately (:meth:`warm`)."""
        version, role_set = key[0], key[1:]
        with self._lock:
            self._recent[role_set] = asked
            self._recent.move_to_end(role_set)
            while len(self._recent) > RECENT_ROLE_SETS:
                self._recent.popitem(last=False)
            changed = self._version is not None and version != self._version
            self._version = version
            again = [p for k, p in reversed(self._recent.items()) if k != role_set]
        if changed and again:
            self.warm(again)

    def _decide(self, asked: Principal | None, coordinate: str, action: str) -> Decision:
        """Allowed, or allowed on related objects only (a default denial with a grant)."""
        decision = self.policy.decide(asked, coordinate, action)
        if decision.allowed or not decision.rule.startswith("default"):
            return decision  # an explicit deny overrides any relation, as in field_access
        parent = coordinate.partition(".")[0]
        grants = [
            (relation, rule)
            for relation, rule in self.policy.conditional_grants(asked, coordinate, action)
            if parent in relation.paths
        ]
        return Decision(True, grants[0][1]) if grants else decision


def visible_schema(schema: GraphQLSchema, decide: Decide) -> GraphQLSchema:
    """``schema`` less every field ``decide`` denies, and what that leaves empty or unreached."""
    return _filtered(schema, parse(print_schema(schema)), decide)


def _filtered(
    schema: GraphQLSchema,
    document: DocumentNode,
    decide: Decide,
    usable: Callable[[str], bool] | None = None,
) -> GraphQLSchema:
    def keeps(node: Any, coordinate: str) -> bool:
        optional = not isinstance(node.type, NonNullTypeNode) or node.default_value is not None
        return usable is None or not optional or usable(coordinate)

    roots = {
        kind: root.name
        for kind, root in (
            ("query", schema.query_type),
            ("mutation", schema.mutation_type),
            ("subscription", schema.subscription_type),
        )
        if root is not None
    }
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, TypeDefinitionNode)
    }
    directives = [d for d in document.definitions if isinstance(d, DirectiveDefinitionNode)]
    fields: dict[str, set[str]] = {}
    for name, node in definitions.items():
        if isinstance(node, _Fields):
            action = "write" if name == roots.get("mutation") else "read"
            fields[name] = {
                f.name.value
                for f in node.fields or ()
                if decide(f"{name}.{f.name.value}", action).allowed
            }
    members = {
        name: {t.name.value for t in node.types or ()}
        for name, node in definitions.items()
        if isinstance(node, UnionTypeDefinitionNode)
    }
    gone: set[str] = set()
    changed = True
    while changed:  # drop empty types, then the fields that returned them, until stable
        changed = False
        for name, kept in fields.items():
            node = definitions[name]
            assert isinstance(node, _Fields)
            for f in node.fields or ():
                if f.name.value in kept and _named(f.type) in gone:
                    kept.discard(f.name.value)
            if not kept and name not in gone and name != roots["query"]:
                gone.add(name)
                changed = True
        for name, kept_members in members.items():
            kept_members -= gone
            if not kept_members and name not in gone:
                gone.add(name)
                changed = True
    interfaces = _kept_interfaces(definitions, fields, gone)
    reached = _reached(definitions, fields, members, interfaces, roots, gone)
    for directive in directives:  # their argument types stay, used or not
        reached |= _reached(
            definitions,
            fields,
            members,
            interfaces,
            {a.name.value: _named(a.type) for a in directive.arguments or ()},
            gone,
        )
    kept_definitions: list[Any] = []
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            operations = tuple(
                op for op in definition.operation_types if op.type.name.value in reached
            )
            kept_definitions.append(dataclasses.replace(definition, operation_types=operations))
        elif not isinstance(definition, TypeDefinitionNode):
            kept_definitions.append(definition)  # directive definitions
        elif definition.name.value not in reached:
            continue
        elif isinstance(definition, _Fields):
            name = definition.name.value
            kept_definitions.append(
                dataclasses.replace(
                    definition,
                    fields=tuple(
                        dataclasses.replace(
                            f,
                            arguments=tuple(
                                a
                                for a in f.arguments or ()
                                if keeps(a, f"{name}.{f.name.value}({a.name.value}:)")
                            ),
                        )
                        for f in definition.fields or ()
                        if f.name.value in fields[name]
                    ),
                    interfaces=tuple(
                        i for i in definition.interfaces or () if i.name.value in interfaces[name]
                    ),
                )
            )
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            name = definition.name.value
            inputs = tuple(f for f in definition.fields or () if keeps(f, f"{name}.{f.name.value}"))
            kept_definitions.append(dataclasses.replace(definition, fields=inputs))
        elif isinstance(definition, UnionTypeDefinitionNode):
            kept = members[definition.name.value]
            types = tuple(t for t in definition.types or () if t.name.value in kept)
            kept_definitions.append(dataclasses.replace(definition, types=types))
        else:
            kept_definitions.append(definition)
    return build_ast_schema(
        DocumentNode(definitions=tuple(kept_definitions)), assume_valid=True, assume_valid_sdl=True
    )


def _kept_interfaces(
    definitions: dict[str, Any], fields: dict[str, set[str]], gone: set[str]
) -> dict[str, set[str]]:
    """Type -> the interfaces it keeps: visible ones whose visible fields it still all has."""
    kept = {
        name: {i.name.value for i in definitions[name].interfaces or ()} - gone for name in fields
    }
    changed = True
    while changed:
        changed = False
        for name, names in kept.items():
            for interface in list(names):
                if not fields[interface] <= fields[name] or not kept[interface] <= names:
                    names.discard(interface)
                    changed = True
    return kept


def _reached(
    definitions: dict[str, Any],
    fields: dict[str, set[str]],
    members: dict[str, set[str]],
    interfaces: dict[str, set[str]],
    roots: dict[str, str],
    gone: set[str],
) -> set[str]:
    """Type names reachable from ``roots`` through what is kept."""
    implementations: dict[str, set[str]] = {}
    for name, names in interfaces.items():
        for interface in names:
            implementations.setdefault(interface, set()).add(name)
    pending = [name for name in roots.values() if name not in gone]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name in reached or name in gone or name not in definitions:
            continue
        reached.add(name)
        node = definitions[name]
        if isinstance(node, _Fields):
            for f in node.fields or ():
                if f.name.value in fields[name]:
                    pending.append(_named(f.type))
                    pending.extend(_named(a.type) for a in f.arguments or ())
            pending.extend(interfaces[name])
            pending.extend(implementations.get(name, ()))
        elif isinstance(node, UnionTypeDefinitionNode):
            pending.extend(members[name])
        elif isinstance(node, InputObjectTypeDefinitionNode):
            pending.extend(_named(f.type) for f in node.fields or ())
        else:
            assert isinstance(node, EnumTypeDefinitionNode | ScalarTypeDefinitionNode)
    return reached


def _named(type_node: Any) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type
    return str(type_node.name.value)
