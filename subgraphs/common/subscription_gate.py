"""Subscriptions into a subgraph: a ``graphql-transport-ws`` WebSocket admitted only for the
gateway, with the same token checks as an HTTP request.

The gateway opens one WebSocket per upstream subscription (``gateway/subscriptions/
upstream.py``): its ``connection_init`` payload carries ``{"authorization": "Bearer <token>"}``,
a gateway identity token for this subgraph bound (claim ``bh``) to the exact bytes of the one
``subscribe`` payload that follows. :class:`SubscriptionGate` reads the client's frames before
the GraphQL layer does and

- on ``connection_init``: checks the token's signature, audience, expiry and that its ``jti``
  was not admitted before (the same :class:`~subgraphs.common.identity.ReplayCache` as HTTP),
  then puts the principal into the ASGI scope, where the app's ``on_ws_connect`` reads it;
- on ``subscribe``: checks the payload's bytes against ``bh`` and, with an
  :class:`~subgraphs.common.coarse_policy.OperationGuard`, the coarse policy; one subscribe
  per connection (the token is bound to one);
- closes the socket otherwise: 4401 without a valid token (or a frame before it), 4403 for a
  payload the token is not bound to, a second subscribe, or a refused coordinate.

Reasons go to the log, never the token. Other messages (``ping``, ``complete``) pass.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subgraphs.common.coarse_policy import OperationGuard
from tandem_shared.tokens import (
    InvalidToken,
    Principal,
    body_hash,
    check_body_hash,
    check_subgraph_token,
)

__all__ = ["CLOSE_FORBIDDEN", "CLOSE_UNAUTHORIZED", "SubscriptionGate"]

CLOSE_UNAUTHORIZED: Final = 4401
CLOSE_FORBIDDEN: Final = 4403
logger = logging.getLogger("tandem.subgraphs.identity")


class _Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SubscriptionGate:
    """Each WebSocket connection's checks (module docstring): ``replays`` is the HTTP guard's
    :class:`~subgraphs.common.identity.ReplayCache`; the principal goes to ``scope_key``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        audience: str,
        public_key: str,
        replays: Any,
        scope_key: str,
        guard: OperationGuard | None = None,
    ) -> None:
        self.app = app
        self.scope_key = scope_key
        self.audience = audience
        self.public_key = public_key
        self.replays = replays
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope)  # the principal is added to this connection's copy
        state: dict[str, Any] = {"bound": None, "principal": None, "subscribed": False}

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] != "websocket.receive":
                return message
            raw = message.get("text")
            if raw is None and message.get("bytes") is not None:
                raw = message["bytes"].decode("utf-8", "replace")
            try:
                self._check(scope, state, raw or "")
            except _Refused as refused:
                logger.info("refused subscription on %s: %s", scope.get("path"), refused.reason)
                await send({"type": "websocket.close", "code": refused.code, "reason": ""})
                return {"type": "websocket.disconnect", "code": refused.code}
            return message

        await self.app(scope, checked_receive, send)

    def _check(self, scope: Scope, state: dict[str, Any], raw: str) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return  # the protocol layer closes on a malformed frame
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "connection_init":
            principal, bound = self._admit(frame.get("payload"))
            state["principal"], state["bound"] = principal, bound
            scope[self.scope_key] = principal
        elif kind == "subscribe":
            if state["bound"] is None:
                raise _Refused(CLOSE_UNAUTHORIZED, "subscribe before an admitted connection_init")
            if state["subscribed"]:
                raise _Refused(CLOSE_FORBIDDEN, "a second subscribe on one token")
            state["subscribed"] = True
            payload = frame.get("payload")
            try:
                check_body_hash(state["bound"], body_hash(_payload_bytes(raw, frame)))
            except InvalidToken as error:
                raise _Refused(CLOSE_FORBIDDEN, error.reason) from None
            self._guard(state["principal"], payload)

    def _admit(self, payload: Any) -> tuple[Principal, str]:
        authorization = payload.get("authorization") if isinstance(payload, dict) else None
        if not isinstance(authorization, str):
            raise _Refused(CLOSE_UNAUTHORIZED, "no token")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Refused(CLOSE_UNAUTHORIZED, "not a bearer token")
        try:
            verified, bound = check_subgraph_token(token.strip(), self.public_key, self.audience)
        except InvalidToken as error:
            raise _Refused(CLOSE_UNAUTHORIZED, error.reason) from None
        if not self.replays.admit(verified.token_id, verified.expires):
            raise _Refused(CLOSE_UNAUTHORIZED, "token replayed")
        return verified.principal, bound

    def _guard(self, principal: Principal, payload: Any) -> None:
        if self.guard is None:
            return
        query = payload.get("query") if isinstance(payload, dict) else None
        refused = self.guard.refused(
            principal.subject, principal.roles, query if isinstance(query, str) else ""
        )
        if refused:
            raise _Refused(CLOSE_FORBIDDEN, f"the policy grants none of {', '.join(refused)}")


def _payload_bytes(raw: str, frame: dict[str, Any]) -> bytes:
    """The bytes of a ``subscribe`` frame's payload as the gateway signed them: the frame is
    ``{"type":"subscribe","id":ID,"payload":PAYLOAD}`` with PAYLOAD sent verbatim; any other
    layout is re-encoded (compact JSON, keys in their order), which then must match."""
    prefix = '{"type":"subscribe","id":' + json.dumps(frame.get("id")) + ',"payload":'
    if raw.startswith(prefix) and raw.endswith("}"):
        return raw[len(prefix) : -1].encode("utf-8")
    return orjson.dumps(frame.get("payload"))
