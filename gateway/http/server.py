"""Bounded reads for the HTTP server: how long a client may take to send a request, how large
its headers may be, and how many connections one worker serves.

uvicorn 0.54 with httptools bounds only the idle time between two requests of a keep-alive
connection (``timeout_keep_alive``). A fresh connection that sends nothing, or request headers
or a body one byte a second, is held open as long as the client likes (issue 11: 1,000 such
connections stayed open indefinitely); headers are buffered without a size limit
(``h11_max_incomplete_event_size`` applies to h11 only); ``limit_concurrency`` answers a
plain-text 503. :class:`BoundedHttpProtocol` is uvicorn's httptools protocol with, per
connection and with one timer per connection (not per request):

- **headers**: a connection's first request must have its request line and headers complete
  within ``header_timeout`` of the connection opening; a later request on a keep-alive
  connection, within ``header_timeout`` of its first byte (before that first byte, uvicorn's
  ``timeout_keep_alive`` applies). Headers larger than ``max_header_bytes`` are refused.
- **body**: the body must be complete within ``body_timeout`` of the end of the headers (the
  body's size is ``max_body_bytes``' business, in the app).
- **connections**: a request arriving while more than ``max_connections`` connections are open
  (in this worker) is answered 503 ``SERVICE_UNAVAILABLE`` (``Retry-After: 1``) and its
  connection closed. Connections past the limit are still accepted (that is the kernel's), so
  what bounds how long each holds a socket is the header deadline above.

It also gives each request its id (``guard.py``: the client's safe ``x-request-id`` or a new
one), in the scope for the app and in the response's headers, written with uvicorn's own
default headers: no wrapper around the app's ``send`` on the hot path.

A client that overstays gets ``408 REQUEST_TIMEOUT`` (``431 REQUEST_HEADERS_TOO_LARGE`` for
oversized headers) as a coded GraphQL error body when it has sent part of a request and no
response has started, and the connection is closed, lingering (see :meth:`_refuse`); an idle
connection that sent nothing is closed silently (browsers open connections ahead of need).
Unreadable requests get 400 ``BAD_REQUEST`` as coded JSON instead of uvicorn's plain text.

Not bounded here: the time the application takes once the request is read (the request
deadline bounds it), a client reading the response slowly (uvicorn's flow control pauses the
response until it reads), the rate of new connections (the listen backlog and the process's
file-descriptor limit are the operating system's), and a pipelined request's body while the
request before it is still answered (uvicorn stops reading meanwhile; its deadline starts when
that request ends).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from ..settings import Settings
from .guard import REQUEST_ID_HEADER, REQUEST_ID_KEY, request_id_for

__all__ = ["BoundedHttpProtocol", "CapacityLog", "ReadLimits", "server_options"]

log = logging.getLogger("tandem.http.server")

Phase = Literal["connection", "headers", "body"]

LINGER = 2.0
"""Seconds a refused connection still reads (and drops) what its client sends before closing."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What :class:`BoundedHttpProtocol` allows a client (see the module docstring)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = 65_536
    max_connections: int = 1000


def _error_response(status: int, code: str, message: str, *extra: bytes) -> bytes:
    """A complete HTTP/1.1 response with a coded GraphQL error body that closes the connection."""
    body = orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n",
            *extra,
            b"\r\n",
            body,
        ]
    )


_OVER_CAPACITY = orjson.dumps(
    {
        "errors": [
            {
                "message": "the server has too many open connections; retry shortly",
                "extensions": {"code": "SERVICE_UNAVAILABLE"},
            }
        ]
    }
)


async def _over_capacity(
    scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """The app a request gets while the worker has more than ``max_connections`` open."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _OVER_CAPACITY, "more_body": False})


class CapacityLog:
    """At most one warning per ``interval`` seconds while requests are refused for capacity,
    with how many were: a line per refusal would flood the log under exactly the load that
    causes them. One per worker (uvicorn gives each worker its own copy)."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.count = 0
        self.last = float("-inf")

    def refused(self, now: float, limit: int) -> None:
        self.count += 1
        if now - self.last >= self.interval:
            log.warning(
                "more than %d open connections: %d request(s) answered 503 since the last warning",
                limit,
                self.count,
            )
            self.count = 0
            self.last = now


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with read deadlines, a header size limit and a connection
    limit (see the module docstring); ``limits`` is bound with :func:`functools.partial`."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ReadLimits = ReadLimits(),
        capacity_log: CapacityLog | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self.capacity_log = capacity_log or CapacityLog()
        self._phase: Phase | None = None
        self._reading_since = 0.0
        self._header_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._lingering = False

    # -- the phases -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._phase = "connection"
        self._reading_since = self.loop.time()
        self._header_bytes = 0
        self._timer = self.loop.call_later(self.limits.header_timeout, self._check)

    def data_received(self, data: bytes) -> None:
        if self._lingering:  # refused: what the client still sends is dropped
            return
        phase = self._phase
        if phase is None:
            cycle = self.cycle
            if cycle is None or cycle.response_complete:  # the next request's first bytes
                self._phase = "headers"
                self._reading_since = self.loop.time()
                self._header_bytes = 0
        elif phase == "connection":
            self._phase = "headers"  # the deadline still counts from the connection's opening
        super().data_received(data)
        if self._phase == "headers":  # this chunk did not complete the headers: all header
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(
                    _error_response(
                        431,
                        "REQUEST_HEADERS_TOO_LARGE",
                        f"request headers larger than {self.limits.max_header_bytes} bytes",
                    ),
                    "headers over the size limit",
                )

    def on_headers_complete(self) -> None:
        previous = self.cycle
        pipelined = previous is not None and not previous.response_complete
        if pipelined:
            self._phase = None  # uvicorn stops reading until the request before it is answered
        else:
            self._phase = "body"
            self._reading_since = self.loop.time()
        over_capacity = len(self.connections) > self.limits.max_connections
        if over_capacity:
            app, self.app = self.app, _over_capacity
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            self.capacity_log.refused(self.loop.time(), self.limits.max_connections)
        else:
            super().on_headers_complete()
        cycle = self.cycle
        if cycle is not previous:  # a request (not an upgrade): its id, before its task runs
            request_id = request_id_for(self.headers)
            self.scope[REQUEST_ID_KEY] = request_id  # type: ignore[literal-required]
            cycle.default_headers = [
                *self.server_state.default_headers,
                (REQUEST_ID_HEADER, request_id.encode("ascii")),
            ]

    def on_message_complete(self) -> None:
        self._phase = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if (  # a pipelined request starts now: its body's deadline too
            self._phase is None
            and cycle is not None
            and cycle.more_body
            and not cycle.response_started
        ):
            self._phase = "body"
            self._reading_since = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._phase = None
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """An unreadable request: a coded body rather than uvicorn's plain text."""
        if not self.transport.is_closing():
            self._refuse(_error_response(400, "BAD_REQUEST", "invalid HTTP request"), msg)

    # -- the deadline -------------------------------------------------------------------------

    def _check(self) -> None:
        """The connection's one timer: close it if its read phase is over time, else re-arm."""
        self._timer = None
        if self._lingering or self.transport.is_closing():
            return
        phase = self._phase
        limits = self.limits
        if phase is None:  # nothing being read: look again later (keep-alive idling is uvicorn's)
            delay = min(limits.header_timeout, limits.body_timeout)
        else:
            limit = limits.body_timeout if phase == "body" else limits.header_timeout
            delay = self._reading_since + limit - self.loop.time()
            if delay <= 0:
                self._timed_out(phase, limit)
                return
        self._timer = self.loop.call_later(delay, self._check)

    def _timed_out(self, phase: Phase, limit: float) -> None:
        if phase == "connection":  # nothing sent at all: no request to answer
            log.debug("closing a connection from %s: no request within %gs", self.client, limit)
            self.transport.close()
            return
        what = "request body" if phase == "body" else "request headers"
        self._refuse(
            _error_response(408, "REQUEST_TIMEOUT", f"the {what} did not arrive within {limit:g}s"),
            f"{what} not complete within {limit:g}s",
            body=phase == "body",
        )

    def _refuse(self, response: bytes, reason: str, *, body: bool = False) -> None:
        """Answer ``response`` unless a response is being sent (or, for a request whose
        ``body`` is late, was sent: the app answered without waiting for it), and close the
        connection; the app, if it is still reading or answering, sees the client gone.

        The close lingers (as nginx's ``lingering_close``): the answer is followed by a FIN
        and what the client still sends is read and dropped for :data:`LINGER` seconds, since
        closing a socket with unread data sends a reset that can destroy the answer before the
        client reads it.
        """
        log.debug("closing a connection from %s: %s", self.client, reason)
        self._phase = None
        self._lingering = True
        cycle = self.cycle
        transport = self.transport
        if cycle is None or not cycle.response_started or (cycle.response_complete and not body):
            transport.write(response)
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # its own response, if any, is dropped
            cycle.message_event.set()
        if transport.can_write_eof():
            transport.write_eof()
            self.flow.resume_reading()
            self.loop.call_later(LINGER, transport.close)
        else:
            transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options for the bounded server ``settings`` describe (picklable: uvicorn hands
    them to its worker processes)."""
    limits = ReadLimits(
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        max_header_bytes=settings.http_max_header_bytes,
        max_connections=settings.http_max_connections,
    )
    return {
        "http": functools.partial(BoundedHttpProtocol, limits=limits, capacity_log=CapacityLog()),
        "timeout_keep_alive": settings.http_keep_alive_timeout,
        "limit_concurrency": None,  # the protocol limits connections, with a coded answer
    }
