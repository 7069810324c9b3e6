"""The shape-time half of encrypted fields: one request's plaintexts, masks and audit records.

The shaper (``gateway/executor/shape.py``) hands each encrypted value it meets to
:meth:`FieldReader.reveal` with the caller's :class:`FieldDecision` and the object it belongs
to (holding the entity key the plan fetched under ``KEY_ALIAS``, and the attributes relation
grants read). The decision for that object picks plaintext,
mask or ``FORBIDDEN``; a plaintext costs an audit record, kept until :meth:`flush` writes
them all, before the response leaves (a response with a plaintext whose record could not be
written is refused: :class:`AuditUnavailable`).

Errors are :class:`FieldError` (``FORBIDDEN``, ``DECRYPTION_FAILED``): the shaper puts them at
the field's path and nulls the field. Their messages name the coordinate, never a value; the
reason a value did not open goes to the log with the coordinate and entity id only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tandem_shared.tokens import Principal

from .audit import AuditLog, PlaintextRead
from .errors import AuditUnavailable, DecryptionFailed, FieldError
from .keyring import FieldKeyring
from .policy import DENIED, MASKED, Access, FieldDecision
from .protect import KEY_ALIAS

__all__ = ["FieldReader"]

log = logging.getLogger("tandem.crypto")


class FieldReader:
    """Reveals encrypted values for one request's caller."""

    def __init__(
        self,
        keyring: FieldKeyring | None,
        principal: Principal | None,
        audit: AuditLog | None,
        *,
        explain: bool = False,
    ) -> None:
        self.keyring = keyring
        self.principal = principal
        self.audit = audit
        self.explain = explain
        self.records: list[PlaintextRead] = []

    def reveal(self, decision: FieldDecision, obj: Mapping[str, Any], raw: Any) -> Any:
        """The client's value of an encrypted field: plaintext, mask; or :class:`FieldError`.

        ``raw`` is the subgraph's value: an envelope, or for an object-typed field an object
        whose string leaves all carry the envelope of the object's JSON (the object is
        returned, decoded)."""
        field = decision.field
        entity_id = obj.get(KEY_ALIAS)
        access = decision.access(self.principal, obj)
        if access.kind == DENIED:
            raise self._forbidden(decision, access)
        if field.object_typed:
            return self._object(decision, access, entity_id, raw)
        if not isinstance(raw, str):
            raise self._failed(decision, entity_id, "not a string")
        plaintext, kid = self._open(decision, entity_id, raw)
        if access.kind == MASKED:
            masker = field.masker
            assert masker is not None  # decide_field gives MASKED only to fields with a mask
            return masker(plaintext)
        self._record(decision, access, entity_id, kid)
        return plaintext

    def _object(self, decision: FieldDecision, access: Access, entity_id: Any, raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise self._failed(decision, entity_id, "not an object")
        leaves = {value for key, value in raw.items() if key != "__typename"}
        if not leaves:
            return raw  # only __typename asked: nothing to decrypt or reveal
        if len(leaves) != 1 or not isinstance(next(iter(leaves)), str):
            raise self._failed(decision, entity_id, "the leaves carry different envelopes")
        plaintext, kid = self._open(decision, entity_id, next(iter(leaves)))
        try:
            value = json.loads(plaintext)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise self._failed(decision, entity_id, "the plaintext is not a JSON object")
        if access.kind == MASKED:
            masker = decision.field.masker
            assert masker is not None  # decide_field gives MASKED only to fields with a mask
            value = _masked(value, masker)
        else:
            self._record(decision, access, entity_id, kid)
        if "__typename" in raw:
            value["__typename"] = raw["__typename"]
        return value

    def _open(self, decision: FieldDecision, entity_id: Any, envelope: str) -> tuple[str, str]:
        if entity_id is None:
            raise self._failed(decision, entity_id, "no entity key in the response")
        field = decision.field
        if self.keyring is None:
            raise self._failed(decision, entity_id, "the gateway has no keys")
        try:
            opened = self.keyring.open(envelope, field.type_name, str(entity_id), field.name)
        except DecryptionFailed as error:
            raise self._failed(decision, entity_id, error.reason) from None
        return opened.plaintext, opened.kid

    def _record(self, decision: FieldDecision, access: Access, entity_id: Any, kid: str) -> None:
        principal = self.principal
        self.records.append(
            PlaintextRead(
                at=datetime.now(UTC),
                subject=principal.subject if principal else "anonymous",
                client_id=principal.client_id if principal else None,
                coordinate=decision.field.coordinate,
                entity_id=str(entity_id),
                rule=access.rule,
                key_id=kid,
            )
        )

    def _forbidden(self, decision: FieldDecision, access: Access) -> FieldError:
        coordinate = decision.field.coordinate
        extensions: dict[str, Any] = {"coordinate": coordinate}
        if self.explain:
            extensions["rule"] = access.rule
        message = f"Not allowed to {access.action} {coordinate}."
        return FieldError(message, "FORBIDDEN", extensions)

    def _failed(self, decision: FieldDecision, entity_id: Any, reason: str) -> FieldError:
        coordinate = decision.field.coordinate
        log.warning("cannot decrypt %s of %s: %s", coordinate, entity_id, reason)
        return FieldError(
            f"Cannot decrypt {coordinate}.", "DECRYPTION_FAILED", {"coordinate": coordinate}
        )

    async def flush(self) -> None:
        """Write the audit records of this request's plaintexts (before it is answered)."""
        if not self.records:
            return
        records, self.records = self.records, []
        if self.audit is None:
            raise AuditUnavailable("Plaintext reads cannot be audited.")
        try:
            await self.audit.record(records)
        except AuditUnavailable:  # the audit database is away (logged once per outage)
            raise
        except Exception as error:  # any storage failure: refuse rather than answer unaudited
            log.error("cannot write %d audit records: %s", len(records), type(error).__name__)
            raise AuditUnavailable("Plaintext reads cannot be audited.") from None


def _masked(value: Any, masker: Callable[[str], str]) -> Any:
    """``value`` (decoded JSON) with every string leaf masked."""
    if isinstance(value, dict):
        return {k: _masked(v, masker) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, masker) for v in value]
    return masker(value) if isinstance(value, str) else value
