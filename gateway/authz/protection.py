"""Encrypted fields in the authorization decision: who gets which form, and the keys the plan
fetches.

For an authorized operation (the selections the authorizer kept) and a caller,
:meth:`Protector.protect` returns

- the selections to plan: each encrypted field's entity key added beside it under the response
  key :data:`KEY_ALIAS` (its envelope is bound to that key), and the attribute a relation
  grant reads (``employee@self``: the object's ``id``); a field the caller may see in no form
  is removed, so it is never fetched, as the authorizer does; a root field that searches by
  an encrypted field (``@encryptedInput(search: true)``) is removed unless the caller may read
  that field in plaintext on every object;
- per coordinate, what the shaper does: a :class:`FieldDecision` (plaintext, mask or
  ``FORBIDDEN``, per object) or a :class:`Denial` (``FORBIDDEN`` without looking).

Results are cached per operation, caller (subject, roles, department) and policy version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from graphql import (
    GraphQLArgument,
    GraphQLInputObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
)
from graphql.language import (
    ArgumentNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
)

from tandem_shared.tokens import Principal

from ..crypto.fields import EncryptedFields
from ..errors import OperationError
from ..operation import FieldSelection, InlineSelection, Selection
from .encrypted import PLAIN, FieldDecision, Grants, decide_field
from .enforcer import Decision
from .field_access import Denial
from .relations import Relation, attribute_selection

__all__ = ["KEY_ALIAS", "FieldPolicy", "Protection", "Protector", "literal_plaintexts"]

KEY_ALIAS: Final = "_tandem_entity_key"
"""The response key under which the plan fetches an encrypted field's entity key."""


class FieldPolicy(Protocol):
    """The policy encrypted fields are decided by (``PolicyEnforcer``, or a deny-all one)."""

    @property
    def version(self) -> int: ...

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision: ...

    def conditional_grants(
        self, principal: Principal | None, coordinate: str, action: str
    ) -> list[tuple[Relation, str]]: ...


@dataclass(frozen=True, eq=False)
class Protection:
    selections: tuple[Selection, ...]
    fields: Mapping[str, FieldDecision | Denial] = field(default_factory=dict)
    signature: tuple[Any, ...] = ()


class Protector:
    """Decides encrypted fields for callers by ``enforcer``'s policy."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fields: EncryptedFields,
        enforcer: FieldPolicy,
        *,
        cache_size: int = 10_000,
    ) -> None:
        self.schema = schema
        self.fields = fields
        self.enforcer = enforcer
        self.cache_size = cache_size
        self._cache: dict[tuple[Any, ...], tuple[Sequence[Selection], Protection]] = {}

    def protect(
        self,
        selections: tuple[Selection, ...],
        root_type: str,
        principal: Principal | None,
    ) -> Protection:
        identity = (principal.subject, principal.roles, principal.department) if principal else None
        cache_key = (id(selections), root_type, identity, self.enforcer.version)
        cached = self._cache.get(cache_key)
        if cached is not None and cached[0] is selections:
            return cached[1]
        protection = _Walk(self, principal).run(selections, root_type)
        if len(self._cache) >= self.cache_size:
            self._cache = {}
        self._cache[cache_key] = (selections, protection)
        return protection


class _Walk:
    def __init__(self, protector: Protector, principal: Principal | None) -> None:
        self.schema = protector.schema
        self.fields = protector.fields
        enforcer = protector.enforcer
        self.decide = enforcer.decide

        def grants(
            who: Principal | None, coordinate: str, action: str
        ) -> list[tuple[Relation, str]]:
            return enforcer.conditional_grants(who, coordinate, action)

        self.grants: Grants | None = grants
        self.principal = principal
        self.decisions: dict[str, FieldDecision | Denial] = {}

    def run(self, selections: tuple[Selection, ...], root_type: str) -> Protection:
        kept = self.walk(selections, root_type)
        signature = tuple(
            sorted(
                d.signature if isinstance(d, FieldDecision) else (c, d.action, d.rule)
                for c, d in self.decisions.items()
            )
        )
        return Protection(kept, self.decisions, signature)

    def field_decision(self, type_name: str, name: str) -> FieldDecision | None:
        encrypted = self.fields.get(type_name, name)
        if encrypted is None:
            return None
        coordinate = encrypted.coordinate
        found = self.decisions.get(coordinate)
        if isinstance(found, FieldDecision):
            return found
        decision = decide_field(self.decide, self.grants, self.principal, encrypted)
        self.decisions[coordinate] = decision
        return decision

    def walk(self, items: Sequence[Selection], parent_name: str) -> tuple[Selection, ...]:
        parent = self.schema.type_map[parent_name]
        abstract = is_abstract_type(parent)
        kept: list[Selection] = []
        keyed: dict[str, FieldDecision] = {}  # object type -> a decision needing its key
        for item in items:
            if isinstance(item, InlineSelection):
                condition = item.type_condition or parent_name
                kept.append(
                    InlineSelection(item.type_condition, self.walk(item.selections, condition))
                )
                continue
            gql_field = getattr(parent, "fields", {}).get(item.name)
            if item.name.startswith("__") or gql_field is None:
                kept.append(item)
                continue
            coordinate = f"{parent_name}.{item.name}"
            _refuse_literals(self.fields, coordinate, gql_field.args, item.arguments)
            denial = self.search_denial(coordinate, item.arguments)
            if denial is not None:
                self.decisions[coordinate] = denial
                continue
            owners = (
                [t.name for t in self.schema.get_possible_types(parent)]  # type: ignore[arg-type]
                if abstract
                else [parent_name]
            )
            removed = False
            for owner in owners:
                decision = self.field_decision(owner, item.name)
                if decision is None:
                    continue
                if not abstract and decision.denied_everywhere:
                    access = decision.others
                    self.decisions[coordinate] = Denial(coordinate, access.action, access.rule)
                    removed = True
                else:
                    keyed[owner] = decision
            if removed:
                continue
            if item.selections is None:
                kept.append(item)
                continue
            child = get_named_type(gql_field.type).name
            kept.append(
                FieldSelection(
                    item.key, item.name, item.arguments, self.walk(item.selections, child)
                )
            )
        for owner, decision in sorted(keyed.items()):
            extra: dict[str, Selection] = {
                KEY_ALIAS: FieldSelection(KEY_ALIAS, decision.field.key_field, (), None)
            }
            for other in self.decisions.values():
                if isinstance(other, FieldDecision) and other.field.type_name == owner:
                    for relation, _, _ in other.related:
                        attribute = attribute_selection(relation, owner)
                        if attribute is not None:
                            extra[attribute.key] = attribute
            added = tuple(extra.values())
            kept.extend(added if owner == parent_name else (InlineSelection(owner, added),))
        return tuple(kept)

    def search_denial(self, coordinate: str, arguments: Sequence[ArgumentNode]) -> Denial | None:
        specs = self.fields.arguments.get(coordinate)
        if not specs:
            return None
        for argument in arguments:
            spec = specs.get(argument.name.value)
            if spec is None or not spec.search:
                continue
            type_name, _, name = spec.field.partition(".")
            decision = self.field_decision(type_name, name)
            assert decision is not None  # EncryptedFields checks every input names a field
            if decision.others.kind != PLAIN:
                return Denial(spec.field, "search by", decision.others.rule)
        return None


def _refuse_literals(
    fields: EncryptedFields,
    coordinate: str,
    definitions: Mapping[str, GraphQLArgument],
    arguments: Sequence[ArgumentNode],
) -> None:
    found = literal_plaintexts(fields, coordinate, definitions, arguments)
    if found:
        raise OperationError(
            f"{found[0]} carries a plaintext to be encrypted: pass it as a variable",
            code="BAD_USER_INPUT",
        )


def literal_plaintexts(
    fields: EncryptedFields,
    coordinate: str,
    definitions: Mapping[str, GraphQLArgument],
    arguments: Sequence[ArgumentNode],
) -> list[str]:
    """Where marked arguments, or marked fields of input-object literals, are given as
    literals rather than variables: their names, never their values."""
    marked = fields.arguments.get(coordinate, {})
    found: list[str] = []
    for argument in arguments:
        name = argument.name.value
        spec = marked.get(name)
        if spec is not None and not isinstance(argument.value, VariableNode):
            found.append(spec.where)
        definition = definitions.get(name)
        if definition is not None:
            _object_literals(fields, definition.type, argument.value, found)
    return found


def _object_literals(
    fields: EncryptedFields, gql_type: Any, value: ValueNode, found: list[str]
) -> None:
    named = get_named_type(gql_type)
    if isinstance(value, ListValueNode):
        for element in value.values:
            _object_literals(fields, named, element, found)
    elif isinstance(value, ObjectValueNode) and isinstance(named, GraphQLInputObjectType):
        marked = fields.input_fields.get(named.name, {})
        for item in value.fields:
            spec = marked.get(item.name.value)
            if spec is not None and not isinstance(item.value, VariableNode):
                found.append(spec.where)
            inner = named.fields.get(item.name.value)
            if inner is not None:
                _object_literals(fields, inner.type, item.value, found)
