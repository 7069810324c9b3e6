"""Which fields of an operation a principal may have: the one walk of the authorize phase.

Every selected field, however reached (aliases, named and inline fragments, interfaces and
unions, nested entities), is a schema coordinate ``ParentType.field`` with the action ``write``
for mutation root fields and ``read`` otherwise. A denied field is removed from what the
planner sees, so it is never fetched; the protect phase gives it null and a ``FORBIDDEN`` error
at its path. With ``reject`` the whole operation is refused instead, listing the denied coordinates.

An argument is decided too (``arguments.py``): a field given an argument that searches or
filters by fields the caller may not read is denied as a whole, naming the argument's
coordinate (``Query.customers(search:)``), so a search is no oracle for what it matches.

Encrypted fields are decided in the same walk (``protection.py``'s :class:`EncryptedWalk`, as
it meets each field the caller may have): their form per caller, what the plan fetches for them
(entity keys, relation attributes), and which are removed (no form, or searched without the
plaintext). ``decision.py`` makes the walk's result the operation's one decision value.

A mutation is different: a mutation whose result a denial would hide (null up to a root field,
or a root field denied) is refused before anything runs (``side_effects.py``), so no write goes
unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from graphql import GraphQLSchema, get_named_type

from ..operation import FieldSelection, InlineSelection, Selection
from .arguments import SearchedFields, arguments_used, decide_argument
from .decision import Conditional, DecidedField, Denial, OperationDecision
from .enforcer import Decision
from .relations import Relation, attribute_selection

if TYPE_CHECKING:
    from .encrypted import FieldDecision
    from .protection import EncryptedWalk

__all__ = ["Decide", "Grants", "authorize_selections"]

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision
Grants = Callable[[str, str], list[tuple[Relation, str]]]  # (coordinate, action) -> grants


def authorize_selections(
    schema: GraphQLSchema,
    selections: tuple[Selection, ...],
    root_type: str,
    operation_kind: str,
    decide: Decide,
    grants: Grants | None = None,
    searched: SearchedFields | None = None,
    encrypted: EncryptedWalk | None = None,
) -> OperationDecision:
    """What of ``selections`` the caller may have; ``searched`` (argument -> fields it
    searches) turns argument authorization on, ``encrypted`` decides encrypted fields."""
    denials: list[Denial] = []
    conditionals: list[Conditional] = []

    def walk(
        items: Sequence[Selection], parent: str, root: bool, protect: EncryptedWalk | None
    ) -> tuple[tuple[Selection, ...], tuple[Selection, ...]]:
        """(what the planner sees, the client's selections with their decisions); below a
        field the encrypted-field policy removed, ``protect`` is None (nothing is fetched)."""
        kept: list[Selection] = []
        client: list[Selection] = []
        attributes: dict[str, FieldSelection] = {}
        keyed: dict[str, FieldDecision] = {}  # object type -> an encrypted field needing its key
        for item in items:
            if isinstance(item, InlineSelection):
                condition = item.type_condition or parent
                inner, shown = walk(item.selections, condition, root, protect)
                kept.append(InlineSelection(item.type_condition, inner, item.defer))
                client.append(InlineSelection(item.type_condition, shown, item.defer))
                continue
            if item.name.startswith("__"):
                kept.append(item)
                client.append(item)
                continue
            action = "write" if root and operation_kind == "mutation" else "read"
            coordinate = f"{parent}.{item.name}"
            decision = decide(coordinate, action)
            decided: Conditional | None = None
            if not decision.allowed:
                found = _conditional(parent, coordinate, action, decision, grants)
                if found is None:
                    denials.append(Denial(coordinate, action, decision.rule))
                    client.append(_decided(item, item.selections, denials[-1]))
                    continue
                decided = found
                for relation, _, _ in found.grants:
                    selection = attribute_selection(relation, parent)
                    if selection is not None:
                        attributes[selection.key] = selection
            if searched is not None and item.arguments:
                refused = _refused_argument(schema, parent, item, decide, searched)
                if refused is not None:
                    denials.append(refused)
                    client.append(_decided(item, item.selections, refused))
                    continue
            if decided is not None:
                conditionals.append(decided)
            removed = protect is not None and protect.removes(parent, item, keyed)
            if item.selections is None:
                if not removed:
                    kept.append(item)
                client.append(item if decided is None else _decided(item, None, decided))
                continue
            parent_type = schema.type_map[parent]
            child = get_named_type(parent_type.fields[item.name].type).name  # type: ignore[attr-defined]
            inner, shown = walk(item.selections, child, False, None if removed else protect)
            if not removed:
                kept.append(FieldSelection(item.key, item.name, item.arguments, inner))
            client.append(
                FieldSelection(item.key, item.name, item.arguments, shown)
                if decided is None
                else _decided(item, shown, decided)
            )
        added: tuple[Selection, ...] = tuple(attributes.values())
        if protect is not None:  # the relation attributes, then what encrypted fields need
            extra: list[Selection] = []
            for attribute in added:
                assert isinstance(attribute, FieldSelection)
                if protect.removes(parent, attribute, keyed):
                    continue
                if attribute.selections is not None:
                    field_type = schema.type_map[parent].fields[attribute.name].type  # type: ignore[attr-defined]
                    attribute = FieldSelection(
                        attribute.key,
                        attribute.name,
                        attribute.arguments,
                        protect.walk(attribute.selections, get_named_type(field_type).name),
                    )
                extra.append(attribute)
            added = (*extra, *protect.extras(parent, keyed))
        return (*kept, *added), tuple(client)

    filtered, client = walk(selections, root_type, True, encrypted)
    if encrypted is None:
        return OperationDecision(filtered, client, tuple(denials), tuple(conditionals))
    return OperationDecision(
        filtered,
        client,
        tuple(denials),
        tuple(conditionals),
        encrypted.decisions,
        encrypted.signature,
        encrypted.literal,
    )


def _decided(
    item: FieldSelection,
    selections: tuple[Selection, ...] | None,
    decided: Denial | Conditional,
) -> DecidedField:
    return DecidedField(item.key, item.name, item.arguments, selections, decided)


def _refused_argument(
    schema: GraphQLSchema,
    parent: str,
    item: FieldSelection,
    decide: Decide,
    searched: SearchedFields,
) -> Denial | None:
    """The first argument (or input field) of ``item`` the caller may not use, as a denial."""
    for coordinate in arguments_used(schema, parent, item.name, item.arguments):
        decision = decide_argument(decide, searched, coordinate)
        if not decision.allowed:
            return Denial(coordinate, "read", decision.rule)
    return None


def _conditional(
    parent: str, coordinate: str, action: str, decision: Decision, grants: Grants | None
) -> Conditional | None:
    """A rule granting ``coordinate`` on related objects only, unless a rule denies it."""
    if grants is None or not decision.rule.startswith("default"):
        return None  # an explicit deny overrides any relation
    found = tuple(
        (relation, relation.paths[parent], rule)
        for relation, rule in grants(coordinate, action)
        if parent in relation.paths
    )
    return Conditional(coordinate, action, decision.rule, found) if found else None
