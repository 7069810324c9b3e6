"""One authorization decision per operation and caller, as one immutable value.

The authorize phase turns (principal, normalized operation, policy version) into an
:class:`OperationDecision`. Every phase after it reads that value and nothing else about policy:

- *plan*: :attr:`OperationDecision.selections`, the selections the caller may have fetched
  (denied fields removed; the attributes relation rules read and the entity keys encrypted
  fields are bound to added);
- *mutations*: ``side_effects.refuse_hidden_mutation`` walks :attr:`OperationDecision.client`;
- *protect*: :meth:`OperationDecision.guard` says, per field of a runtime type, what happens to
  its value after execution (``protect.py`` applies it per object): denied (``FORBIDDEN`` with
  the deciding rule), conditional on a relation (the attribute fetched beside it decides),
  plaintext or masked (encrypted fields), or nothing (allowed, the common case: None).

What is decided travels on the selections themselves (``DecidedField`` for denials and
relation rules) and by schema coordinate (encrypted fields, whose form is the caller's for the
coordinate wherever it is selected), never in maps keyed by object identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..operation import FieldSelection, NormalizedOperation, Selection
from .encrypted import FieldDecision
from .field_access import AccessDecision, Conditional, DecidedField, Denial
from .protection import Protection

__all__ = ["FieldGuard", "OperationDecision"]


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
    """The authorization of one operation for one caller (see the module docstring)."""

    selections: tuple[Selection, ...]
    client: tuple[Selection, ...]
    encrypted: Mapping[str, FieldDecision | Denial] = field(default_factory=dict)
    signature: tuple[Any, ...] = ()
    access: AccessDecision | None = None

    @classmethod
    def of(
        cls,
        operation: NormalizedOperation,
        access: AccessDecision | None,
        protection: Protection | None,
    ) -> OperationDecision:
        """The value from its two parts: field access and encrypted fields' forms."""
        client = operation.selections
        selections = operation.selections
        if access is not None:
            selections = access.selections
            if access.client is not None:
                client = access.client
        if protection is not None:
            selections = protection.selections
        return cls(
            selections,
            client,
            protection.fields if protection is not None else {},
            (
                access.signature if access is not None else None,
                protection.signature if protection is not None else None,
            ),
            access,
        )

    @property
    def guarded(self) -> bool:
        """Whether anything is left to the protect phase (else it is skipped)."""
        return bool(self.encrypted) or (
            self.access is not None and bool(self.access.denials or self.access.conditionals)
        )

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
