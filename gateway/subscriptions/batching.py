"""Entity fetches of subscription events that arrive together, sent as one request.

When several events of a subscription are waiting, they are completed at once (``run.py``),
each by its own run of the plan; those runs reach the same entity fetch in the same turn of
the event loop, and this send joins their ``_entities`` requests to one subgraph (same
operation, same variables but ``representations``) into one request with all their
representations, then hands each run its slice of the answer: its ``_entities`` and the
errors at its entities' paths (renumbered), errors without one to every run. The joined
request carries an identity token of its own, bound to its own body.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Hashable
from typing import Any

import orjson

from ..executor.execute import HeadersFor, Send
from ..executor.transport import SubgraphRequest, encode_payload

__all__ = ["EntityBatcher"]

_Waiting = list[tuple[SubgraphRequest, "asyncio.Future[dict[str, Any]]"]]


class EntityBatcher:
    """A send that joins the ``_entities`` requests issued in one turn of the event loop."""

    def __init__(self, send: Send, headers_for: HeadersFor | None) -> None:
        self._send = send
        self._headers_for = headers_for
        self._pending: dict[Hashable, _Waiting] = {}
        self.joined = 0  # requests saved (for tests and metrics)

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        variables = request.variables or {}
        if not isinstance(variables.get("representations"), list):
            return await self._send(request)
        others = {name: value for name, value in variables.items() if name != "representations"}
        key = (
            request.service_name,
            request.url,
            request.query,
            orjson.dumps(others, option=orjson.OPT_SORT_KEYS),
        )
        loop = asyncio.get_running_loop()
        waiting = self._pending.get(key)
        if waiting is None:
            waiting = self._pending[key] = []
            loop.call_soon(lambda: asyncio.ensure_future(self._flush(key)))
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        waiting.append((request, future))
        return await future

    async def _flush(self, key: Hashable) -> None:
        waiting = self._pending.pop(key)
        try:
            if len(waiting) == 1:
                answers = [await self._send(waiting[0][0])]
            else:
                answers = await self._joined([request for request, _ in waiting])
        except BaseException as error:  # every run waiting gets it, as its own send would
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        for (_, future), answer in zip(waiting, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    async def _joined(self, requests: list[SubgraphRequest]) -> list[dict[str, Any]]:
        first = requests[0]
        counts = [len((r.variables or {})["representations"]) for r in requests]
        variables = dict(first.variables or {})
        variables["representations"] = [
            representation
            for request in requests
            for representation in (request.variables or {})["representations"]
        ]
        body = encode_payload(first.query, variables)
        headers = dict(first.headers or {})
        if self._headers_for is not None:
            headers.update(self._headers_for(first.service_name, body) or {})
        answer = await self._send(
            dataclasses.replace(
                first, variables=variables, body=body, headers=headers, share_key=None
            )
        )
        self.joined += len(requests) - 1
        return _split(answer, counts)


def _split(answer: dict[str, Any], counts: list[int]) -> list[dict[str, Any]]:
    """Each request's part of the joined ``answer``."""
    data = answer.get("data")
    entities = data.get("_entities") if isinstance(data, dict) else None
    whole = isinstance(entities, list) and len(entities) == sum(counts)
    parts: list[dict[str, Any]] = []
    start = 0
    for count in counts:
        part: dict[str, Any] = {
            "data": {"_entities": entities[start : start + count]}  # type: ignore[index]
            if whole
            else data
        }
        errors = []
        for error in answer.get("errors") or ():
            path = error.get("path") if isinstance(error, dict) else None
            if (
                isinstance(path, list)
                and len(path) > 1
                and path[0] == "_entities"
                and isinstance(path[1], int)
            ):
                if start <= path[1] < start + count:
                    errors.append({**error, "path": ["_entities", path[1] - start, *path[2:]]})
            else:
                errors.append(error)
        if errors:
            part["errors"] = errors
        parts.append(part)
        start += count
    return parts
