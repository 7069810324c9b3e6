"""One caller's entity fetches of subscription events that arrive together, sent as one
signed request.

Each event is completed by its own run of the plan (``run.py``); runs that reach the same
entity fetch within ``window`` seconds (``JOIN_WINDOW``; 0: in the same turn of the event
loop), whichever of the caller's subscriptions they belong to, have their ``_entities``
requests to one subgraph (same operation, same variables but ``representations``) joined
into one request: each distinct representation once, the answer then handed to each run as
its own slice (its ``_entities``, copied where runs asked for the same entity, and the errors
at its entities' paths, renumbered; errors without one go to every run). The subgraph is
asked, and a token signed, once per window rather than once per event; under load a window
holds more events. The window is the trade: 5 ms more latency per event cut the gateway's CPU
per event by a sixth on the benchmark at moderate load (500 subscriptions, 20 per caller).

The requests come unsigned (the executor runs without ``headers_for``): the batcher signs
what it actually sends, one identity token per request, bound to its body and naming the
caller. Only requests of equal callers are joined, so a token never names anyone but the
caller of every event it answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import orjson

from tandem_shared.tokens import Principal

from ..executor.execute import HeadersFor, Send
from ..executor.transport import SubgraphRequest, encode_payload

__all__ = ["EntityBatcher"]

JOIN_WINDOW = 0.005
"""Seconds an entity fetch waits for others of its caller to join it (module docstring)."""
_Waiting = list[tuple[SubgraphRequest, "asyncio.Future[dict[str, Any]]"]]
HeadersOf = Callable[[Principal | None], HeadersFor | None]
"""The identity headers of a caller's requests (None: none to add)."""


class EntityBatcher:
    """Sends subscription events' subgraph requests for their callers, joining the
    ``_entities`` requests one caller issues within one window."""

    def __init__(self, send: Send, headers_of: HeadersOf, window: float = JOIN_WINDOW) -> None:
        self._send = send
        self._headers_of = headers_of
        self.window = window
        self._pending: dict[Hashable, _Waiting] = {}
        self.joined = 0  # requests saved (for tests and metrics)

    def sender(self, principal: Principal | None) -> Send:
        """What sends ``principal``'s requests (the executor's ``send``)."""

        async def send(request: SubgraphRequest) -> dict[str, Any]:
            return await self.send(request, principal)

        return send

    async def send(self, request: SubgraphRequest, principal: Principal | None) -> dict[str, Any]:
        variables = request.variables or {}
        if not isinstance(variables.get("representations"), list):
            return await self._signed(request, principal)
        others = {name: value for name, value in variables.items() if name != "representations"}
        key = (
            principal,
            request.service_name,
            request.url,
            request.query,
            orjson.dumps(others, option=orjson.OPT_SORT_KEYS),
        )
        loop = asyncio.get_running_loop()
        waiting = self._pending.get(key)
        if waiting is None:
            waiting = self._pending[key] = []
            loop.call_later(self.window, lambda: asyncio.ensure_future(self._flush(key, principal)))
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        waiting.append((request, future))
        return await future

    async def _signed(
        self, request: SubgraphRequest, principal: Principal | None
    ) -> dict[str, Any]:
        """``request`` sent with its caller's identity headers for its body."""
        headers_for = self._headers_of(principal)
        extra = headers_for(request.service_name, request.body or b"") if headers_for else None
        if extra:
            request = dataclasses.replace(request, headers={**(request.headers or {}), **extra})
        return await self._send(request)

    async def _flush(self, key: Hashable, principal: Principal | None) -> None:
        waiting = self._pending.pop(key)
        try:
            if len(waiting) == 1:
                answers = [await self._signed(waiting[0][0], principal)]
            else:
                answers = await self._joined([request for request, _ in waiting], principal)
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

    async def _joined(
        self, requests: list[SubgraphRequest], principal: Principal | None
    ) -> list[dict[str, Any]]:
        first = requests[0]
        distinct: dict[bytes, int] = {}
        representations: list[Any] = []
        positions: list[list[int]] = []  # per request: the index of each of its entities
        for request in requests:
            indexes = []
            for representation in (request.variables or {})["representations"]:
                encoded = orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
                index = distinct.get(encoded)
                if index is None:
                    index = distinct[encoded] = len(representations)
                    representations.append(representation)
                indexes.append(index)
            positions.append(indexes)
        variables = dict(first.variables or {})
        variables["representations"] = representations
        joined = dataclasses.replace(
            first, variables=variables, body=encode_payload(first.query, variables), share_key=None
        )
        answer = await self._signed(joined, principal)
        self.joined += len(requests) - 1
        return _split(answer, positions, len(representations))


def _split(answer: dict[str, Any], positions: list[list[int]], count: int) -> list[dict[str, Any]]:
    """Each request's part of the joined ``answer``: ``positions[i]`` are the indexes in the
    joined request of request ``i``'s representations. An entity that goes to several
    requests is copied, since each run merges its answer into its own data in place."""
    data = answer.get("data")
    entities = data.get("_entities") if isinstance(data, dict) else None
    whole = isinstance(entities, list) and len(entities) == count
    used: set[int] = set()

    def entity(index: int) -> Any:
        value = entities[index]  # type: ignore[index]
        if index in used and isinstance(value, dict | list):
            return orjson.loads(orjson.dumps(value))
        used.add(index)
        return value

    errors = answer.get("errors") or ()
    parts: list[dict[str, Any]] = []
    for indexes in positions:
        part: dict[str, Any] = {
            "data": {"_entities": [entity(index) for index in indexes]} if whole else data
        }
        at: dict[int, list[int]] = {}  # joined index -> this request's positions
        for position, index in enumerate(indexes):
            at.setdefault(index, []).append(position)
        own: list[Any] = []
        for error in errors:
            path = error.get("path") if isinstance(error, dict) else None
            if (
                isinstance(path, list)
                and len(path) > 1
                and path[0] == "_entities"
                and isinstance(path[1], int)
            ):
                own.extend(
                    {**error, "path": ["_entities", position, *path[2:]]}
                    for position in at.get(path[1], ())
                )
            else:
                own.append(error)
        if own:
            part["errors"] = own
        parts.append(part)
    return parts
