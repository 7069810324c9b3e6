"""One authorization decision per operation and caller, as one immutable value.

The authorize phase (``authorizer.py``) turns (principal, normalized operation, policy
version) into an :class:`OperationDecision` with one walk over the operation
(``field_access.py``, asking ``protection.py`` about encrypted fields as it goes). Every phase
after it reads that value and nothing else about policy:

- *plan*: :attr:`OperationDecision.selections`, the selections the caller may have fetched
  (denied fields removed; the attributes relation rules read and the entity keys encrypted
  fields are bound to added);
- *mutations*: ``side_effects.refuse_hidden_mutation`` walks :attr:`OperationDecision.client`;
- *protect*: :meth:`OperationDecision.guard` says, per field of a runtime type, what happens to
  its value after execution (``protect.py`` applies it per object): denied (``FORBIDDEN`` with
  the deciding rule), conditional on a relation (the attribute fetched beside it decides),
  plaintext or masked (encrypted fields), or nothing (allowed, the common case: None).

What is decided travels on the selections themselves (:class:`DecidedField` for denials and
relation rules) and by schema coordinate (encrypted fields, whose form is the caller's for the
coordinate wherever it is selected), never in maps keyed by object identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..operation import FieldSelection, Selection
from .encrypted import FieldDecision
from .relations import Relation

__all__ = [
    "Conditional",
    "DecidedField",
    "Denial",
    "FieldGuard",
    "OperationDecision",
]


@dataclass(frozen=True, slots=True)
class Denial:
    """A field (or argument) the caller may not have: never fetched, ``FORBIDDEN`` at its path."""

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
    find it where they meet the field."""

    decided: Denial | Conditional


@dataclass(frozen=True, slots=True)
class FieldGuard:
    """What the protect phase does with one field of one runtime type, in this order: a
    relation that must hold for the object (else ``FORBIDDEN``), a denial in every case, an
    encrypted value's form per object."""

    conditional: Conditional | None = None
    denial: Denial | None = None
    encrypted: FieldDecision | None = None


@dataclass(frozen=True, eq=False)
class OperationDecision:
    """The authorization of one operation for one caller (see the module docstring).

    ``selections``: what the planner sees; ``client``: the client's selections with every
    denied or conditional field a :class:`DecidedField`; ``encrypted``: encrypted fields'
    forms by coordinate; ``literal``: the first argument given a plaintext literal (the
    operation is refused). ``signature`` tells this decision from another for the same
    operation (a plan cache key).
    """

    selections: tuple[Selection, ...]
    client: tuple[Selection, ...]
    denials: tuple[Denial, ...] = ()
    conditionals: tuple[Conditional, ...] = ()
    encrypted: Mapping[str, FieldDecision | Denial] = field(default_factory=dict)
    encrypted_signature: tuple[Any, ...] = ()
    literal: str | None = None
    signature: tuple[Any, ...] = field(init=False)
    guarded: bool = field(init=False)  # whether anything is left to the protect phase

    def __post_init__(self) -> None:
        access = frozenset(
            [(d.coordinate, d.action) for d in self.denials]
            + [("?", c.coordinate, c.action) for c in self.conditionals]
        )
        object.__setattr__(self, "signature", (access, self.encrypted_signature))
        guarded = bool(self.encrypted or self.denials or self.conditionals)
        object.__setattr__(self, "guarded", guarded)

    def guard(
        self, type_name: str, name: str, fields: Sequence[FieldSelection]
    ) -> FieldGuard | None:
        """What protects ``name`` on objects of ``type_name``, selected as ``fields`` (the
        fields merged under one response key); None when it is simply allowed."""
        conditional = None
        for selected in fields:
            if isinstance(selected, DecidedField):
                if isinstance(selected.decided, Denial):
                    return FieldGuard(denial=selected.decided)
                if conditional is None:
                    conditional = selected.decided
        protected = self.encrypted.get(f"{type_name}.{name}") if self.encrypted else None
        if protected is None and conditional is None:
            return None
        if isinstance(protected, Denial):
            return FieldGuard(conditional, denial=protected)
        return FieldGuard(conditional, encrypted=protected)
