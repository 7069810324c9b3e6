"""Coded errors: each has a stable ``extensions.code``, an HTTP status and a client-safe message.

The tree::

    TandemError                 base: code, status, message safe to show a client
      SupergraphError           the supergraph cannot be read (start-up; names a line)
      RequestError              not an acceptable GraphQL-over-HTTP request (400/405/413/415)
      OperationError            the document does not parse or validate, or variables are invalid
    FieldError                  not for the request: one field is null with this error at its
                                path (FORBIDDEN, DECRYPTION_FAILED)
"""

from __future__ import annotations

from typing import Any

__all__ = ["FieldError", "OperationError", "RequestError", "SupergraphError", "TandemError"]


class TandemError(Exception):
    """An error with a stable code and a message that is safe to return to a client."""

    code = "INTERNAL_SERVER_ERROR"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extensions = extensions or {}

    def to_graphql(self) -> dict[str, Any]:
        """The error as a GraphQL response error object (spec section 7.1.2)."""
        extensions = {k: v for k, v in self.extensions.items() if k != "locations" and v}
        error: dict[str, Any] = {"message": self.message}
        if self.extensions.get("locations"):
            error["locations"] = self.extensions["locations"]
        error["extensions"] = {**extensions, "code": self.code}
        return error


class SupergraphError(TandemError):
    """The supergraph SDL is malformed or uses something this gateway does not support."""

    code = "INVALID_SUPERGRAPH"


class RequestError(TandemError):
    """The HTTP request is not an acceptable GraphQL-over-HTTP request."""

    code = "BAD_REQUEST"
    status = 400


class OperationError(TandemError):
    """The GraphQL document or its variables are invalid for the API schema."""

    code = "GRAPHQL_VALIDATION_FAILED"
    status = 400


class FieldError(Exception):
    """A field gives null and this error at its path (the protect phase: a denial decided per
    object, a value that did not decrypt); the message names a coordinate, never a value."""

    def __init__(self, message: str, code: str, extensions: dict[str, Any]) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extensions = extensions
