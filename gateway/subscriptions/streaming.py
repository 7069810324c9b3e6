"""GraphQL results streamed over one HTTP response, in the framing the client asks for:

- **Server-Sent Events**, the ``graphql-sse`` protocol's distinct-connections mode
  (``PROTOCOL.md`` in enisdenjo/graphql-sse): ``Accept: text/event-stream``, answered by
  ``next`` events (one GraphQL result each), a comment line as keep-alive every 12 seconds and
  a last ``complete``;
- **multipart HTTP** as Apollo clients subscribe (Apollo's "Multipart HTTP protocol for GraphQL
  subscriptions"): ``Accept: multipart/mixed;subscriptionSpec="1.0"``, answered by
  ``multipart/mixed;boundary="graphql";subscriptionSpec="1.0"``, each result a JSON part
  ``{"payload": result}``, ``{}`` as heartbeat every 5 seconds, then the closing boundary.

Either is one HTTP request per operation, ``POST`` with a JSON body (or ``GET`` with query
parameters). The request is identified like any GraphQL request (session cookie with the CSRF
rule, bearer token, integrator credentials); a refusal before the first event (credentials, a
document that does not validate, a denied operation, ``SUBSCRIPTION_LIMIT``) is answered as a
GraphQL request is, with its status and coded errors, so no stream is opened for it. A client
that goes away cancels its subscription. The credentials are checked again every ``recheck``
seconds (at the next event or keep-alive after that): refused (a logout, an expired session
or token, a revoked integrator), the stream ends with a last result carrying the refusal's
coded error. A caller whose credentials some replica announces ended (``endings.py``) is
checked at once (a keep-alive goes out with the check).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..auth.identify import Caller
from ..errors import RequestError, TandemError
from ..graphql_request import graphql_request_of, read_graphql_body
from .endings import Endings
from .limits import SubscriptionLimits
from .websocket import Identify, Resolve, caller_key

if TYPE_CHECKING:
    from ..pipeline import Gateway

__all__ = ["MULTIPART", "SSE", "Framing", "StreamingEndpoint", "framing_of"]

Refuse = Callable[[Request, TandemError], Response]


@dataclass(frozen=True, slots=True)
class Framing:
    """How results go into a response body."""

    media_type: str
    next: Callable[[dict[str, Any]], bytes]
    keep_alive: bytes
    keep_alive_seconds: float
    end: bytes


SSE = Framing(
    media_type="text/event-stream",
    next=lambda result: b"event: next\ndata: " + orjson.dumps(result) + b"\n\n",
    keep_alive=b":\n\n",
    keep_alive_seconds=12.0,
    end=b"event: complete\ndata: \n\n",
)
_PART = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
MULTIPART = Framing(
    media_type='multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
    next=lambda result: _PART + orjson.dumps({"payload": result}),
    keep_alive=_PART + b"{}",
    keep_alive_seconds=5.0,
    end=b"\r\n--graphql--\r\n",
)


def framing_of(request: Request) -> Framing | None:
    """The streamed framing the client's ``Accept`` asks for, if any."""
    accept = request.headers.get("accept", "")
    if "text/event-stream" in accept:
        return SSE
    if "multipart/mixed" in accept and "subscriptionspec" in accept.lower():
        return MULTIPART
    return None


class StreamingEndpoint:
    """Answers a GraphQL request with a stream of results."""

    def __init__(
        self,
        current: Callable[[], Gateway],
        identify: Identify,
        resolve: Resolve,
        limits: SubscriptionLimits,
        refuse: Refuse,
        *,
        max_body_bytes: int,
        recheck: float = 30.0,
        endings: Endings | None = None,
    ) -> None:
        self.current = current
        self.identify = identify
        self.resolve = resolve
        self.limits = limits
        self.refuse = refuse
        self.max_body_bytes = max_body_bytes
        self.recheck = recheck
        self.endings = endings if endings is not None else Endings()

    async def __call__(self, request: Request, framing: Framing) -> Response:
        admitted: contextlib.ExitStack | None = None
        try:
            body = await read_graphql_body(request, self.max_body_bytes)
            if not isinstance(body, dict):
                raise RequestError("a streamed response answers one operation, not a batch")
            asked = graphql_request_of(body, persisted=True)
            caller: Caller = await self.identify(request, 1)
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
        now = asyncio.get_running_loop().time()

        async def still_valid() -> None:
            """Raises when the caller's credentials are refused now, or name someone else."""
            if (await self.identify(request, 0)).principal != caller.principal:
                raise RequestError("the caller's identity changed", code="IDENTITY_CHANGED")

        subject = caller.principal.subject if caller.principal is not None else None

        async def announce() -> None:
            await self.endings.ended(subject)

        recheck = _Recheck(still_valid, self.recheck, now, announce=announce)
        watch = self.endings.watch(subject)
        return StreamingResponse(
            _stream(results, admitted, framing, recheck, watch),
            media_type=framing.media_type,
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )


@dataclass
class _Recheck:
    """The credentials' check, due every ``every`` seconds."""

    check: Callable[[], Awaitable[None]]
    every: float
    last: float
    announce: Callable[[], Awaitable[None]] | None = None
    due: asyncio.Event = field(default_factory=asyncio.Event)  # set: check now

    async def refusal(self) -> TandemError | None:
        """Why the caller may no longer receive results, when a check is due and fails (one
        the periodic check finds is announced to the other replicas)."""
        now = asyncio.get_running_loop().time()
        announced = self.due.is_set()
        if now - self.last < self.every and not announced:
            return None
        self.last = now
        self.due.clear()
        try:
            await self.check()
        except TandemError as error:
            if not announced and self.announce is not None:
                await self.announce()
            return error
        return None


async def _stream(
    results: AsyncGenerator[dict[str, Any], None],
    admitted: contextlib.ExitStack,
    framing: Framing,
    recheck: _Recheck,
    watch: contextlib.AbstractAsyncContextManager[asyncio.Event],
) -> AsyncIterator[bytes]:
    every = min(framing.keep_alive_seconds, recheck.every)
    with admitted:
        ticking: AsyncGenerator[dict[str, Any] | None, None] | None = None
        try:
            async with watch as due:
                recheck.due = due
                ticking = _kept_alive(results, every, due)
                async for result in ticking:
                    refused = await recheck.refusal()
                    if refused is not None:
                        yield framing.next({"errors": [refused.to_graphql()]})
                        break
                    if result is not None:
                        yield framing.next(result)
                    else:
                        yield framing.keep_alive
            yield framing.end
        finally:
            if ticking is not None:  # first: it may be waiting for the next result
                await ticking.aclose()
            await results.aclose()


async def _kept_alive(
    results: AsyncGenerator[dict[str, Any], None], every: float, due: asyncio.Event
) -> AsyncGenerator[dict[str, Any] | None, None]:
    """The results, with None whenever ``every`` seconds pass without one (a keep-alive) or
    ``due`` is set (a check wanted now)."""
    pending: asyncio.Future[dict[str, Any]] | None = None
    waking: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(results))
            if waking is None or waking.done():
                waking = asyncio.ensure_future(due.wait())
            done, _ = await asyncio.wait(
                (pending, waking), timeout=every, return_when="FIRST_COMPLETED"
            )
            if pending not in done:
                yield None
                continue
            try:
                result = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield result
    finally:
        if waking is not None:
            waking.cancel()
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
