"""Changing the supergraph without a restart (issue 15, item 4).

A new supergraph comes from the file the gateway serves (watched: any change in its folder,
which also catches the symlink swap of a Kubernetes ConfigMap), from a URL (polled, with
``If-None-Match`` so an unchanged one costs a 304), or when the process gets ``SIGHUP``.
A text whose hash has not changed is left alone. A new one is read and checked, a complete
gateway is built for it (policy views, encrypted fields, costs: everything a request meets),
and the operations the old gateway served most are planned on it, each for the caller it was
served to, before it takes over; only then does :attr:`Gateways.current` point to it.
A request holds the gateway it started with, so requests in flight finish on their schema.

A reload that fails anywhere keeps the old supergraph: the reason is logged, kept in
:attr:`Gateways.status` (``/ready`` shows it) and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import watchfiles

from .errors import TandemError
from .supergraph import Supergraph, read_supergraph

if TYPE_CHECKING:
    from .pipeline import Gateway

__all__ = ["Gateways", "ReloadStatus", "SupergraphReloader", "SupergraphSource"]

log = logging.getLogger("tandem.reload")


@dataclass
class ReloadStatus:
    """What ``/ready`` says of the supergraph: the one served, and the last reload."""

    sha256: str
    loaded_at: float
    reloads: int = 0
    failures: int = 0
    last_error: str | None = None
    last_error_at: float | None = None

    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "sha256": self.sha256,
            "loadedAt": _iso(self.loaded_at),
            "reloads": self.reloads,
            "failedReloads": self.failures,
        }
        if self.last_error is not None:
            report["lastError"] = self.last_error
            report["lastErrorAt"] = _iso(self.last_error_at or 0.0)
        return report


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Gateways:
    """The gateway new requests go to."""

    current: Gateway
    status: ReloadStatus


class SupergraphSource:
    """Where the supergraph text comes from: a file, or a URL (with its last ETag)."""

    def __init__(self, location: str, *, timeout: float = 10.0) -> None:
        self.location = location
        self.is_url = location.startswith(("http://", "https://"))
        self.etag: str | None = None
        self.timeout = timeout

    async def read(self, client: httpx.AsyncClient | None) -> str | None:
        """The text, or None when the URL says it has not changed (304)."""
        if not self.is_url:
            try:
                return await asyncio.to_thread(Path(self.location).read_text, encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise TandemError(f"cannot read supergraph file {self.location}: {error}") from None
        assert client is not None
        headers = {"if-none-match": self.etag} if self.etag else {}
        try:
            response = await client.get(self.location, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as error:
            raise TandemError(
                f"cannot fetch supergraph {self.location}: {type(error).__name__}"
            ) from None
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise TandemError(
                f"cannot fetch supergraph {self.location}: HTTP {response.status_code}"
            )
        self.etag = response.headers.get("etag")
        return response.text


class SupergraphReloader:
    """Watches (or polls) the source and swaps :attr:`Gateways.current` on a good change."""

    def __init__(
        self,
        gateways: Gateways,
        source: SupergraphSource,
        build: Callable[[Supergraph], Gateway],
        *,
        watch: bool = True,
        poll_seconds: float = 10.0,
        warm_operations: int = 100,
    ) -> None:
        self.gateways = gateways
        self.watch = watch  # False: on SIGHUP only
        self.source = source
        self.build = build
        self.poll_seconds = poll_seconds
        self.warm_operations = warm_operations
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def request(self) -> None:
        """Check the source now (``SIGHUP``)."""
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: reload on every change the watcher, the poll or a signal reports."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, self.request)
        client = httpx.AsyncClient(trust_env=False) if self.source.is_url else None
        try:
            if not self.watch:
                await self._signalled(client)
            elif self.source.is_url:
                await self._poll(client)
            else:
                await self._watch()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            if client is not None:
                await client.aclose()

    async def _signalled(self, client: httpx.AsyncClient | None) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.reload(client)

    async def _poll(self, client: httpx.AsyncClient | None) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            await self.reload(client)

    async def _watch(self) -> None:
        folder = Path(self.source.location).resolve().parent
        stop = asyncio.Event()
        watcher = asyncio.create_task(self._changes(folder, stop))
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self.reload(None)
        finally:
            stop.set()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _changes(self, folder: Path, stop: asyncio.Event) -> None:
        """Wake the reloader on any change in ``folder`` (the hash decides if it mattered)."""
        async for _ in watchfiles.awatch(
            folder, stop_event=stop, debounce=50, step=20, recursive=False
        ):
            self._wake.set()

    async def reload(self, client: httpx.AsyncClient | None = None) -> bool:
        """Check the source once; True when a new supergraph took over."""
        async with self._lock:
            status = self.gateways.status
            try:
                text = await self.source.read(client)
                if text is None:  # a URL that answered 304
                    return False
                digest = text_hash(text)
                if digest == status.sha256:
                    return False
                supergraph = read_supergraph(text, source_name=self.source.location)
                gateway = await asyncio.to_thread(self.build, supergraph)
                warmed = await self._warm(self.gateways.current, gateway)
            except Exception as error:  # every failure keeps the old supergraph
                message = error.message if isinstance(error, TandemError) else str(error)
                status.failures += 1
                status.last_error = message
                status.last_error_at = time.time()
                log.error("supergraph reload failed, still serving the previous one: %s", message)
                return False
            self.gateways.current = gateway  # the old one shares transport and budgets
            status.sha256 = digest
            status.loaded_at = time.time()
            status.reloads += 1
            status.last_error = None
            status.last_error_at = None
            log.warning(
                "supergraph reloaded from %s (%s operations planned ahead)",
                self.source.location,
                warmed,
            )
            return True

    async def _warm(self, old: Gateway, new: Gateway) -> int:
        """Plan the operations ``old`` served most on ``new``; those the new schema no longer
        admits are skipped (their clients will hear why when they ask)."""
        warmed = 0
        for usage in old.most_used(self.warm_operations):
            # off the loop: a new role set's schema view can take the policy a while
            if await asyncio.to_thread(new.warm, usage):
                warmed += 1
        return warmed
