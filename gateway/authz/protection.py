"""Encrypted fields in the authorization decision: who gets which form, and the keys the plan
fetches.

The decision walk (``decision.py``) asks an :class:`EncryptedWalk` about every field the
caller may have, as it meets it, and so gets

- the selections to plan: each encrypted field's entity key added beside it under the response
  key :data:`KEY_ALIAS` (its envelope is bound to that key), and the attribute a relation
  grant reads (``employee@self``: the object's ``id``); a field the caller may see in no form
  is removed, so it is never fetched, like a denied one; a root field that searches by
  an encrypted field (``@encryptedInput(search: true)``) is removed unless the caller may read
  that field in plaintext on every object;
- per coordinate, what the protect phase does: a :class:`FieldDecision` (plaintext, mask or
  ``FORBIDDEN``, per object) or a :class:`Denial` (``FORBIDDEN`` without looking);
- an argument given a plaintext as a literal (refused: plaintexts travel as variables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

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

from ..encrypted_fields import EncryptedFields
from ..operation import FieldSelection, InlineSelection, Selection
from .decision import Denial
from .encrypted import PLAIN, FieldDecision, Grants, decide_field
from .enforcer import DEFAULT_DENY, Decision, PolicySource
from .relations import Relation, attribute_selection

__all__ = [
    "KEY_ALIAS",
    "DenyAll",
    "EncryptedWalk",
    "Protector",
    "literal_plaintexts",
]

KEY_ALIAS: Final = "_tandem_entity_key"
"""The response key under which the plan fetches an encrypted field's entity key."""


class DenyAll:
    """The policy when there is none: no rule, so nothing encrypted is readable."""

    version = 0

    def decide(self, principal: Principal | None, coordinate: str, action: str) -> Decision:
        return Decision(False, DEFAULT_DENY)

    def conditional_grants(
        self, principal: Principal | None, coordinate: str, action: str
    ) -> list[tuple[Relation, str]]:
        return []


class Protector:
    """Encrypted fields and the policy that decides their forms (``enforcer``); one
    :class:`EncryptedWalk` per decision asks it."""

    def __init__(
        self, schema: GraphQLSchema, fields: EncryptedFields, enforcer: PolicySource
    ) -> None:
        self.schema = schema
        self.fields = fields
        self.enforcer = enforcer

    def walk(self, principal: Principal | None) -> EncryptedWalk:
        return EncryptedWalk(self, principal)


class EncryptedWalk:
    """The encrypted-field half of one decision walk (``decision.py``): called per field the
    caller may have, it decides the field's form for every object type it may come from,
    removes a field seen in no form or searched without the plaintext, and adds per selection
    set the entity key (and relation attributes) the decided fields need.

    ``decisions`` holds, per coordinate, a :class:`FieldDecision` or a :class:`Denial`;
    ``literal`` names the first argument given a plaintext literal (the operation is refused).
    """

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
        self.literal: str | None = None

    @property
    def signature(self) -> tuple[Any, ...]:
        return tuple(
            sorted(
                d.signature if isinstance(d, FieldDecision) else (c, d.action, d.rule)
                for c, d in self.decisions.items()
            )
        )

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

    def removes(
        self, parent_name: str, item: FieldSelection, keyed: dict[str, FieldDecision]
    ) -> bool:
        """Decide ``item`` (selected on ``parent_name``): whether it is removed from the plan;
        the object types whose key the selection set needs go into ``keyed``."""
        parent = self.schema.type_map[parent_name]
        gql_field = getattr(parent, "fields", {}).get(item.name)
        if item.name.startswith("__") or gql_field is None:
            return False
        coordinate = f"{parent_name}.{item.name}"
        if self.literal is None:
            found = literal_plaintexts(self.fields, coordinate, gql_field.args, item.arguments)
            if found:
                self.literal = found[0]
        denial = self.search_denial(coordinate, item.arguments)
        if denial is not None:
            self.decisions[coordinate] = denial
            return True
        abstract = is_abstract_type(parent)
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
        return removed

    def walk(self, items: Sequence[Selection], parent_name: str) -> tuple[Selection, ...]:
        """``items`` with only this half decided (what the relation rules add to the plan)."""
        kept: list[Selection] = []
        keyed: dict[str, FieldDecision] = {}
        for item in items:
            if isinstance(item, InlineSelection):
                condition = item.type_condition or parent_name
                kept.append(
                    InlineSelection(
                        item.type_condition, self.walk(item.selections, condition), item.defer
                    )
                )
                continue
            if self.removes(parent_name, item, keyed):
                continue
            if item.selections is None or item.name.startswith("__"):
                kept.append(item)
                continue
            gql_field = self.schema.type_map[parent_name].fields[item.name]  # type: ignore[attr-defined]
            child = get_named_type(gql_field.type).name
            kept.append(
                FieldSelection(
                    item.key, item.name, item.arguments, self.walk(item.selections, child)
                )
            )
        return (*kept, *self.extras(parent_name, keyed))

    def extras(self, parent_name: str, keyed: Mapping[str, FieldDecision]) -> list[Selection]:
        """What a selection set on ``parent_name`` fetches for its ``keyed`` decisions: each
        object type's entity key, and the attributes relation grants on it read."""
        added: list[Selection] = []
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
            selections = tuple(extra.values())
            added.extend(
                selections if owner == parent_name else (InlineSelection(owner, selections),)
            )
        return added

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
