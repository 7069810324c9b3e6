"""Which fields of an operation a principal may have: authorization as a value, at plan time.

Every selected field, however reached (aliases, named and inline fragments, interfaces and
unions, nested entities), is a schema coordinate ``ParentType.field`` with the action ``write``
for mutation root fields and ``read`` otherwise. A denied field is removed from what the
planner sees, so it is never fetched; the shaper gives it null and a ``FORBIDDEN`` error at its
path. With ``reject`` the whole operation is refused instead, listing the denied coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graphql import GraphQLSchema, get_named_type

from ..planner.operation import FieldSelection, InlineSelection, Selection
from .enforcer import Decision

__all__ = ["AccessDecision", "Denial", "authorize_selections"]

Decide = Callable[[str, str], Decision]  # (coordinate, action) -> decision


@dataclass(frozen=True, slots=True)
class Denial:
    coordinate: str
    action: str
    rule: str


@dataclass(frozen=True)
class AccessDecision:
    """The selections the planner may see, and what was denied (by FieldSelection identity).

    ``signature`` distinguishes this decision from another for the same document (a plan
    cache key): the denied coordinates, computed once.
    """

    selections: tuple[Selection, ...]
    denied: dict[int, Denial] = field(default_factory=dict)
    signature: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        signature = frozenset((d.coordinate, d.action) for d in self.denied.values())
        object.__setattr__(self, "signature", signature)


def authorize_selections(
    schema: GraphQLSchema,
    selections: tuple[Selection, ...],
    root_type: str,
    operation_kind: str,
    decide: Decide,
) -> AccessDecision:
    denied: dict[int, Denial] = {}

    def walk(items: Sequence[Selection], parent: str, root: bool) -> tuple[Selection, ...]:
        kept: list[Selection] = []
        for item in items:
            if isinstance(item, InlineSelection):
                inner = walk(item.selections, item.type_condition or parent, root)
                kept.append(InlineSelection(item.type_condition, inner))
                continue
            if item.name.startswith("__"):
                kept.append(item)
                continue
            action = "write" if root and operation_kind == "mutation" else "read"
            coordinate = f"{parent}.{item.name}"
            decision = decide(coordinate, action)
            if not decision.allowed:
                denied[id(item)] = Denial(coordinate, action, decision.rule)
                continue
            if item.selections is None:
                kept.append(item)
                continue
            parent_type = schema.type_map[parent]
            child = get_named_type(parent_type.fields[item.name].type).name  # type: ignore[attr-defined]
            kept.append(
                FieldSelection(
                    item.key, item.name, item.arguments, walk(item.selections, child, False)
                )
            )
        return tuple(kept)

    filtered = walk(selections, root_type, True)
    return AccessDecision(filtered, denied)
