"""GraphQL over WebSocket for clients: the ``graphql-transport-ws`` protocol (``protocol.py``).

A connection is identified once, at ``connection_init``, from the upgrade request's
credentials (a session cookie, ``Authorization``, development identity headers) with the
``connection_init`` payload's ``authorization`` (``"Bearer <token>"``) taking precedence: a
browser cannot set headers on a WebSocket upgrade, so that is where its bearer token goes.
Credentials that are refused close the connection with 4401 (reason: the error's code).

Browsers send cookies with a WebSocket upgrade from any site and no CORS applies to it, so an
upgrade that carries cookies must come from a page of the gateway's own origin or one of the
CORS allow-list (``cors_origins``): otherwise it is closed with 4403 ``CSRF_REJECTED`` before
anything reads the session. An upgrade without an ``Origin`` is no browser's and is not
subject to the rule.

Each ``subscribe`` runs as a task (:meth:`gateway.pipeline.Gateway.subscribe`): refused
before its first event, it gets an ``error`` message with the coded GraphQL errors; else
``next`` per result and ``complete`` at its end. A client's ``complete`` cancels it. Limits:
``SubscriptionLimits`` (an ``error`` message with ``SUBSCRIPTION_LIMIT``), the time a client
has to send ``connection_init`` (4408), a message's size (``max_message_bytes``, the request
body limit: 4400).

While the connection lasts its credentials are checked again every ``recheck`` seconds (a
session look-up, a token's validation; no rate limit charged): a logout, a back-channel
logout, an expired session or token or a revoked integrator closes the connection, and so
ends its subscriptions, with 4401 (or 4403) and the refusal's code as reason; an identity that
changed (new roles at a session refresh) closes it with 4401 ``IDENTITY_CHANGED``, for the
client to connect again under its new identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketDisconnect

from tandem_shared.tokens import Principal

from ..auth.browser_safety import CSRF_EXEMPT
from ..auth.identify import Caller
from ..errors import TandemError
from ..graphql_request import GraphQLRequest, graphql_request_of
from .endings import Endings
from .limits import SubscriptionLimits
from .protocol import (
    BAD_REQUEST,
    FORBIDDEN,
    INIT_TIMEOUT,
    PROTOCOL,
    SUBPROTOCOL_NOT_ACCEPTABLE,
    SUBSCRIBER_EXISTS,
    TOO_MANY_INITS,
    UNAUTHORIZED,
    Frame,
    ProtocolViolation,
    encode,
    parse,
)

if TYPE_CHECKING:
    from ..pipeline import Gateway

__all__ = ["WebSocketEndpoint", "caller_key"]

log = logging.getLogger("tandem.subscriptions")

Identify = Callable[[Request, int], Awaitable[Caller]]
"""The caller of a request, its integrator's rate limit charged that many operations."""
Resolve = Callable[[GraphQLRequest, Caller], Awaitable[str]]
"""The document a request runs (a persisted one resolved), for that caller."""
_PAYLOAD_HEADERS = ("authorization",)
_DEV_HEADER_PREFIX = "x-tandem-dev-"


def caller_key(principal: Principal | None, host: str | None) -> str:
    """Whom the per-caller limit counts: the subject, or an anonymous caller's address."""
    return f"sub:{principal.subject}" if principal is not None else f"anonymous:{host}"


class WebSocketEndpoint:
    """The ASGI WebSocket endpoint of one app (``create_app`` mounts it at the GraphQL path)."""

    def __init__(
        self,
        current: Callable[[], Gateway],
        identify: Identify,
        resolve: Resolve,
        limits: SubscriptionLimits,
        *,
        allowed_origins: Collection[str] = (),
        init_timeout: float = 10.0,
        recheck: float = 30.0,
        max_message_bytes: int = 1_000_000,
        endings: Endings | None = None,
    ) -> None:
        self.current = current
        self.identify = identify
        self.resolve = resolve
        self.limits = limits
        self.allowed_origins = frozenset(allowed_origins)
        self.init_timeout = init_timeout
        self.recheck = recheck
        self.max_message_bytes = max_message_bytes
        self.endings = endings if endings is not None else Endings()

    async def serve(self, websocket: WebSocket) -> None:
        """One connection, from the upgrade to its close."""
        if PROTOCOL not in websocket.scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(SUBPROTOCOL_NOT_ACCEPTABLE, "SUBPROTOCOL_NOT_ACCEPTABLE")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        await _Connection(self, websocket).run()

    def cross_site(self, websocket: WebSocket) -> bool:
        """Whether an upgrade with cookies comes from a page that may not use them."""
        origin = websocket.headers.get("origin")
        if origin is None or "cookie" not in websocket.headers:
            return False
        if origin in self.allowed_origins:
            return False
        return urlsplit(origin).netloc != websocket.headers.get("host")


class _Connection:
    """One client connection: its caller, its running subscriptions by id."""

    def __init__(self, endpoint: WebSocketEndpoint, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.websocket = websocket
        self.caller = Caller(None)
        self.running: dict[str, asyncio.Task[None]] = {}
        self.sending = asyncio.Lock()
        self.closed = False
        self.credentials: Mapping[str, Any] = {}

    async def run(self) -> None:
        watching: asyncio.Task[None] | None = None
        try:
            if await self._initialised():
                watching = asyncio.create_task(self._watch())
                await self._serve()
        except WebSocketDisconnect:
            pass
        except ProtocolViolation as violation:
            await self.close(BAD_REQUEST, violation.reason)
        finally:
            self.closed = True
            if watching is not None:
                watching.cancel()
            for task in list(self.running.values()):
                task.cancel()
            for task in list(self.running.values()):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _initialised(self) -> bool:
        """Wait for ``connection_init``, identify the caller, acknowledge."""
        try:
            async with asyncio.timeout(self.endpoint.init_timeout):
                message = await self._receive()
        except TimeoutError:
            await self.close(INIT_TIMEOUT, "Connection initialisation timeout")
            return False
        if message.type != "connection_init":
            await self.close(UNAUTHORIZED, "Unauthorized")
            return False
        if self.endpoint.cross_site(self.websocket):
            await self.close(FORBIDDEN, "CSRF_REJECTED")
            return False
        self.credentials = message.payload or {}
        try:
            self.caller = await self.endpoint.identify(self._request(self.credentials), 1)
        except TandemError as error:
            log.info("WebSocket connection refused: %s", error.code)
            await self.close(UNAUTHORIZED if error.status == 401 else FORBIDDEN, error.code)
            return False
        await self.send(encode("connection_ack"))
        return True

    async def _watch(self) -> None:
        """Check the connection's credentials again every ``recheck`` seconds, or at once
        when some replica announces that its subject's ended (``endings.py``); close it when
        they are refused or name someone else now. A refusal the periodic check finds (an
        expired session, a revoked integrator) is announced to the other replicas."""
        principal = self.caller.principal
        subject = principal.subject if principal is not None else None
        async with self.endpoint.endings.watch(subject) as due:
            while not self.closed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.endpoint.recheck):
                        await due.wait()
                announced = due.is_set()
                due.clear()
                try:
                    caller = await self.endpoint.identify(self._request(self.credentials), 0)
                except TandemError as error:
                    log.info("WebSocket connection ended: %s", error.code)
                    code = UNAUTHORIZED if error.status == 401 else FORBIDDEN
                    await self.close(code, error.code)
                    if not announced and subject is not None:
                        await self.endpoint.endings.ended(subject)
                    return
                if caller.principal != principal:
                    await self.close(UNAUTHORIZED, "IDENTITY_CHANGED")
                    return

    def _request(self, payload: Mapping[str, Any]) -> Request:
        """The upgrade request as an HTTP request for the identifier, the payload's
        credentials in place of the upgrade's; the Origin rule already applied to cookies."""
        given = {
            key.lower(): value
            for key, value in payload.items()
            if isinstance(value, str)
            and (key.lower() in _PAYLOAD_HEADERS or key.lower().startswith(_DEV_HEADER_PREFIX))
        }
        headers = [
            (name, value)
            for name, value in self.websocket.scope["headers"]
            if name.decode("latin-1") not in given
        ]
        headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in given.items()]
        scope = {**self.websocket.scope, "type": "http", "method": "GET", "headers": headers}
        scope[CSRF_EXEMPT] = True  # cookies passed cross_site(): the upgrade's Origin rule
        return Request(scope)

    async def _serve(self) -> None:
        while True:
            message = await self._receive()
            if message.type == "ping":
                await self.send(encode("pong", payload=message.payload))
            elif message.type == "connection_init":
                await self.close(TOO_MANY_INITS, "Too many initialisation requests")
                return
            elif message.type == "subscribe":
                assert message.id is not None
                if message.id in self.running:
                    await self.close(
                        SUBSCRIBER_EXISTS, f"Subscriber for {message.id[:60]} already exists"
                    )
                    return
                self.running[message.id] = asyncio.create_task(self._subscription(message))
            elif message.type == "complete" and message.id in self.running:
                self.running.pop(message.id).cancel()

    async def _subscription(self, message: Frame) -> None:
        ident = message.id
        assert ident is not None
        principal = self.caller.principal
        client = self.websocket.client
        key = caller_key(principal, client.host if client is not None else None)
        try:
            with self.endpoint.limits.admit(key, len(self.running) - 1):
                asked = graphql_request_of(message.payload, persisted=True)
                query = await self.endpoint.resolve(asked, self.caller)
                results = await self.endpoint.current().subscribe(
                    query, asked.variables, asked.operation_name, principal=principal
                )
                try:
                    async for result in results:
                        await self.send(encode("next", ident, result))
                finally:
                    await results.aclose()
            await self.send(encode("complete", ident))
        except TandemError as error:
            await self.send(encode("error", ident, [error.to_graphql()]))
        finally:
            if self.running.get(ident) is asyncio.current_task():
                del self.running[ident]

    async def _receive(self) -> Frame:
        received = await self.websocket.receive()
        if received["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000))
        text = received.get("text")
        if text is None:
            raise ProtocolViolation("invalid message: binary frames are not messages")
        if len(text) > self.endpoint.max_message_bytes:  # as a request body's limit
            raise ProtocolViolation(f"message larger than {self.endpoint.max_message_bytes} bytes")
        return parse(text)

    async def send(self, text: str) -> None:
        if self.closed:
            return
        async with self.sending:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        async with self.sending:
            with contextlib.suppress(RuntimeError):
                await self.websocket.close(code, reason[:123])
