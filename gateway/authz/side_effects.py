"""No invisible side effects: a mutation whose result a denial would hide is refused before it runs.

A denied field resolves to null with a ``FORBIDDEN`` error at its path, and a null in a
non-null position propagates to the nearest nullable parent, as the GraphQL spec says. For a
query that only costs the caller some data. For a mutation it would hide a write: the order is
created, yet the caller gets ``data: null`` (or ``createSalesOrder: null``) and cannot tell it
happened. So, after the authorizer and the encrypted-field decisions and before the plan
runs, :func:`refuse_hidden_mutation` walks the selections of a mutation and refuses the whole
operation (``FORBIDDEN``, status 403, the coordinates and paths named) when any root field

- is itself denied (``write``), or
- would be nulled by a denial whose null propagates, through non-null fields and non-null
  list items, up to that root field's value.

A denial that nulls only a nullable inner field lets the mutation run: the caller sees the
result, with the error at that path.

**Every root field, the whole operation.** Mutation root fields run one after the other; if
the second one's result would be hidden, refusing just that one after the first one has
written leaves the caller with half an operation, and running it leaves them a write they
cannot see. Refusing everything before anything runs is the only answer with no hidden write
and no half-done operation, and the caller can fix the selection and send it again.

**What is decided, and when.** Plain denials are known at plan time. Two kinds of decision
are only taken per object when the response is shaped, after the write:

- relation rules (``role@self``, ``role@department``, ``role@approver``, see ``relations.py``):
  the field is shown only on objects related to the caller;
- encrypted fields the caller may see in plaintext or masked only on related objects (no form
  on the others).

These may deny, and which objects the mutation returns is not known before it runs, so they
are treated as denials (conservatively): a mutation whose root result would be nulled if they
denied is refused, telling the caller which coordinate is decided per object. Selecting such
a field in a nullable position, or reading it afterwards with a query, works as before.

The walk is also conservative about data it cannot see: a denial under a list counts as if
the list had items, and fields under every inline fragment of an abstract type count as if
one object matched them all. ``@skip``/``@include`` have already been applied (the
selections are normalized with the request's variables), and aliases and fragments are
walked where they occur, so every route to a field is seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
)

from ..errors import OperationError
from ..operation import InlineSelection, Selection
from .decision import DecidedField, Denial, OperationDecision
from .encrypted import DENIED as NO_FORM
from .encrypted import FieldDecision

__all__ = ["Hidden", "hidden_results", "refuse_hidden_mutation"]

DENIED = "denied"
PER_OBJECT = "decided per object"


@dataclass(frozen=True, slots=True)
class Hidden:
    """A denial that would null a mutation's root field: where it is and what decided it."""

    path: tuple[str, ...]  # response keys from the root field to the denied field
    coordinate: str
    kind: str  # DENIED, or PER_OBJECT for a rule decided only after the write

    def describe(self) -> str:
        where = ".".join(self.path)
        if self.kind == PER_OBJECT:
            return f"{self.coordinate} at {where} (allowed only on some objects)"
        return f"{self.coordinate} at {where}"


def hidden_results(
    schema: GraphQLSchema, decision: OperationDecision, root_type: str
) -> list[Hidden]:
    """The denials that would null a root field of the operation ``decision`` decided (empty:
    none): its client selections, denied and relation fields marked on them
    (``DecidedField``), and the encrypted-field decisions by coordinate (a ``Denial`` or a
    per-object ``FieldDecision``)."""
    return _Walk(schema, decision.encrypted).root(decision.client, root_type)


def refuse_hidden_mutation(
    schema: GraphQLSchema, decision: OperationDecision, root_type: str
) -> None:
    """Raise ``FORBIDDEN`` (nothing has run yet) when a denial would hide a root field's result."""
    found = hidden_results(schema, decision, root_type)
    if not found:
        return
    roots = sorted({h.path[0] for h in found})
    raise OperationError(
        "mutation refused before it ran (nothing was written): the result of "
        + ", ".join(roots)
        + " would be null because the caller may not read "
        + "; ".join(h.describe() for h in found)
        + ". Select only fields you may read.",
        code="FORBIDDEN",
        status=403,
        extensions={
            "coordinates": sorted({h.coordinate for h in found}),
            "paths": [list(h.path) for h in found],
        },
    )


class _Walk:
    def __init__(
        self, schema: GraphQLSchema, protected: Mapping[str, FieldDecision | Denial]
    ) -> None:
        self.schema = schema
        self.protected = protected

    def root(self, items: Sequence[Selection], root_type: str) -> list[Hidden]:
        """Every root field counts: denied itself, or nulled from below (whatever its type)."""
        found: list[Hidden] = []
        for item, parent, gql_field in self.fields(items, root_type):
            path = (item.key,)
            own = self.decision(item, parent, path)
            if own is not None:
                found.append(own)
            elif item.selections is not None:
                below = self.nulling(item.selections, get_named_type(gql_field.type).name, path)
                if below and _lists_pass_null(gql_field.type):
                    found.extend(below)
        return found

    def nulling(
        self, items: Sequence[Selection], type_name: str, path: tuple[str, ...]
    ) -> list[Hidden]:
        """The denials that would null an object of ``type_name`` selected with ``items``."""
        found: list[Hidden] = []
        for item, parent, gql_field in self.fields(items, type_name):
            where = (*path, item.key)
            non_null = isinstance(gql_field.type, GraphQLNonNull)
            own = self.decision(item, parent, where)
            if own is not None:
                if non_null:
                    found.append(own)
                continue  # a denied field is not fetched: nothing below it runs
            if not non_null or item.selections is None:
                continue  # a nullable field stops whatever nulls it
            below = self.nulling(item.selections, get_named_type(gql_field.type).name, where)
            if below and _lists_pass_null(gql_field.type):
                found.extend(below)
        return found

    def fields(self, items: Sequence[Selection], type_name: str) -> list[tuple[Any, str, Any]]:
        """The fields of ``items`` with the type they are selected on (fragments flattened)."""
        result: list[tuple[Any, str, Any]] = []
        for item in items:
            if isinstance(item, InlineSelection):
                result.extend(self.fields(item.selections, item.type_condition or type_name))
                continue
            if item.name.startswith("__"):
                continue
            gql_field = getattr(self.schema.type_map.get(type_name), "fields", {}).get(item.name)
            if gql_field is not None:
                result.append((item, type_name, gql_field))
        return result

    def decision(self, item: Any, parent: str, path: tuple[str, ...]) -> Hidden | None:
        """Whether ``item`` may resolve to null by policy: plainly denied, or decided per object."""
        if isinstance(item, DecidedField):
            kind = DENIED if isinstance(item.decided, Denial) else PER_OBJECT
            return Hidden(path, item.decided.coordinate, kind)
        if not self.protected:
            return None
        parent_type = self.schema.type_map[parent]
        owners = (
            [t.name for t in self.schema.get_possible_types(parent_type)]
            if is_abstract_type(parent_type)
            else [parent]
        )
        for owner in owners:
            decision = self.protected.get(f"{owner}.{item.name}")
            if decision is None:
                continue
            if isinstance(decision, Denial):  # the caller sees it in no form
                return Hidden(path, decision.coordinate, DENIED)
            if decision.others.kind == NO_FORM:  # no form, or a form only on related objects
                kind = PER_OBJECT if decision.related else DENIED
                return Hidden(path, decision.field.coordinate, kind)
        return None


def _lists_pass_null(gql_type: Any) -> bool:
    """Whether a null object inside ``gql_type``'s lists makes the field's value null: every
    list item position is non-null (a field with no list: trivially)."""
    inner = gql_type.of_type if isinstance(gql_type, GraphQLNonNull) else gql_type
    while isinstance(inner, GraphQLList):
        item = inner.of_type
        if not isinstance(item, GraphQLNonNull):
            return False
        inner = item.of_type
    return True
