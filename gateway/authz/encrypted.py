"""Who sees an encrypted field how: ``read_plain``, ``read_masked`` or neither, per caller and
per object.

The casbin policy decides with two actions beside ``read`` (which the authorizer asks at plan
time: without it the field is not fetched at all):

- ``read_plain`` on ``Employee.idCardNumber``: the plaintext;
- ``read_masked``: the field's mask (``************1234``); a field whose mask is ``NONE`` has
  no masked form;
- neither: null and ``FORBIDDEN`` at the field's path.

**Rules about related objects** use the authorizer's relation subjects (``role@relation``,
``relations.py``): ``p, employee@self, *, Employee.idCardNumber, read_plain,
allow`` gives the plaintext only on objects whose key is the caller's subject. Such a grant is
decided per object by the protect phase, from the attribute the plan fetches beside the field. A
rule that denies ``read_plain`` (or ``read_masked``) outright overrides every relation grant,
as deny overrides allow everywhere in the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from tandem_shared.tokens import Principal

from ..encrypted_fields import EncryptedField
from .enforcer import Decision
from .relations import Relation, holds

__all__ = ["DENIED", "MASKED", "PLAIN", "Access", "FieldDecision", "decide_field"]

PLAIN: Final = "plain"
MASKED: Final = "masked"
DENIED: Final = "denied"
_RANK: Final = {DENIED: 0, MASKED: 1, PLAIN: 2}

Decide = Callable[[Principal | None, str, str], Decision]
Grants = Callable[[Principal | None, str, str], list[tuple[Relation, str]]]
"""(principal, coordinate, action) -> the (relation, rule) pairs granting it on related objects."""


@dataclass(frozen=True, slots=True)
class Access:
    """What a caller gets of a field (``plain``, ``masked`` or ``denied``) and the rule why."""

    kind: str
    rule: str
    action: str


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """A caller's access to an encrypted field on any object (``others``) and, better, on
    the objects related to them (``related``: relation, attribute path, access)."""

    field: EncryptedField
    others: Access
    related: tuple[tuple[Relation, tuple[str, ...], Access], ...] = ()

    def access(self, principal: Principal | None, obj: Mapping[str, Any]) -> Access:
        best = self.others
        for relation, path, access in self.related:
            if _RANK[access.kind] > _RANK[best.kind] and holds(relation, path, obj, principal):
                best = access
        return best

    @property
    def denied_everywhere(self) -> bool:
        return self.others.kind == DENIED and not self.related

    @property
    def signature(self) -> tuple[str, ...]:
        related = tuple(f"{r.name}:{a.kind}:{a.rule}" for r, _, a in self.related)
        return (self.field.coordinate, self.others.kind, self.others.rule, *related)


def _explicit_deny(decision: Decision) -> bool:
    return not decision.allowed and not decision.by_default


def _access(field: EncryptedField, plain: Decision, masked: Decision) -> Access:
    if plain.allowed:
        return Access(PLAIN, plain.rule, "read_plain")
    if masked.allowed and field.masker is not None:
        return Access(MASKED, masked.rule, "read_masked")
    rule = masked.rule if _explicit_deny(masked) and not _explicit_deny(plain) else plain.rule
    return Access(DENIED, rule, "read_plain")


def decide_field(
    decide: Decide, grants: Grants | None, principal: Principal | None, field: EncryptedField
) -> FieldDecision:
    """Ask the policy about ``field`` for ``principal``: on any object, and where relation
    subjects grant more, on related objects."""
    coordinate = field.coordinate
    plain = decide(principal, coordinate, "read_plain")
    masked = decide(principal, coordinate, "read_masked")
    others = _access(field, plain, masked)
    if grants is None or principal is None or others.kind == PLAIN:
        return FieldDecision(field, others)
    related: list[tuple[Relation, tuple[str, ...], Access]] = []
    for action, decision, kind in (
        ("read_plain", plain, PLAIN),
        ("read_masked", masked, MASKED),
    ):
        if _explicit_deny(decision) or _RANK[kind] <= _RANK[others.kind]:
            continue
        if kind == MASKED and field.masker is None:
            continue
        for relation, rule in grants(principal, coordinate, action):
            path = relation.paths.get(field.type_name)
            if path:
                related.append((relation, path, Access(kind, rule, action)))
    return FieldDecision(field, others, tuple(related))
