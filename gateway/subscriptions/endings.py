"""Ending a caller's subscriptions on every replica at once.

A running subscription's credentials are checked again every ``recheck`` seconds
(``websocket.py``, ``streaming.py``). When one replica learns that a caller's credentials
ended (a logout or a back-channel logout it served, or its own check finding a session
expired or an integrator revoked), it announces the caller here, and every replica checks
that caller's connections again *now* instead of at their next turn: each closes those whose
credentials are refused, with the close code and reason its own check gives, the same on
every replica since sessions and tokens are judged against the same shared state. Other
connections of the same subject (another browser's session) are checked and stay.

With Redis (``Channels``), the announcement goes over one pub/sub channel and reaches this
replica too; without it, only this replica's connections are checked. The subject is sent
as a digest, so the channel names nobody; a back-channel logout naming only the provider's
session (``sid``) announces ``*``, every connection's check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from ..shared_state import REDIS_DOWN
from .channels import Channels

__all__ = ["Endings"]

log = logging.getLogger("tandem.subscriptions")


_ANYONE = "*"


def _digest(subject: str) -> str:
    return hashlib.sha256(subject.encode()).hexdigest()


class Endings:
    """The subjects of this replica's running connections, each with its wake-up."""

    def __init__(
        self, channels: Channels | None = None, *, channel: str = "tandem:subscriptions:ended"
    ) -> None:
        self.channels = channels
        self.channel = channel
        self._watching: dict[str, set[asyncio.Event]] = {}
        self._started: asyncio.Task[None] | None = None

    @contextlib.asynccontextmanager
    async def watch(self, subject: str | None) -> AsyncIterator[asyncio.Event]:
        """An event set when ``subject``'s credentials should be checked again now (cleared
        by the checker); never set for an anonymous caller (None)."""
        due = asyncio.Event()
        if subject is None:
            yield due
            return
        await self._start()
        digest = _digest(subject)
        self._watching.setdefault(digest, set()).add(due)
        try:
            yield due
        finally:
            watching = self._watching.get(digest)
            if watching is not None:
                watching.discard(due)
                if not watching:
                    del self._watching[digest]

    async def ended(self, subject: str | None) -> None:
        """``subject``'s credentials ended somewhere here: check its connections everywhere
        (None: a session whose subject is not known here, so every connection's)."""
        digest = _digest(subject) if subject is not None else _ANYONE
        if self.channels is None:
            self._wake(digest)
            return
        try:
            await self.channels.publish(self.channel, digest.encode())
        except REDIS_DOWN as error:  # the other replicas' periodic checks remain
            log.warning("could not announce an ended caller (%s)", type(error).__name__)
            self._wake(digest)

    async def aclose(self) -> None:
        if self.channels is not None and self._started is not None:
            with contextlib.suppress(*REDIS_DOWN):
                await self.channels.unlisten(self.channel, self._receive)

    async def _start(self) -> None:
        if self.channels is None:
            return
        if self._started is None:
            self._started = asyncio.ensure_future(self.channels.listen(self.channel, self._receive))
        try:
            await asyncio.shield(self._started)
        except Exception as error:  # the periodic checks still end what must end
            self._started = None  # tried again with the next connection
            log.warning("ended callers not heard from Redis (%s)", type(error).__name__)

    def _receive(self, data: bytes) -> None:
        self._wake(data.decode(errors="replace"))

    def _wake(self, digest: str) -> None:
        if digest == _ANYONE:
            watching = [due for dues in self._watching.values() for due in dues]
        else:
            watching = list(self._watching.get(digest, ()))
        for due in watching:
            due.set()
