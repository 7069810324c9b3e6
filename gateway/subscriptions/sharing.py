"""Identical upstream subscriptions share one subgraph subscription.

Two subscriptions are identical here when they ask the same subgraph the same operation with
the same variables *for the same caller*: the subgraph is asked with an identity token naming
the caller, and may answer each caller differently (what it filters, what it counts), so
only subscriptions whose tokens would name the same principal may share (a user's several
tabs, an integrator's several consumers). Each shared subscription is completed and
authorized per subscriber afterwards, as any event is (``run.py``).

A subscriber joining a running subscription receives the events from then on; it takes them
in lists of those that arrived while it handled the previous ones (so that they are completed
together, ``batching.py``). The upstream subscription ends when its last subscriber leaves.
At most ``backlog`` events wait for each subscriber: the upstream subscription is then read no
faster than its slowest subscriber completes them (WebSocket flow control slows the subgraph
in turn), so nothing is held in memory without bound; the subscribers slowed are the same
caller's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from ..executor.transport import SubgraphError

__all__ = ["SharedUpstreams"]

Open = Callable[[], AsyncGenerator[dict[str, Any], None]]
_END = object()


@dataclass(eq=False)
class _Listener:
    queue: asyncio.Queue[Any]


@dataclass(eq=False)
class _Shared:
    upstream: AsyncGenerator[dict[str, Any], None]
    listeners: set[_Listener] = field(default_factory=set)
    pump: asyncio.Task[None] | None = None
    done: bool = False

    async def run(self) -> None:
        """Read the upstream subscription and hand each event to every listener."""
        outcome: Any = _END
        try:
            async for event in self.upstream:
                for listener in list(self.listeners):
                    await listener.queue.put(event)  # waits while its backlog is full
        except SubgraphError as error:
            outcome = error
        finally:
            self.done = True
            for listener in list(self.listeners):
                with contextlib.suppress(asyncio.QueueFull):  # it is leaving: no need
                    listener.queue.put_nowait(outcome)
            await self.upstream.aclose()


class SharedUpstreams:
    """The upstream subscriptions running, by what makes them identical."""

    def __init__(self, backlog: int = 1000) -> None:
        self.backlog = backlog
        self._running: dict[Hashable, _Shared] = {}

    def __len__(self) -> int:
        """How many upstream subscriptions are running."""
        return len(self._running)

    def listening(self) -> int:
        """How many subscriptions listen to them, all together."""
        return sum(len(shared.listeners) for shared in self._running.values())

    def reading(self) -> int:
        """How many upstream subscriptions are still being read (not ended)."""
        return sum(not shared.done for shared in self._running.values())

    async def events(
        self, key: Hashable, open_upstream: Open, batch: int = 50
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        """The events of the upstream subscription ``key`` names, opened with
        ``open_upstream`` unless one is running, in lists of those that arrived while the
        previous list was handled (at most ``batch``); raises its :class:`SubgraphError`."""
        shared = self._running.get(key)
        if shared is None or shared.done:
            shared = self._running[key] = _Shared(open_upstream())
        listener = _Listener(asyncio.Queue(self.backlog + 1))  # room for the last word
        shared.listeners.add(listener)
        if shared.pump is None:
            shared.pump = asyncio.create_task(shared.run())
        try:
            while True:
                items = [await listener.queue.get()]
                while len(items) < batch and not listener.queue.empty():
                    items.append(listener.queue.get_nowait())
                events = [item for item in items if isinstance(item, dict)]
                if events:
                    yield events
                last = items[-1]
                if last is _END:
                    return
                if isinstance(last, SubgraphError):
                    raise last
        finally:
            shared.listeners.discard(listener)
            while not listener.queue.empty():  # a pump waiting to hand it one goes on
                listener.queue.get_nowait()
            if not shared.listeners:
                if self._running.get(key) is shared:
                    del self._running[key]
                pump = shared.pump
                if pump is not None and not shared.done:
                    pump.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pump
