"""The ``graphql-transport-ws`` protocol's messages and close codes (the protocol of the npm
``graphql-ws`` library, ``PROTOCOL.md`` in enisdenjo/graphql-ws), for both sides: clients of
the gateway and the gateway as a client of a subgraph.

Close codes are the protocol's own (4400 bad message, 4401 unauthorized, 4403 forbidden, 4406
subprotocol not acceptable, 4408 connection initialisation timeout, 4409 subscriber already
exists, 4429 too many initialisation requests, 4500 internal error); the close *reason* is
Tandem's error code (``UNAUTHENTICATED``, ``CSRF_REJECTED``, ...), so a client can tell why
without parsing prose (a close reason holds 123 bytes at most, RFC 6455 5.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import orjson

__all__ = [
    "BAD_REQUEST",
    "FORBIDDEN",
    "INIT_TIMEOUT",
    "INTERNAL_ERROR",
    "PROTOCOL",
    "SUBPROTOCOL_NOT_ACCEPTABLE",
    "SUBSCRIBER_EXISTS",
    "TOO_MANY_INITS",
    "UNAUTHORIZED",
    "Frame",
    "ProtocolViolation",
    "encode",
    "parse",
]

PROTOCOL: Final = "graphql-transport-ws"

BAD_REQUEST: Final = 4400
UNAUTHORIZED: Final = 4401
FORBIDDEN: Final = 4403
SUBPROTOCOL_NOT_ACCEPTABLE: Final = 4406
INIT_TIMEOUT: Final = 4408
SUBSCRIBER_EXISTS: Final = 4409
TOO_MANY_INITS: Final = 4429
INTERNAL_ERROR: Final = 4500

_TYPES: Final = frozenset(
    {"connection_init", "connection_ack", "ping", "pong", "subscribe", "next", "error",
     "complete"}
)  # fmt: skip
_WITH_ID: Final = frozenset({"subscribe", "next", "error", "complete"})


class ProtocolViolation(Exception):
    """A message the protocol does not allow: the connection closes with 4400 (a peer that
    breaks the protocol once cannot be trusted to follow it afterwards)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Frame:
    """One protocol message: its ``type``, ``id`` (operation messages) and ``payload``."""

    type: str
    id: str | None = None
    payload: Any = None


def parse(text: str | bytes) -> Frame:
    """The message of one WebSocket text frame; :class:`ProtocolViolation` when it is not one."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolViolation("invalid message: not JSON") from None
    if not isinstance(raw, dict) or raw.get("type") not in _TYPES:
        raise ProtocolViolation("invalid message: unknown type")
    kind = raw["type"]
    ident = raw.get("id")
    if kind in _WITH_ID and (not isinstance(ident, str) or not ident):
        raise ProtocolViolation(f"invalid message: {kind} needs an id")
    payload = raw.get("payload")
    if kind == "subscribe" and (
        not isinstance(payload, dict) or not isinstance(payload.get("query"), str)
    ):
        raise ProtocolViolation("invalid message: subscribe needs a payload with a query")
    if kind == "connection_init" and payload is not None and not isinstance(payload, dict):
        raise ProtocolViolation("invalid message: connection_init payload must be an object")
    return Frame(kind, ident if kind in _WITH_ID else None, payload)


def encode(kind: str, ident: str | None = None, payload: Any = None) -> str:
    """One message as the text of a WebSocket frame."""
    message: dict[str, Any] = {"type": kind}
    if ident is not None:
        message["id"] = ident
    if payload is not None:
        message["payload"] = payload
    return orjson.dumps(message).decode()
