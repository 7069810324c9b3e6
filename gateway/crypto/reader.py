"""Opening encrypted values for one request: plaintexts, masks and their audit records.

The protect phase (``gateway/authz/protect.py``) has decided, from the caller's authorization
decision, that this caller gets a field of this object in plaintext or masked; it hands the
envelope to :meth:`FieldReader.reveal` with the entity key it is bound to. A plaintext costs an
audit record, kept until :meth:`flush` writes them all, before the response leaves (a response
with a plaintext whose record could not be written is refused: :class:`AuditUnavailable`).

An envelope that does not open is a :class:`~gateway.errors.FieldError` (``DECRYPTION_FAILED``):
the field is null with it at its path. Its message names the coordinate, never a value; the
reason goes to the log with the coordinate and entity id only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tandem_shared.tokens import Principal

from ..encrypted_fields import EncryptedField
from ..errors import FieldError
from .audit import AuditLog, PlaintextRead
from .errors import AuditUnavailable, DecryptionFailed
from .keyring import FieldKeyring

__all__ = ["FieldReader"]

log = logging.getLogger("tandem.crypto")


class FieldReader:
    """Reveals encrypted values for one request's caller."""

    def __init__(
        self,
        keyring: FieldKeyring | None,
        principal: Principal | None,
        audit: AuditLog | None,
    ) -> None:
        self.keyring = keyring
        self.principal = principal
        self.audit = audit
        self.records: list[PlaintextRead] = []

    def reveal(
        self, field: EncryptedField, entity_id: Any, raw: Any, *, masked: bool, rule: str
    ) -> Any:
        """``raw`` opened for the caller: the plaintext (audited, ``rule`` granting it) or,
        with ``masked``, the field's mask of it; or :class:`FieldError`.

        ``raw`` is the subgraph's value: an envelope, or for an object-typed field an object
        whose string leaves all carry the envelope of the object's JSON (the object is
        returned, decoded)."""
        if field.object_typed:
            return self._object(field, entity_id, raw, masked, rule)
        if not isinstance(raw, str):
            raise self._failed(field, entity_id, "not a string")
        plaintext, kid = self._open(field, entity_id, raw)
        if masked:
            masker = field.masker
            assert masker is not None  # a masked form is granted only to fields with a mask
            return masker(plaintext)
        self._record(field, rule, entity_id, kid)
        return plaintext

    def _object(
        self, field: EncryptedField, entity_id: Any, raw: Any, masked: bool, rule: str
    ) -> Any:
        if not isinstance(raw, dict):
            raise self._failed(field, entity_id, "not an object")
        leaves = {value for key, value in raw.items() if key != "__typename"}
        if not leaves:
            return raw  # only __typename asked: nothing to decrypt or reveal
        if len(leaves) != 1 or not isinstance(next(iter(leaves)), str):
            raise self._failed(field, entity_id, "the leaves carry different envelopes")
        plaintext, kid = self._open(field, entity_id, next(iter(leaves)))
        try:
            value = json.loads(plaintext)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise self._failed(field, entity_id, "the plaintext is not a JSON object")
        if masked:
            masker = field.masker
            assert masker is not None  # a masked form is granted only to fields with a mask
            value = _masked(value, masker)
        else:
            self._record(field, rule, entity_id, kid)
        if "__typename" in raw:
            value["__typename"] = raw["__typename"]
        return value

    def _open(self, field: EncryptedField, entity_id: Any, envelope: str) -> tuple[str, str]:
        if entity_id is None:
            raise self._failed(field, entity_id, "no entity key in the response")
        if self.keyring is None:
            raise self._failed(field, entity_id, "the gateway has no keys")
        try:
            opened = self.keyring.open(envelope, field.type_name, str(entity_id), field.name)
        except DecryptionFailed as error:
            raise self._failed(field, entity_id, error.reason) from None
        return opened.plaintext, opened.kid

    def _record(self, field: EncryptedField, rule: str, entity_id: Any, kid: str) -> None:
        principal = self.principal
        self.records.append(
            PlaintextRead(
                at=datetime.now(UTC),
                subject=principal.subject if principal else "anonymous",
                client_id=principal.client_id if principal else None,
                coordinate=field.coordinate,
                entity_id=str(entity_id),
                rule=rule,
                key_id=kid,
            )
        )

    def _failed(self, field: EncryptedField, entity_id: Any, reason: str) -> FieldError:
        coordinate = field.coordinate
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
