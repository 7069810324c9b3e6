"""The protect phase: one request's authorization decision applied to the values it fetched.

The shaper (``gateway/executor/shape.py``) meets each field the decision guards
(:meth:`~gateway.authz.decision.OperationDecision.guard`) on each object and asks
:meth:`Protect.value` for what the client gets there:

- a relation rule (``employee@self``): the value where the object relates to the caller (the
  attribute the plan fetched beside it says), else ``FORBIDDEN``;
- a denial: ``FORBIDDEN`` with the deciding rule (named with ``explain``);
- an encrypted field: the form the caller has on this object, opened by the request's
  :class:`~gateway.crypto.reader.FieldReader` (plaintext audited, or masked), or
  ``FORBIDDEN`` where they have none.

Refusals are :class:`~gateway.errors.FieldError`: the field is null with the error at its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tandem_shared.tokens import Principal

from ..crypto.reader import FieldReader
from ..errors import FieldError
from .decision import Conditional, Denial, FieldGuard
from .encrypted import DENIED, MASKED, Access, FieldDecision
from .protection import KEY_ALIAS
from .relations import holds

__all__ = ["Protect"]


class Protect:
    """Applies guards for one request's caller; ``reader`` opens encrypted values (None: the
    gateway has no keys, so none opens)."""

    def __init__(
        self,
        principal: Principal | None,
        reader: FieldReader | None,
        *,
        explain_denials: bool = False,
        explain_reveals: bool = False,
    ) -> None:
        self.principal = principal
        self.reader = reader
        self.explain_denials = explain_denials
        self.explain_reveals = explain_reveals

    def value(self, guard: FieldGuard, obj: Mapping[str, Any], raw: Any) -> tuple[Any, bool]:
        """What the client gets of the field whose subgraph value is ``raw`` on ``obj``, and
        whether it was decrypted (an object-typed plaintext is keyed by field names)."""
        conditional = guard.conditional
        if conditional is not None and not any(
            holds(relation, path, obj, self.principal) for relation, path, _ in conditional.grants
        ):
            raise self._denied(conditional)
        if guard.denial is not None:
            raise self._denied(guard.denial)
        decision = guard.encrypted
        if decision is None:
            return raw, False
        if raw is None:
            return None, True
        if self.reader is None:
            coordinate = decision.field.coordinate
            raise FieldError(
                f"Cannot decrypt {coordinate}.", "DECRYPTION_FAILED", {"coordinate": coordinate}
            )
        access = decision.access(self.principal, obj)
        if access.kind == DENIED:
            raise self._forbidden(decision, access)
        revealed = self.reader.reveal(
            decision.field,
            obj.get(KEY_ALIAS),
            raw,
            masked=access.kind == MASKED,
            rule=access.rule,
        )
        return revealed, True

    async def flush(self) -> None:
        """Write the audit records of the plaintexts given (before the response leaves)."""
        if self.reader is not None:
            await self.reader.flush()

    def _denied(self, denial: Denial | Conditional) -> FieldError:
        extensions: dict[str, Any] = {"coordinate": denial.coordinate}
        if self.explain_denials:
            extensions["rule"] = denial.rule
        return FieldError(
            f"Not allowed to {denial.action} {denial.coordinate}.", "FORBIDDEN", extensions
        )

    def _forbidden(self, decision: FieldDecision, access: Access) -> FieldError:
        coordinate = decision.field.coordinate
        extensions: dict[str, Any] = {"coordinate": coordinate}
        if self.explain_reveals:
            extensions["rule"] = access.rule
        return FieldError(f"Not allowed to {access.action} {coordinate}.", "FORBIDDEN", extensions)
