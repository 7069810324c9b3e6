"""Incremental delivery over multipart HTTP: the answer to a query with ``@defer``.

A client that reads incremental responses says so in ``Accept``:
``multipart/mixed;deferSpec=20220824`` (what Apollo Client sends, with ``application/json``
beside it). Its query, when the plan defers fragments, is answered with
``multipart/mixed;boundary="graphql";deferSpec=20220824``: each result (``executor/
incremental.py``) a JSON part between boundaries, the last boundary closing once a result says
``hasNext: false``. Any other answer (no fragment deferred, a refusal) is the ordinary JSON one,
and a client that does not accept multipart gets the deferred fragments in its one JSON answer,
as Apollo Router does.

The first result is computed before the response starts, so a failure before it (a refusal,
``DEMAND_LIMIT``...) is answered with its status like any request; a client that goes away
cancels the deferred fetches still running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import StreamingResponse

__all__ = ["DEFER_SPEC", "MEDIA_TYPE", "accepts_incremental", "incremental_response"]

DEFER_SPEC = "deferspec=20220824"
MEDIA_TYPE = 'multipart/mixed;boundary="graphql";deferSpec=20220824'
_HEAD = b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_BOUNDARY = b"\r\n--graphql"
"""Each part is followed at once by the next boundary (``--`` after the last), so a client
reads a part whole as soon as it arrives (as Apollo Router frames it)."""


def accepts_incremental(request: Request) -> bool:
    """Whether the client's ``Accept`` takes incremental delivery's multipart answers."""
    for media_range in request.headers.get("accept", "").lower().split(","):
        parameters = [p.strip() for p in media_range.split(";")]
        if parameters[0] == "multipart/mixed" and DEFER_SPEC in parameters[1:]:
            return True
    return False


def incremental_response(
    first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]
) -> StreamingResponse:
    """The multipart answer: ``first``, then ``rest`` until a result with ``hasNext: false``."""
    return StreamingResponse(
        _parts(first, rest),
        media_type=MEDIA_TYPE,
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _parts(
    first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[bytes]:
    try:
        yield _BOUNDARY + _HEAD + orjson.dumps(first) + _BOUNDARY
        async for result in rest:
            yield _HEAD + orjson.dumps(result) + _BOUNDARY
        yield b"--\r\n"
    finally:
        close = getattr(rest, "aclose", None)
        if close is not None:
            await close()  # the deferred fetches still running are cancelled
