"""GraphQL over Server-Sent Events, the ``graphql-sse`` protocol's distinct-connections mode
(``PROTOCOL.md`` in enisdenjo/graphql-sse): one HTTP request per operation, ``POST`` with a
JSON body (or ``GET`` with query parameters) and ``Accept: text/event-stream``, answered by a
``text/event-stream`` of ``next`` events (one GraphQL result each) and a last ``complete``.

The request is identified like any GraphQL request (session cookie with the CSRF rule, bearer
token, integrator credentials); a refusal before the first event (credentials, a document that
does not validate, a denied operation, ``SUBSCRIPTION_LIMIT``) is answered as a GraphQL
request is, with its status and coded errors, so no stream is opened for it. A comment line
every ``keep_alive`` seconds keeps proxies from closing a quiet stream; a client that goes
away cancels its subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..auth.identify import Caller
from ..errors import RequestError, TandemError
from ..graphql_request import graphql_request_of, read_graphql_body
from .limits import SubscriptionLimits
from .websocket import Identify, Resolve, caller_key

if TYPE_CHECKING:
    from ..pipeline import Gateway

__all__ = ["EVENT_STREAM", "SSEEndpoint", "wants_event_stream"]

EVENT_STREAM = "text/event-stream"
Refuse = Callable[[Request, TandemError], Response]


def wants_event_stream(request: Request) -> bool:
    """Whether the client asks for an event stream (``Accept: text/event-stream``)."""
    return EVENT_STREAM in request.headers.get("accept", "")


class SSEEndpoint:
    """Answers a GraphQL request with an event stream."""

    def __init__(
        self,
        current: Callable[[], Gateway],
        identify: Identify,
        resolve: Resolve,
        limits: SubscriptionLimits,
        refuse: Refuse,
        *,
        max_body_bytes: int,
        keep_alive: float = 12.0,
    ) -> None:
        self.current = current
        self.identify = identify
        self.resolve = resolve
        self.limits = limits
        self.refuse = refuse
        self.max_body_bytes = max_body_bytes
        self.keep_alive = keep_alive

    async def __call__(self, request: Request) -> Response:
        admitted: contextlib.ExitStack | None = None
        try:
            body = await read_graphql_body(request, self.max_body_bytes)
            if not isinstance(body, dict):
                raise RequestError("an event stream answers one operation, not a batch")
            asked = graphql_request_of(body, persisted=True)
            caller: Caller = await self.identify(request)
            client = request.client
            admitted = contextlib.ExitStack()
            admitted.enter_context(
                self.limits.admit(
                    caller_key(caller.principal, client.host if client is not None else None)
                )
            )
            query = await self.resolve(asked, caller)
            results = await self.current().subscribe(
                query, asked.variables, asked.operation_name, principal=caller.principal
            )
        except TandemError as error:
            if admitted is not None:
                admitted.close()
            return self.refuse(request, error)
        return StreamingResponse(
            self._stream(results, admitted),
            media_type=EVENT_STREAM,
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _stream(
        self, results: AsyncGenerator[dict[str, Any], None], admitted: contextlib.ExitStack
    ) -> AsyncIterator[bytes]:
        with admitted:
            try:
                async for result in _kept_alive(results, self.keep_alive):
                    if result is None:
                        yield b":\n\n"
                    else:
                        yield b"event: next\ndata: " + orjson.dumps(result) + b"\n\n"
                yield b"event: complete\ndata: \n\n"
            finally:
                await results.aclose()


async def _kept_alive(
    results: AsyncGenerator[dict[str, Any], None], every: float
) -> AsyncIterator[dict[str, Any] | None]:
    """The results, with None whenever ``every`` seconds pass without one (a keep-alive)."""
    pending: asyncio.Task[dict[str, Any]] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(results))
            done, _ = await asyncio.wait((pending,), timeout=every)
            if not done:
                yield None
                continue
            try:
                result = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield result
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
