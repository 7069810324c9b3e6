"""The gateway as a ``graphql-transport-ws`` client of the subgraph that owns a subscription
root field.

One WebSocket per upstream subscription: its ``connection_init`` payload carries the gateway's
identity token for the caller (``{"authorization": "Bearer ..."}``), bound, like a token of an
HTTP fetch, to the exact bytes of what it asks for: the ``subscribe`` payload, encoded as the
body of an HTTP fetch would be (:func:`gateway.executor.transport.encode_payload`), and that
payload is sent as those bytes. A subgraph therefore checks one token per subscription, the
same way it checks one per request.

A burst of new subscriptions (2,000 at once on the benchmark) would have the subgraph shake
hands with all of them at once, each waiting behind the others until its timeout ran out:
at most ``OPENING_AT_ONCE`` open at a time per subgraph (:class:`Openings`), the others wait
in the gateway, and the timeout counts from a subscription's turn, so it measures the
subgraph, not the queue. Opening is tried again (``OPEN_ATTEMPTS``, after a short random
pause, with a fresh token) when the subgraph cannot be reached or does not acknowledge in
time: nothing was asked of it yet, so nothing is lost or doubled. A refusal (an HTTP answer
instead of the upgrade) is not tried again.

Failures are :class:`SubgraphError`: the connection refused or lost (``SUBGRAPH_UNAVAILABLE``),
the subgraph's ``error`` message (``SUBGRAPH_SUBSCRIPTION_FAILED``) or a close before
``complete`` (``SUBGRAPH_SUBSCRIPTION_CLOSED``).
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ..executor.transport import SubgraphError, encode_payload
from .protocol import PROTOCOL, ProtocolViolation, encode, parse

__all__ = ["Authorize", "subscribe_upstream", "websocket_url"]

Authorize = Callable[[bytes], str | None]
"""The ``Authorization`` value for a subscribe payload's bytes (None: the caller is anonymous)."""
_ID = "1"
OPEN_TIMEOUT = 10.0
"""Seconds to open the WebSocket and be acknowledged."""
OPEN_ATTEMPTS = 3
"""Tries at opening it (module docstring)."""
OPEN_BACKOFF = 0.5
"""Seconds: the first new try waits up to this long, each next one up to twice as long."""
OPENING_AT_ONCE = 32
"""Upstream subscriptions a gateway opens to one subgraph at a time (module docstring)."""


class Openings:
    """The turns of the upstream subscriptions being opened, one queue per subgraph."""

    def __init__(self, at_once: int = OPENING_AT_ONCE) -> None:
        self.at_once = at_once
        self._turns: dict[str, asyncio.Semaphore] = {}

    def of(self, service_name: str) -> asyncio.Semaphore:
        turns = self._turns.get(service_name)
        if turns is None:
            turns = self._turns[service_name] = asyncio.Semaphore(self.at_once)
        return turns


def websocket_url(url: str) -> str:
    """A subgraph's WebSocket URL: its HTTP URL with ``ws``/``wss`` for ``http``/``https``."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


async def subscribe_upstream(
    service_name: str,
    url: str,
    query: str,
    variables: Mapping[str, Any] | None,
    authorize: Authorize,
    *,
    ssl_context: ssl.SSLContext | None = None,
    turns: asyncio.Semaphore | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """The events (GraphQL results) of one subscription to subgraph ``service_name``, opened
    in one of ``turns`` (:class:`Openings`; None: at once)."""
    body = encode_payload(query, variables)
    try:
        if turns is None:
            socket = await _opened(service_name, websocket_url(url), body, authorize, ssl_context)
        else:
            async with turns:
                socket = await _opened(
                    service_name, websocket_url(url), body, authorize, ssl_context
                )
        try:
            # the payload as the very bytes the token is bound to
            await socket.send(b'{"type":"subscribe","id":"1","payload":' + body + b"}", text=True)
            async for event in _events(service_name, socket):
                yield event
        finally:
            await socket.close()
    except (OSError, InvalidHandshake, TimeoutError) as error:
        raise SubgraphError(
            service_name,
            f"subgraph {service_name} refused the subscription: {type(error).__name__}",
        ) from None
    except ConnectionClosed as closed:
        reason = closed.rcvd.reason if closed.rcvd is not None else ""
        raise SubgraphError(
            service_name,
            f"subgraph {service_name} closed the subscription ({reason or 'no reason'})",
            "SUBGRAPH_SUBSCRIPTION_CLOSED",
        ) from None


async def _opened(
    service_name: str,
    target: str,
    body: bytes,
    authorize: Authorize,
    ssl_context: ssl.SSLContext | None,
) -> ClientConnection:
    """A WebSocket to ``target``, acknowledged for a caller whose token is bound to ``body``
    (tried again as the module docstring says)."""
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return await _open(service_name, target, body, authorize, ssl_context)
        except (OSError, TimeoutError):
            if attempt == OPEN_ATTEMPTS - 1:
                raise
        await asyncio.sleep(random.uniform(0, OPEN_BACKOFF * 2**attempt))
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _open(
    service_name: str,
    target: str,
    body: bytes,
    authorize: Authorize,
    ssl_context: ssl.SSLContext | None,
) -> ClientConnection:
    authorization = authorize(body)  # a token of its own for each try
    init = {"authorization": authorization} if authorization is not None else None
    async with asyncio.timeout(OPEN_TIMEOUT):
        socket = await connect(
            target,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            open_timeout=None,  # the timeout above bounds the acknowledgement too
            ssl=ssl_context if target.startswith("wss://") else None,
            max_size=2**24,
            # no permessage-deflate: its zlib state costs about 300 KB per connection (2,000
            # upstream subscriptions held 1.3 GB) and CPU per event, for traffic that stays
            # on the internal network
            compression=None,
            proxy=None,  # straight to the subgraph, as its HTTP requests go (trust_env off)
        )
        try:
            await socket.send(encode("connection_init", payload=init))
            await _acknowledged(service_name, socket)
        except BaseException:
            await socket.close()
            raise
    return socket


async def _acknowledged(service_name: str, socket: ClientConnection) -> None:
    async for text in socket:
        message = _parsed(service_name, text)
        if message.type == "connection_ack":
            return
        if message.type == "ping":
            await socket.send(encode("pong"))
    raise _closed(service_name, "before acknowledging the connection")


async def _events(service_name: str, socket: ClientConnection) -> AsyncIterator[dict[str, Any]]:
    async for text in socket:
        message = _parsed(service_name, text)
        if message.type == "ping":
            await socket.send(encode("pong"))
        elif message.type == "next" and message.id == _ID:
            if not isinstance(message.payload, dict):
                raise SubgraphError(
                    service_name, f"subgraph {service_name} sent an event that is not a result",
                    "INVALID_SUBGRAPH_RESPONSE",
                )  # fmt: skip
            yield message.payload
        elif message.type == "error" and message.id == _ID:
            errors = message.payload if isinstance(message.payload, list) else []
            first = errors[0].get("message") if errors and isinstance(errors[0], dict) else None
            raise SubgraphError(
                service_name,
                f"subgraph {service_name} refused the subscription: {first or 'no message'}",
                "SUBGRAPH_SUBSCRIPTION_FAILED",
            )
        elif message.type == "complete" and message.id == _ID:
            return
    raise _closed(service_name, "before completing it")


def _closed(service_name: str, when: str) -> SubgraphError:
    return SubgraphError(
        service_name,
        f"subgraph {service_name} closed the subscription {when}",
        "SUBGRAPH_SUBSCRIPTION_CLOSED",
    )


def _parsed(service_name: str, text: str | bytes) -> Any:
    try:
        return parse(text)
    except ProtocolViolation as violation:
        raise SubgraphError(
            service_name,
            f"subgraph {service_name}: {violation.reason}",
            "INVALID_SUBGRAPH_RESPONSE",
        ) from None
