"""Rules that depend on the data: how an object relates to the caller.

A policy subject ``<role>@<relation>`` (``employee@self``, ``manager@department``) grants its
rule only for objects that stand in that relation to the caller. The gateway cannot know that
when it plans, so such a field is fetched together with the attribute the relation reads, and
decided per object when the response is shaped: where the relation holds the value is shown,
elsewhere it is null with a ``FORBIDDEN`` error at that object's path.

A relation names, per type, the path of the attribute compared with the caller:

    self        the object's key is the caller's subject    Employee: id
    department  the object's department is the caller's     Employee: department.id
    approver    the caller is the object's current approver ApprovalRequest: currentStep.approver.id
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tandem_shared.tokens import Principal

from ..operation import FieldSelection

__all__ = ["RELATIONS", "Relation", "attribute_selection", "holds"]


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    compare_with: str  # "subject" or "department": which attribute of the caller
    paths: Mapping[str, tuple[str, ...]]  # type name -> attribute path on its objects


RELATIONS: Mapping[str, Relation] = {
    "self": Relation("self", "subject", {"Employee": ("id",)}),
    "department": Relation(
        "department",
        "department",
        {"Employee": ("department", "id"), "Department": ("id",), "Budget": ("department", "id")},
    ),
    "approver": Relation(
        "approver", "subject", {"ApprovalRequest": ("currentStep", "approver", "id")}
    ),
}


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
