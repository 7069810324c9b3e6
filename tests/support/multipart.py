"""Read a ``multipart/mixed;boundary="graphql"`` answer part by part as it streams in.

A part is whole once the boundary after it has arrived (the gateway sends it right after each
part, as Apollo Router does); each JSON part is given as it completes, ``"end"`` for the
closing boundary. Incremental delivery (``@defer``) and multipart subscriptions frame parts so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["BOUNDARY", "parts_of"]

BOUNDARY = "\r\n--graphql"


def parts_of(response: httpx.Response) -> Iterator[Any]:
    """The parts of a streamed ``response`` in order, each as soon as it is whole."""
    text = ""
    given = 0
    for chunk in response.iter_text():
        text += chunk
        segments = text.split(BOUNDARY)
        # segments[0] precedes the first boundary; the last is still arriving
        for segment in segments[1 + given : -1]:
            given += 1
            yield _part(segment)
        if segments[-1].startswith("--") and len(segments) - 1 > given:
            yield "end"
            return


def _part(segment: str) -> Any:
    headers, _, body = segment.partition("\r\n\r\n")
    assert "content-type: application/json" in headers.lower(), headers
    return json.loads(body)
