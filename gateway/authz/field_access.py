"""Which fields of an operation a principal may have: authorization as a value, at plan time.

Every selected field, however reached (aliases, named and inline fragments, interfaces and
unions, nested entities), is a schema coordinate ``ParentType.field`` with the action ``write``
for mutation root fields and ``read`` otherwise. A denied field is removed from what the
planner sees, so it is never fetched; the shaper gives it null and a ``FORBIDDEN`` error at its
path. With ``reject`` the whole operation is refused instead, listing the denied coordinates.

An argument is decided too (``arguments.py``): a field given an argument that searches or
filters by fields the caller may not read is denied as a whole, naming the argument's
coordinate (``Query.customers(search:)``), so a search is no oracle for what it matches.

A mutation is different: its denials are checked again once the encrypted-field decisions
are in (``side_effects.py``), and a mutation whose result a denial would hide (null up to a
root field, or a root field denied) is refused before anything runs, so no write goes unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graphql import GraphQLSchema, get_named_type

from ..operation import FieldSelection, InlineSelection, Selection
from .arguments import SearchedFields, arguments_used, decide_argument
from .enforcer import Decision
from .relations import Relation, attribute_selection

__all__ = ["AccessDecision", "Conditional", "DecidedField", "Denial", "authorize_selections"]

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision
Grants = Callable[[str, str], list[tuple[Relation, str]]]  # (coordinate, action) -> grants


@dataclass(frozen=True, slots=True)
class Denial:
    coordinate: str
    action: str
    rule: str


@dataclass(frozen=True, slots=True)
class Conditional:
    """A field allowed only on objects related to the caller (see ``relations.py``)."""

    coordinate: str
    action: str
    rule: str  # what decides where no relation holds
    grants: tuple[tuple[Relation, tuple[str, ...], str], ...]  # relation, path, rule


@dataclass(frozen=True, slots=True, eq=False)
class DecidedField(FieldSelection):
    """A client's field that is not simply allowed: denied (never fetched) or conditional on
    a relation. The decision travels on the selection itself, so the phases after this one
    find it where they meet the field (no map keyed by object identity)."""

    decided: Denial | Conditional


@dataclass(frozen=True, eq=False)
class AccessDecision:
    """The selections the planner may see (``selections``), and the client's selections with
    every denied or conditional field a :class:`DecidedField` (``client``; None: nothing was
    decided, the operation's own selections).

    ``signature`` distinguishes this decision from another for the same document (a plan
    cache key): the denied coordinates, computed once.
    """

    selections: tuple[Selection, ...]
    client: tuple[Selection, ...] | None = None
    denials: tuple[Denial, ...] = ()
    conditionals: tuple[Conditional, ...] = ()
    signature: frozenset[tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        signature = frozenset(
            [(d.coordinate, d.action) for d in self.denials]
            + [("?", c.coordinate, c.action) for c in self.conditionals]
        )
        object.__setattr__(self, "signature", signature)


def authorize_selections(
    schema: GraphQLSchema,
    selections: tuple[Selection, ...],
    root_type: str,
    operation_kind: str,
    decide: Decide,
    grants: Grants | None = None,
    searched: SearchedFields | None = None,
) -> AccessDecision:
    """What of ``selections`` the caller may have; ``searched`` (argument -> fields it
    searches) turns argument authorization on."""
    denials: list[Denial] = []
    conditionals: list[Conditional] = []

    def walk(
        items: Sequence[Selection], parent: str, root: bool
    ) -> tuple[tuple[Selection, ...], tuple[Selection, ...]]:
        """(what the planner sees, the client's selections with their decisions)"""
        kept: list[Selection] = []
        client: list[Selection] = []
        attributes: dict[str, FieldSelection] = {}
        for item in items:
            if isinstance(item, InlineSelection):
                inner, shown = walk(item.selections, item.type_condition or parent, root)
                kept.append(InlineSelection(item.type_condition, inner))
                client.append(InlineSelection(item.type_condition, shown))
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
            if item.selections is None:
                kept.append(item)
                client.append(item if decided is None else _decided(item, None, decided))
                continue
            parent_type = schema.type_map[parent]
            child = get_named_type(parent_type.fields[item.name].type).name  # type: ignore[attr-defined]
            inner, shown = walk(item.selections, child, False)
            kept.append(FieldSelection(item.key, item.name, item.arguments, inner))
            client.append(
                FieldSelection(item.key, item.name, item.arguments, shown)
                if decided is None
                else _decided(item, shown, decided)
            )
        return (*kept, *attributes.values()), tuple(client)

    filtered, client = walk(selections, root_type, True)
    return AccessDecision(filtered, client, tuple(denials), tuple(conditionals))


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
