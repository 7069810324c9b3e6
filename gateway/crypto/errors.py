"""The errors of encrypted fields, drawn as httpx draws its tree::

DecryptionFailed        an envelope did not open (internal: its reason is logged)
FieldError              an encrypted field is null with this error at its path:
                        FORBIDDEN (the caller may not see it) or DECRYPTION_FAILED
AuditUnavailable        ServiceUnavailable, 503: plaintexts read, their audit not written
"""

from __future__ import annotations

from typing import Any

from ..shared_state import ServiceUnavailable

__all__ = ["AuditUnavailable", "DecryptionFailed", "FieldError"]


class DecryptionFailed(Exception):
    """An envelope did not open; ``reason`` is for logs (it holds no value)."""

    code = "DECRYPTION_FAILED"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FieldError(Exception):
    """An encrypted field gives null and this error at its path."""

    def __init__(self, message: str, code: str, extensions: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extensions = extensions


class AuditUnavailable(ServiceUnavailable):
    """Plaintexts were read but their audit records could not be written: no response (a
    temporary state: ``Retry-After``, like any shared state that is away)."""

    code = "AUDIT_UNAVAILABLE"
    status = 503
