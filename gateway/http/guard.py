"""The HTTP app's outermost layer: a request id on every answer, and a coded answer for what
nothing inside answered.

- Every response carries ``x-request-id``: the client's own when it sent a short safe token
  (``[A-Za-z0-9._-]``, at most 64 characters; anything else is ignored, so a log line never
  holds what a client chose to inject), else one made here (a random per-process prefix and a
  counter: cheaper than a UUID on every request, unique enough to find a log line).
- An exception nothing else handled is answered ``500`` with a coded GraphQL error body
  (``INTERNAL_SERVER_ERROR`` and the request id, never the exception's text or stack, which
  may hold anything) and logged once, with its stack and the same request id. Without this
  layer Starlette answers a plain-text ``Internal Server Error`` and uvicorn logs the stack
  without anything to tie it to the client's complaint.
- A client that hangs up before its request was read (Starlette's ``ClientDisconnect``) is
  nobody's error: one debug line, no traceback, no answer (there is no one to answer).
- Starlette's own refusals (no such path, a method a route does not take) get coded bodies
  too: ``NOT_FOUND``, ``METHOD_NOT_ALLOWED`` (see :func:`http_exception`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "REQUEST_ID_HEADER",
    "REQUEST_ID_KEY",
    "RequestGuard",
    "http_exception",
    "request_id_for",
    "request_id_of",
]

log = logging.getLogger("tandem.http")

REQUEST_ID_KEY = "tandem.request_id"
"""Where the request id lives in the ASGI scope."""

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def request_id_of(request: Request) -> str | None:
    """The id :class:`RequestGuard` gave ``request`` (``None`` outside it)."""
    value = request.scope.get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


@functools.cache
def _process_ids() -> tuple[str, Iterator[int]]:
    """This process's id prefix and counter, made on first use (uvicorn's worker processes
    each make their own, so two workers never hand out the same id)."""
    return secrets.token_hex(6), itertools.count(1)


def request_id_for(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The client's ``x-request-id`` when it is a short safe token, else a new id."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _SAFE_ID.fullmatch(value):
                return value.decode("ascii")
            break
    prefix, counter = _process_ids()
    return f"{prefix}-{next(counter):x}"


def _error_body(message: str, code: str, **extensions: Any) -> bytes:
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    )


def _with_header(send: Send, request_id: str) -> Send:
    """``send`` adding the ``x-request-id`` header to the response's start."""
    header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), header]
        await send(message)

    return send_with_id


class RequestGuard:
    """ASGI middleware: request ids, and coded answers for unhandled exceptions (see above).

    Under :class:`~gateway.http.server.BoundedHttpProtocol` (``tandem serve``, ``tandem
    dev``) the protocol has already chosen the id, put it in the scope and added the header
    to the response: the guard then costs a dict lookup and a ``try``. Elsewhere (tests
    through ``httpx.ASGITransport``, another server) it does both itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = scope.get(REQUEST_ID_KEY)
        if request_id is None:
            request_id = scope[REQUEST_ID_KEY] = request_id_for(scope["headers"])
            send = _with_header(send, request_id)
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            log.debug("request %s: the client went away before sending all of it", request_id)
        except Exception:
            log.exception("request %s failed: unexpected error", request_id)
            await _answer_500(send, request_id)


async def _answer_500(send: Send, request_id: str) -> None:
    """The coded 500, unless the response has started (the server refuses a second start;
    uvicorn then closes the connection, the only signal left)."""
    body = _error_body("internal server error", "INTERNAL_SERVER_ERROR", requestId=request_id)
    start: Message = {
        "type": "http.response.start",
        "status": 500,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
        ],
    }
    try:
        await send(start)
    except RuntimeError:  # "Expected ASGI message 'http.response.body'": too late
        return
    await send({"type": "http.response.body", "body": body})


async def http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's refusals (unknown path, method not allowed) as coded GraphQL errors."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    code = _CODES.get(status) or ("BAD_REQUEST" if status < 500 else "INTERNAL_SERVER_ERROR")
    return Response(
        _error_body(exc.detail, code),
        status_code=exc.status_code,
        media_type="application/json",
        headers=exc.headers,
    )
