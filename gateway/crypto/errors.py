"""The errors of encrypted fields, drawn as httpx draws its tree::

DecryptionFailed        an envelope did not open (internal: its reason is logged)
AuditUnavailable        ServiceUnavailable, 503: plaintexts read, their audit not written
"""

from __future__ import annotations

from ..shared_state import ServiceUnavailable

__all__ = ["AuditUnavailable", "DecryptionFailed"]


class DecryptionFailed(Exception):
    """An envelope did not open; ``reason`` is for logs (it holds no value)."""

    code = "DECRYPTION_FAILED"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuditUnavailable(ServiceUnavailable):
    """Plaintexts were read but their audit records could not be written: no response (a
    temporary state: ``Retry-After``, like any shared state that is away)."""

    code = "AUDIT_UNAVAILABLE"
    status = 503
