"""Identical subgraph requests in flight at the same time share one HTTP call (issue 14, item 4).

Under load many clients send the same operation, so the gateway sends the same subgraph request
many times at once. The first of them makes the call; the others, arriving before its answer,
wait for the same answer instead of asking again. What is shared is the answer's status and
undecoded bytes: every waiter decodes its own copy, since the executor merges answers into its
response in place and two requests must never share mutable data.

Whether two requests may share is decided by the caller of :meth:`InFlight.fetch`, through the
key (``SubgraphRequest.share_key``): the executor gives one only to queries (never mutations)
of subgraphs that allow sharing, made of the subgraph, the exact body and the caller's identity
(every claim its identity token carries), so two callers whose identities differ never share an
answer. Each waiter keeps its own deadline: a waiter that gives up (its request's deadline, a
client that went away) leaves the call running for the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

__all__ = ["Answer", "InFlight"]

Answer = tuple[int, bytes]
"""A subgraph's HTTP status and undecoded body."""


class InFlight:
    """The calls in flight, by share key; a call leaves as soon as it has its answer."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Future[Answer]] = {}
        self.joined = 0
        """How many requests were answered by a call another request made."""

    def __len__(self) -> int:
        return len(self._calls)

    async def fetch(self, key: Hashable | None, call: Callable[[], Awaitable[Answer]]) -> Answer:
        """``call()``'s answer, shared with every other request with ``key`` now in flight;
        a ``key`` of None is never shared."""
        if key is None:
            return await call()
        shared = self._calls.get(key)
        if shared is None:
            shared = asyncio.ensure_future(call())
            self._calls[key] = shared
            shared.add_done_callback(lambda done: self._finished(key, done))
        else:
            self.joined += 1
        return await asyncio.shield(shared)

    def _finished(self, key: Hashable, done: asyncio.Future[Answer]) -> None:
        if self._calls.get(key) is done:
            del self._calls[key]
        if not done.cancelled():
            done.exception()  # retrieved here, so that a failure nobody waited for is not logged
