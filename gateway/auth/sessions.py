"""Server-side browser sessions behind an opaque cookie, with one token refresh at a time.

The cookie holds 256 random bits (``secrets.token_urlsafe(32)``); stores key a session by the
SHA-256 of that value, so a dump of the store yields no usable cookie. The provider's tokens
live only in the session, server side. A ``SessionStore`` keeps sessions with a TTL, indexes
them by the provider's session id (``sid``) and subject (``sub``) for back-channel logout,
holds pending logins (``state`` -> nonce, PKCE verifier; taken once), records ``jti``\\ s
seen once, and gives a per-session refresh lock:

- ``RedisSessionStore`` (``redis.asyncio``): every gateway replica shares it; the lock is
  redis-py's own ``Lock`` (a random token, an expiry, released only by its holder).
- ``MemorySessionStore``: the same semantics in one process; the lock is an ``asyncio.Lock``.

While Redis is unreachable, every ``RedisSessionStore`` call raises ``ServiceUnavailable``
(503 ``SERVICE_UNAVAILABLE``, with ``Retry-After``): a session can be neither confirmed nor
refused, so the caller is asked to come back, never signed out and never let in. The outage
is logged once (:class:`~gateway.shared_state.Outage`). A Redis that comes back empty has
forgotten every session: the cookie then names none, and the caller signs in again (401).

``SessionManager`` starts sessions (a new id every login: rotation), ends them, and returns
the current session, refreshing the access token ``refresh_margin`` seconds before expiry
(halfway through its life when that is shorter) under the lock, so concurrent requests
make one refresh and all see its result. With ``revalidate`` seconds set, a session is also
checked with the provider at least that often (a refresh, or userinfo when there is no
refresh token): a provider without back-channel logout ends its user's gateway sessions
within that bound after a logout there, instead of at the next token refresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final, Protocol

import orjson
import redis.asyncio as redis
from redis.exceptions import LockError

from ..errors import TandemError
from ..shared_state import REDIS_DOWN, Outage, redis_client

__all__ = [
    "MemorySessionStore",
    "PendingLogin",
    "RedisSessionStore",
    "Refresher",
    "Session",
    "SessionEnded",
    "SessionManager",
    "SessionStore",
    "new_session_id",
    "valid_session_id",
]

log = logging.getLogger("tandem.auth")

_SESSION_ID: Final = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_session_id() -> str:
    """A fresh opaque session id: 256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser. Tokens never leave the server."""

    subject: str
    sid: str | None
    profile: Mapping[str, Any]
    id_token: str | None  # None for a plain OAuth 2.0 provider
    access_token: str
    access_expires_at: float
    refresh_token: str | None = None
    refresh_at: float = 0.0
    id_claims: Mapping[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    expires_at: float = 0.0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> Session:
        return cls(**orjson.loads(data))


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """What a login must remember between ``/auth/login`` and its callback."""

    nonce: str
    code_verifier: str
    return_to: str
    browser: str  # the SHA-256 of the login-binding cookie

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> PendingLogin:
        return cls(**orjson.loads(data))


class SessionEnded(TandemError):
    """The provider refused to refresh: the session is over and has been deleted."""

    code = "UNAUTHENTICATED"
    status = 401


class SessionStore(Protocol):
    """Where sessions, pending logins and seen ``jti`` values live; ids are raw cookie ids."""

    async def create(self, session: Session, ttl: int) -> str: ...
    async def load(self, session_id: str) -> Session | None: ...
    async def save(self, session_id: str, session: Session) -> bool: ...
    async def delete(self, session_id: str) -> None: ...
    async def delete_by_sid(self, sid: str) -> int: ...
    async def delete_by_subject(self, subject: str) -> int: ...
    def refresh_lock(
        self, session_id: str, timeout: float
    ) -> AbstractAsyncContextManager[bool]: ...
    async def put_pending(self, state: str, pending: PendingLogin, ttl: int) -> None: ...
    async def take_pending(self, state: str) -> PendingLogin | None: ...
    async def first_use(self, key: str, ttl: int) -> bool: ...
    async def aclose(self) -> None: ...


class MemorySessionStore:
    """A ``SessionStore`` in this process only (one replica, or tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, tuple[Session, float]] = {}
        self._index: dict[str, set[str]] = {}
        self._pending: dict[str, tuple[PendingLogin, float]] = {}
        self._seen: dict[str, float] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def create(self, session: Session, ttl: int) -> str:
        session_id = new_session_id()
        key = _digest(session_id)
        self._sessions[key] = (session, self._clock() + ttl)
        for index in _index_keys(session):
            self._index.setdefault(index, set()).add(key)
        return session_id

    def active(self) -> int:
        """How many sessions have not expired (the ``tandem_sessions_active`` metric)."""
        now = self._clock()
        return sum(1 for _, expires in list(self._sessions.values()) if expires > now)

    async def load(self, session_id: str) -> Session | None:
        entry = self._sessions.get(_digest(session_id))
        if entry is None:
            return None
        if entry[1] <= self._clock():
            self._drop(_digest(session_id))
            return None
        return entry[0]

    async def save(self, session_id: str, session: Session) -> bool:
        key = _digest(session_id)
        entry = self._sessions.get(key)
        if entry is None or entry[1] <= self._clock():
            return False
        self._sessions[key] = (session, entry[1])
        return True

    async def delete(self, session_id: str) -> None:
        self._drop(_digest(session_id))

    async def delete_by_sid(self, sid: str) -> int:
        return self._drop_index(f"sid:{sid}")

    async def delete_by_subject(self, subject: str) -> int:
        return self._drop_index(f"sub:{subject}")

    @asynccontextmanager
    async def refresh_lock(self, session_id: str, timeout: float) -> AsyncIterator[bool]:
        key = _digest(session_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
        except TimeoutError:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    async def put_pending(self, state: str, pending: PendingLogin, ttl: int) -> None:
        self._pending[_digest(state)] = (pending, self._clock() + ttl)
        if len(self._pending) > 10_000:
            now = self._clock()
            self._pending = {k: v for k, v in self._pending.items() if v[1] > now}

    async def take_pending(self, state: str) -> PendingLogin | None:
        entry = self._pending.pop(_digest(state), None)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def first_use(self, key: str, ttl: int) -> bool:
        now = self._clock()
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
        digest = _digest(key)
        if self._seen.get(digest, 0.0) > now:
            return False
        self._seen[digest] = now + ttl
        return True

    async def aclose(self) -> None:
        return None

    def _drop(self, key: str) -> None:
        entry = self._sessions.pop(key, None)
        if entry is not None:
            for index in _index_keys(entry[0]):
                self._index.get(index, set()).discard(key)

    def _drop_index(self, index: str) -> int:
        keys = self._index.pop(index, set())
        live = [key for key in keys if key in self._sessions]
        for key in live:
            self._drop(key)
        return len(live)


class RedisSessionStore:
    """A ``SessionStore`` in Redis, shared by every gateway replica.

    Keys (``prefix`` first): ``s:<sha256(id)>`` the session (TTL), ``sid:<sid>`` and
    ``sub:<subject>`` sets of session keys, ``lock:<sha256(id)>`` the refresh lock,
    ``login:<sha256(state)>`` a pending login, ``seen:<sha256(key)>`` a used ``jti``.

    Every call raises ``ServiceUnavailable`` while Redis cannot be reached.
    """

    def __init__(
        self, client: redis.Redis, *, prefix: str = "tandem:auth:", poll: float = 0.02
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._poll = poll
        self.outage = Outage(
            "Redis for sessions", log, message="sessions are unavailable: try again shortly"
        )

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tandem:auth:") -> RedisSessionStore:
        """A store on a client that fails fast and reconnects (``redis_client``)."""
        return cls(redis_client(url), prefix=prefix)

    async def create(self, session: Session, ttl: int) -> str:
        session_id = new_session_id()
        key = self._key(session_id)
        async with self.outage.guard(*REDIS_DOWN), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, session.to_json(), ex=ttl)
            for index in _index_keys(session):
                pipe.sadd(self._prefix + index, key)
                pipe.expire(self._prefix + index, ttl)
            await pipe.execute()
        return session_id

    async def load(self, session_id: str) -> Session | None:
        async with self.outage.guard(*REDIS_DOWN):
            data = await self._redis.get(self._key(session_id))
        return None if data is None else Session.from_json(data)

    async def save(self, session_id: str, session: Session) -> bool:
        async with self.outage.guard(*REDIS_DOWN):
            done = await self._redis.set(
                self._key(session_id), session.to_json(), xx=True, keepttl=True
            )
        return bool(done)

    async def delete(self, session_id: str) -> None:
        async with self.outage.guard(*REDIS_DOWN):
            await self._delete_keys([self._key(session_id)])

    async def delete_by_sid(self, sid: str) -> int:
        async with self.outage.guard(*REDIS_DOWN):
            return await self._delete_index(f"sid:{sid}")

    async def delete_by_subject(self, subject: str) -> int:
        async with self.outage.guard(*REDIS_DOWN):
            return await self._delete_index(f"sub:{subject}")

    @asynccontextmanager
    async def refresh_lock(self, session_id: str, timeout: float) -> AsyncIterator[bool]:
        lock = self._redis.lock(
            f"{self._prefix}lock:{_digest(session_id)}",
            timeout=timeout,
            sleep=self._poll,
            blocking_timeout=timeout,
        )
        async with self.outage.guard(*REDIS_DOWN):
            held = bool(await lock.acquire())
        try:
            yield held
        finally:
            if held:
                try:
                    await lock.release()
                except LockError:
                    pass  # it expired meanwhile (and may be another's now): nothing to release
                except REDIS_DOWN as error:  # the lock expires by itself
                    self.outage.failed(error)

    async def put_pending(self, state: str, pending: PendingLogin, ttl: int) -> None:
        async with self.outage.guard(*REDIS_DOWN):
            await self._redis.set(
                f"{self._prefix}login:{_digest(state)}", pending.to_json(), ex=ttl
            )

    async def take_pending(self, state: str) -> PendingLogin | None:
        async with self.outage.guard(*REDIS_DOWN):
            data = await self._redis.getdel(f"{self._prefix}login:{_digest(state)}")
        return None if data is None else PendingLogin.from_json(data)

    async def first_use(self, key: str, ttl: int) -> bool:
        async with self.outage.guard(*REDIS_DOWN):
            done = await self._redis.set(
                f"{self._prefix}seen:{_digest(key)}", b"1", nx=True, ex=ttl
            )
        return bool(done)

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}s:{_digest(session_id)}"

    async def _delete_index(self, index: str) -> int:
        members = await self._redis.smembers(self._prefix + index)
        keys = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        if not keys:
            return 0
        deleted = await self._delete_keys(keys)
        await self._redis.srem(self._prefix + index, *keys)  # not DEL: keep later additions
        return deleted

    async def _delete_keys(self, keys: list[str]) -> int:
        sessions = await self._redis.mget(keys)
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, data in zip(keys, sessions, strict=True):
                if data is not None:
                    for index in _index_keys(Session.from_json(data)):
                        pipe.srem(self._prefix + index, key)
            pipe.delete(*keys)
            results = await pipe.execute()
        return int(results[-1])


def _index_keys(session: Session) -> list[str]:
    keys = [f"sub:{session.subject}"]
    if session.sid:
        keys.append(f"sid:{session.sid}")
    return keys


#: Refreshes a session's tokens; raises ``SessionEnded`` when the provider refuses.
Refresher = Callable[[Session], Awaitable[Session]]


class SessionManager:
    """Starts, ends and refreshes sessions in a ``SessionStore``."""

    def __init__(
        self,
        store: SessionStore,
        refresher: Refresher,
        *,
        ttl: int = 8 * 3600,
        refresh_margin: float = 60.0,
        lock_timeout: float = 15.0,
        revalidate: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.refresh_margin = refresh_margin
        self.revalidate = revalidate
        self.lock_timeout = lock_timeout
        self.refreshes = 0
        self._refresher = refresher
        self._clock = clock

    async def start(self, session: Session, *, replaces: str | None = None) -> str:
        """Store ``session`` under a new id; the session ``replaces`` (if any) ends."""
        if replaces is not None and valid_session_id(replaces):
            await self.store.delete(replaces)
        now = self._clock()
        session = replace(self._schedule(session), created_at=now, expires_at=now + self.ttl)
        return await self.store.create(session, self.ttl)

    async def end(self, session_id: str) -> Session | None:
        """End a session; returns what it was, if it existed."""
        if not valid_session_id(session_id):
            return None
        session = await self.store.load(session_id)
        await self.store.delete(session_id)
        return session

    async def current(self, session_id: str) -> Session | None:
        """The live session for a cookie id, its access token refreshed when due."""
        if not valid_session_id(session_id):
            return None
        session = await self.store.load(session_id)
        if session is None or not self._due(session):
            return session
        async with self.store.refresh_lock(session_id, self.lock_timeout) as held:
            session = await self.store.load(session_id)  # another request may have refreshed
            if session is None or not self._due(session):
                return session
            if not held:
                return self._unrefreshed(session)
            try:
                fresh = await self._refresher(session)
            except SessionEnded as ended:
                log.info("session of %s ended at refresh: %s", session.subject, ended.message)
                await self.store.delete(session_id)
                return None
            except TandemError as error:
                log.warning("refresh failed for %s: %s", session.subject, error.message)
                return self._unrefreshed(session)
            fresh = self._schedule(fresh)
            if not await self.store.save(session_id, fresh):
                return None  # ended (logged out) while refreshing
            self.refreshes += 1
            return fresh

    def _schedule(self, session: Session) -> Session:
        """When to refresh: ``refresh_margin`` before expiry, or halfway for short tokens."""
        now = self._clock()
        lifetime = max(session.access_expires_at - now, 0.0)
        margin = min(self.refresh_margin, lifetime / 2)
        check_at = session.access_expires_at - margin
        if self.revalidate > 0:
            check_at = min(check_at, now + self.revalidate)
        return replace(session, refresh_at=check_at)

    def _due(self, session: Session) -> bool:
        checked = session.refresh_token is not None or self.revalidate > 0
        return checked and session.refresh_at <= self._clock()

    def _unrefreshed(self, session: Session) -> Session:
        if session.access_expires_at > self._clock():
            return session
        raise TandemError(
            "the session could not be refreshed; try again", code="IDP_UNAVAILABLE", status=503
        )


def valid_session_id(value: str) -> bool:
    """True if ``value`` has the shape of a session id (no store lookup for junk)."""
    return bool(_SESSION_ID.match(value))
