"""Keeping every replica's enforcer in step with the policy: Redis pub/sub, polling, files.

:class:`PolicySync` holds one replica's :class:`~gateway.authz.enforcer.PolicyEnforcer` to the
policy store: it loads the store at start, reloads after a change made here (before the change
is answered) and whenever a watcher reports one made elsewhere, and also checks the store's
version every ``poll_interval`` seconds (a safety net for a lost notification). Each reload
builds the new casbin enforcer in a worker thread and swaps it in, bumping the enforcer's
``version``.

Watchers (the :class:`PolicyWatcher` protocol):

- :class:`RedisWatcher`: Redis pub/sub on one channel (``redis.asyncio``); a message is
  ``{"version": n, "origin": id}``. It reconnects after an outage and then asks for a check,
  since messages published meanwhile are lost.
- :class:`LocalWatcher`: without Redis, in-process only (replicas sharing a hub set).

A policy kept in files instead is hot-reloaded by :class:`FilePolicyWatcher` (mtime polling).

Shared state away: while the policy database cannot be reached, the policy in force stays in
force (nothing is reloaded, nothing is dropped), the admin API answers 503
``SERVICE_UNAVAILABLE`` (:meth:`PolicySync.unavailable`), and the sync logs the outage once
and its end once (:class:`~gateway.shared_state.Outage`), not a traceback per poll. While
Redis is away, changes reach the other replicas by polling only; the watcher logs that once
too, resubscribes when Redis is back, and then checks the store.

The maintained casbin watcher, ``redis-watcher`` 1.8.0, is not used: it runs a thread with
blocking Redis calls, prints instead of logging, cannot select a database or use a URL, waits
10 s before resubscribing after an outage, and its wheel installs ``node_modules`` into
site-packages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

import orjson
from graphql import GraphQLError
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from ..shared_state import Outage, ServiceUnavailable, database_down, redis_client
from .enforcer import PolicyEnforcer, read_policy_file
from .store import PolicyChange, PolicyStore
from .validation import RuleValidator

__all__ = [
    "FilePolicyWatcher",
    "LocalWatcher",
    "OnChange",
    "PolicySync",
    "PolicyWatcher",
    "RedisWatcher",
]

log = logging.getLogger("tandem.authz")

OnChange = Callable[[int | None], Awaitable[None]]
"""Called with the version a replica announced, or None for "check the store"."""


class PolicyWatcher(Protocol):
    """Tells the other replicas about a change, and this one about theirs."""

    async def start(self, on_change: OnChange) -> None:
        """Listen from now on (subscribed when this returns)."""

    async def publish(self, version: int) -> None:
        """Announce that the policy is now at ``version``."""

    async def stop(self) -> None: ...


class PolicySync:
    """Keeps ``enforcer`` at the store's current version."""

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        store: PolicyStore,
        watcher: PolicyWatcher | None = None,
        *,
        poll_interval: float | None = 5.0,
    ) -> None:
        self.enforcer = enforcer
        self.store = store
        self.watcher = watcher or LocalWatcher()
        self.poll_interval = poll_interval
        self.outage = Outage(
            "policy database",
            log,
            message="the policy database is unavailable (the policy in force still applies): "
            "try again shortly",
        )
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe, then load (so that no change falls between the two), then poll."""
        await self.watcher.start(self._on_change)
        await self.refresh()
        if self.poll_interval:
            self._poller = asyncio.create_task(self._poll(self.poll_interval))

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        await self.watcher.stop()

    async def refresh(self, announced: int | None = None) -> bool:
        """Load the store's policy unless the enforcer has it already; True if loaded."""
        async with self._lock:
            if announced is not None and announced == self.enforcer.revision:
                return False
            snapshot = await self.store.load()
            if snapshot.version == self.enforcer.revision:
                return False
            await asyncio.to_thread(
                self.enforcer.load_lines, snapshot.lines, revision=snapshot.version
            )
            log.info("policy version %d in force", snapshot.version)
            return True

    async def changed(self, change: PolicyChange) -> None:
        """A change made through this replica: enforce it here, then tell the others.

        The change is stored already: a failure here is logged, not raised (polling, or the
        next notification, loads it).
        """
        await self._reload(version=change.version.version)
        try:
            await self.watcher.publish(change.version.version)
        except (RedisError, OSError) as error:
            # The change is stored and enforced here; the others' polling will find it.
            log.warning(
                "could not announce policy version %d (%s)",
                change.version.version,
                type(error).__name__,
            )

    async def check(self) -> None:
        """One look at the store's version, loading a newer policy (the poller's step).

        Never raises: an unreachable database counts towards the outage (the policy in force
        stays), anything else is logged with its traceback; the next check tries again.
        """
        await self._reload(poll=True)

    def unavailable(self, errors: Sequence[GraphQLError]) -> ServiceUnavailable | None:
        """The 503 to answer if one of an admin operation's errors is the database being
        away (counted once per operation towards the outage), else None."""
        for error in errors:
            if error.original_error is not None and database_down(error.original_error):
                return self.outage.failed(error.original_error)
        return None

    async def _reload(self, *, version: int | None = None, poll: bool = False) -> None:
        try:
            if not poll:
                await self.refresh(version)
            elif await self.store.head() != self.enforcer.revision:
                await self.refresh()
        except Exception as error:  # the policy in force stays; the next check retries
            if database_down(error):
                self.outage.failed(error)
                return
            log.exception("policy reload failed")
            return
        self.outage.succeeded()

    async def _on_change(self, version: int | None) -> None:
        await self._reload(version=version)

    async def _poll(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.check()


class RedisWatcher:
    """Policy versions announced on a Redis pub/sub channel."""

    def __init__(
        self,
        url: str,
        channel: str = "tandem:policy",
        *,
        reconnect_delay: float = 0.2,
        max_reconnect_delay: float = 5.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self.reconnect_delay = reconnect_delay
        self.outage = Outage("Redis for policy notices", log)
        self.max_reconnect_delay = max_reconnect_delay
        self._client: Redis | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, on_change: OnChange) -> None:
        """Subscribe; if Redis is not there, keep trying in the background (and check the
        store once subscribed): until then, changes arrive by polling only."""
        self._client = redis_client(self.url, client_name=f"tandem-policy-{self.origin}")
        subscribed = await self._subscribe()
        self._task = asyncio.create_task(self._listen(subscribed, on_change))

    async def publish(self, version: int) -> None:
        if self._client is None:
            raise RuntimeError("RedisWatcher.publish before start")
        message = orjson.dumps({"version": version, "origin": self.origin})
        await self._client.publish(self.channel, message)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _subscribe(self) -> PubSub | None:
        assert self._client is not None
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
        except (RedisError, OSError) as error:  # logged once per outage; polling goes on
            self.outage.failed(error)
            await _close(pubsub)
            return None
        self.outage.succeeded()
        return pubsub

    async def _listen(self, pubsub: PubSub | None, on_change: OnChange) -> None:
        delay = self.reconnect_delay
        current = pubsub
        try:
            while True:
                if current is None:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.max_reconnect_delay)
                    current = await self._subscribe()
                    if current is None:
                        continue
                    await on_change(None)  # announcements while away are lost: check the store
                try:
                    async for message in current.listen():
                        delay = self.reconnect_delay
                        if message.get("type") == "message":
                            own, version = _announced(message.get("data"), self.origin)
                            if not own:
                                await on_change(version)
                except (RedisError, OSError) as error:
                    self.outage.failed(error)
                await _close(current)
                current = None
        finally:
            if current is not None:
                await _close(current)


class LocalWatcher:
    """Announcements between the watchers sharing ``hub`` (by default, none other: a
    single replica)."""

    def __init__(self, hub: set[LocalWatcher] | None = None) -> None:
        self.hub = set() if hub is None else hub
        self._on_change: OnChange | None = None

    async def start(self, on_change: OnChange) -> None:
        self._on_change = on_change
        self.hub.add(self)

    async def publish(self, version: int) -> None:
        for watcher in list(self.hub):
            if watcher is not self and watcher._on_change is not None:
                await watcher._on_change(version)

    async def stop(self) -> None:
        self.hub.discard(self)
        self._on_change = None


class FilePolicyWatcher:
    """Reloads a file policy (``policy.csv`` and ``model.conf``) when either file changes.

    A changed file is read and validated first; a file that fails keeps the policy in force
    (and the error is logged) until it is fixed.
    """

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        *,
        validator: RuleValidator | None = None,
        interval: float = 1.0,
    ) -> None:
        if enforcer.policy_path is None:
            raise ValueError("the enforcer has no policy file to watch")
        self.enforcer = enforcer
        self.policy_path = enforcer.policy_path
        self.validator = validator
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._seen = self._stamp()

    async def start(self) -> None:
        self._seen = self._stamp()
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check(self) -> bool:
        """Reload now if a file changed since the last look; True if a new policy applies."""
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        self._seen = stamp
        try:
            await asyncio.to_thread(self._reload)
        except Exception as error:
            log.error("policy files not reloaded, the previous policy stays: %s", error)
            return False
        log.info("policy reloaded from %s", self.policy_path)
        return True

    def _reload(self) -> None:
        lines = read_policy_file(self.enforcer.model_path, self.policy_path)
        if self.validator is not None:
            lines = tuple(self.validator.check_line(line, index=i) for i, line in enumerate(lines))
        self.enforcer.load_lines(lines)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    def _stamp(self) -> tuple[tuple[int, int, int] | None, ...]:
        return tuple(_stat(p) for p in (self.enforcer.model_path, self.policy_path))


async def _close(pubsub: PubSub) -> None:
    with contextlib.suppress(RedisError, OSError):
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def _stat(path: str | Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def _announced(data: object, origin: str) -> tuple[bool, int | None]:
    """Whether a message is our own, and the version it announces (None: check the store)."""
    if not isinstance(data, (bytes, str)):
        return False, None
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        return False, None
    if not isinstance(message, dict):
        return False, None
    version = message.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        version = None
    return message.get("origin") == origin, version
