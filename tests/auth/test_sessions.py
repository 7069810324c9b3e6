"""Session stores (in-process and the real Redis, same semantics) and the session manager:
hashed keys, TTL, indexes for back-channel logout, pending logins taken once, the refresh lock,
one refresh for many concurrent requests, and what a failed refresh does."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from gateway.auth.sessions import (
    MemorySessionStore,
    PendingLogin,
    RedisSessionStore,
    Session,
    SessionEnded,
    SessionManager,
    SessionStore,
    new_session_id,
)
from gateway.errors import TandemError
from tests.auth.test_sso_support import redis_prefix, redis_url

__all__ = ["redis_prefix", "redis_url"]  # fixtures this module uses

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ManualClock:
    """The in-process store's clock, moved by the tests instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore(clock=ManualClock())
        return
    prefix = request.getfixturevalue("redis_prefix")
    redis = RedisSessionStore(Redis.from_url(request.getfixturevalue("redis_url")), prefix=prefix)
    try:
        yield redis
    finally:
        await redis.aclose()


async def past_its_ttl(
    store: SessionStore, seconds: int, probe: Callable[[], Awaitable[object]]
) -> None:
    """Let ``seconds`` of TTL pass: the in-process store's clock moves on; Redis expires keys
    itself, so wait until ``probe()`` answers None (the expiry observed, a hang caught)."""
    if isinstance(store, MemorySessionStore):
        clock = store._clock
        assert isinstance(clock, ManualClock)
        clock.now += seconds + 0.001
        return
    deadline = time.monotonic() + seconds + 10
    while await probe() is not None:
        assert time.monotonic() < deadline, "the key outlived its TTL by 10 s"
        await asyncio.sleep(0.05)


async def _pending_key(store: SessionStore, state: str) -> object:
    """The pending login's Redis value, read without taking it (None once expired)."""
    assert isinstance(store, RedisSessionStore)
    digest = hashlib.sha256(state.encode()).hexdigest()
    return await store._redis.get(f"{store._prefix}login:{digest}")


def session(subject: str = "user-1", sid: str | None = "sid-1", **changes: object) -> Session:
    fields: dict[str, object] = {
        "subject": subject,
        "sid": sid,
        "profile": {"name": "User One", "roles": ["employee"], "department": "d1"},
        "id_token": "id-token",
        "access_token": "access-0",
        "access_expires_at": time.time() + 300,
        "refresh_token": "refresh-0",
        **changes,
    }
    return Session(**fields)  # type: ignore[arg-type]


async def test_a_session_is_found_by_its_id_only(store: SessionStore) -> None:
    original = session()
    session_id = await store.create(original, ttl=60)
    assert len(session_id) == 43
    assert await store.load(session_id) == original
    assert await store.load(new_session_id()) is None
    assert await store.load(session_id[:-1] + ("A" if session_id[-1] != "A" else "B")) is None


async def test_redis_keys_are_hashes_of_the_id(redis_url: str, redis_prefix: str) -> None:
    store = RedisSessionStore(Redis.from_url(redis_url), prefix=redis_prefix)
    try:
        session_id = await store.create(session(), ttl=60)
        keys = [k async for k in store._redis.scan_iter(match=f"{redis_prefix}*")]
        digest = hashlib.sha256(session_id.encode()).hexdigest()
        assert f"{redis_prefix}s:{digest}".encode() in keys
        assert not any(session_id.encode() in key for key in keys)
        assert 55 <= await store._redis.ttl(f"{redis_prefix}s:{digest}") <= 60
    finally:
        await store.aclose()


async def test_a_session_expires_with_its_ttl(store: SessionStore) -> None:
    session_id = await store.create(session(), ttl=1)
    assert await store.load(session_id) is not None
    await past_its_ttl(store, 1, lambda: store.load(session_id))
    assert await store.load(session_id) is None
    assert not await store.save(session_id, session())  # an update does not bring it back
    assert await store.load(session_id) is None


async def test_save_replaces_a_live_session_only(store: SessionStore) -> None:
    session_id = await store.create(session(), ttl=60)
    assert await store.save(session_id, session(access_token="access-1"))
    loaded = await store.load(session_id)
    assert loaded is not None and loaded.access_token == "access-1"
    await store.delete(session_id)
    assert not await store.save(session_id, session(access_token="access-2"))
    assert await store.load(session_id) is None


async def test_delete_by_sid_ends_the_sessions_of_that_provider_session(
    store: SessionStore,
) -> None:
    a = await store.create(session(sid="sid-a"), ttl=60)
    b = await store.create(session(sid="sid-b"), ttl=60)
    c = await store.create(session(subject="user-2", sid="sid-a"), ttl=60)
    assert await store.delete_by_sid("sid-a") == 2
    assert await store.load(a) is None and await store.load(c) is None
    assert await store.load(b) is not None
    assert await store.delete_by_sid("sid-a") == 0


async def test_delete_by_subject_ends_every_session_of_the_user(store: SessionStore) -> None:
    ids = [await store.create(session(sid=f"sid-{n}"), ttl=60) for n in range(3)]
    other = await store.create(session(subject="user-2"), ttl=60)
    await store.delete(ids[0])  # already gone: not counted
    assert await store.delete_by_subject("user-1") == 2
    assert [await store.load(i) for i in ids] == [None, None, None]
    assert await store.load(other) is not None


async def test_a_pending_login_is_taken_once(store: SessionStore) -> None:
    pending = PendingLogin("nonce", "verifier", "/orders", "browser-hash")
    await store.put_pending("state-1", pending, ttl=60)
    assert await store.take_pending("state-2") is None
    assert await store.take_pending("state-1") == pending
    assert await store.take_pending("state-1") is None


async def test_a_pending_login_expires(store: SessionStore) -> None:
    await store.put_pending("state-1", PendingLogin("n", "v", "/", "b"), ttl=1)
    await past_its_ttl(store, 1, lambda: _pending_key(store, "state-1"))
    assert await store.take_pending("state-1") is None


async def test_first_use_answers_true_once(store: SessionStore) -> None:
    assert await store.first_use("issuer jti-1", ttl=60)
    assert not await store.first_use("issuer jti-1", ttl=60)
    assert await store.first_use("issuer jti-2", ttl=60)


async def test_the_refresh_lock_has_one_holder_at_a_time(store: SessionStore) -> None:
    session_id = await store.create(session(), ttl=60)
    holders = 0
    most = 0

    async def hold() -> bool:
        nonlocal holders, most
        async with store.refresh_lock(session_id, timeout=5) as held:
            holders += 1
            most = max(most, holders)
            await asyncio.sleep(0.02)
            holders -= 1
            return bool(held)

    assert await asyncio.gather(*(hold() for _ in range(10))) == [True] * 10
    assert most == 1


async def test_the_refresh_lock_gives_up_after_its_timeout(store: SessionStore) -> None:
    session_id = await store.create(session(), ttl=60)
    async with store.refresh_lock(session_id, timeout=5) as first:
        assert first
        started = time.monotonic()
        async with store.refresh_lock(session_id, timeout=0.2) as second:
            assert not second
        assert 0.15 < time.monotonic() - started < 15  # it waited; the upper bound: no hang


class CountingRefresher:
    """A refresher that takes a while, counts its calls, and rotates both tokens."""

    def __init__(self, behaviour: Callable[[Session], Session] | None = None) -> None:
        self.calls = 0
        self.behaviour = behaviour

    async def __call__(self, current: Session) -> Session:
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.behaviour is not None:
            return self.behaviour(current)
        return replace(
            current,
            access_token=f"access-{self.calls}",
            refresh_token=f"refresh-{self.calls}",
            access_expires_at=time.time() + 300,
        )


async def start_due(manager: SessionManager) -> str:
    """Start a session whose refresh is due now (its access token still valid for 300 s)."""
    session_id = await manager.start(session())
    started = await manager.store.load(session_id)
    assert started is not None and started.refresh_at > time.time()
    assert await manager.store.save(session_id, replace(started, refresh_at=time.time() - 1))
    return session_id


async def test_twenty_concurrent_requests_make_one_refresh(store: SessionStore) -> None:
    refresher = CountingRefresher()
    manager = SessionManager(store, refresher, refresh_margin=60)
    session_id = await start_due(manager)
    results = await asyncio.gather(*(manager.current(session_id) for _ in range(20)))
    assert refresher.calls == 1 and manager.refreshes == 1
    assert {r.access_token for r in results if r is not None} == {"access-1"}
    assert all(r is not None for r in results)
    stored = await store.load(session_id)
    assert stored is not None and stored.refresh_token == "refresh-1"
    assert stored.refresh_at > time.time() + 200  # next refresh 60 s before the new expiry


async def test_a_fresh_session_is_not_refreshed(store: SessionStore) -> None:
    refresher = CountingRefresher()
    manager = SessionManager(store, refresher, refresh_margin=60)
    session_id = await manager.start(session())
    assert await manager.current(session_id) == await store.load(session_id)
    assert refresher.calls == 0


async def test_a_short_lived_token_is_refreshed_halfway(store: SessionStore) -> None:
    manager = SessionManager(store, CountingRefresher(), refresh_margin=60)
    session_id = await manager.start(session(access_expires_at=time.time() + 4))
    stored = await store.load(session_id)
    assert stored is not None
    assert stored.access_expires_at - stored.refresh_at == pytest.approx(2, abs=0.1)


async def test_login_rotates_the_session_id(store: SessionStore) -> None:
    manager = SessionManager(store, CountingRefresher())
    first = await manager.start(session())
    second = await manager.start(session(), replaces=first)
    assert first != second
    assert await manager.current(first) is None
    assert await manager.current(second) is not None


async def test_a_refused_refresh_ends_the_session(store: SessionStore) -> None:
    def refuse(current: Session) -> Session:
        raise SessionEnded("invalid_grant")

    manager = SessionManager(store, CountingRefresher(refuse))
    session_id = await start_due(manager)
    assert await asyncio.gather(*(manager.current(session_id) for _ in range(5))) == [None] * 5
    assert await store.load(session_id) is None


async def test_an_unreachable_provider_keeps_a_session_until_its_token_expires(
    store: SessionStore,
) -> None:
    def unreachable(current: Session) -> Session:
        raise TandemError("down", code="IDP_UNAVAILABLE", status=502)

    manager = SessionManager(store, CountingRefresher(unreachable))
    live = await start_due(manager)
    assert await manager.current(live) is not None
    expired = await manager.start(session(access_expires_at=time.time() - 1))
    with pytest.raises(TandemError) as refused:
        await manager.current(expired)
    assert (refused.value.code, refused.value.status) == ("IDP_UNAVAILABLE", 503)


async def test_a_logout_during_a_refresh_is_not_undone(store: SessionStore) -> None:
    async def refresh_and_lose_the_race(current: Session) -> Session:
        await store.delete_by_subject(current.subject)  # back-channel logout arrives meanwhile
        return session(access_token="access-new")

    manager = SessionManager(store, refresh_and_lose_the_race)
    session_id = await start_due(manager)
    assert await manager.current(session_id) is None
    assert await store.load(session_id) is None


async def test_ids_that_cannot_be_session_ids_are_not_looked_up(store: SessionStore) -> None:
    manager = SessionManager(store, CountingRefresher())
    for junk in ("", "x", "a" * 44, "../" * 15, "a" * 42 + "!"):
        assert await manager.current(junk) is None
        assert await manager.end(junk) is None


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_revalidation_checks_a_session_with_the_provider_within_the_bound(
    store: SessionStore,
) -> None:
    """session_revalidate_seconds: checked at least that often, even with a long-lived token;
    a session without a refresh token too (the refresher then reads userinfo)."""
    clock = Clock()
    refresher = CountingRefresher(lambda current: replace(current, profile={"name": "again"}))
    manager = SessionManager(store, refresher, revalidate=30, clock=clock)
    kept = await manager.start(session(access_expires_at=clock.now + 3600))
    no_refresh = await manager.start(session(refresh_token=None))
    clock.now += 29
    assert await manager.current(kept) is not None
    assert await manager.current(no_refresh) is not None
    assert refresher.calls == 0
    clock.now += 2
    assert (await manager.current(kept)) is not None
    assert (await manager.current(no_refresh)) is not None
    assert refresher.calls == 2


async def test_a_session_the_provider_refuses_at_revalidation_ends(store: SessionStore) -> None:
    clock = Clock()

    def refused(current: Session) -> Session:
        raise SessionEnded("the provider refused")

    manager = SessionManager(store, CountingRefresher(refused), revalidate=30, clock=clock)
    session_id = await manager.start(session(refresh_token=None))
    clock.now += 31
    assert await manager.current(session_id) is None
    assert await store.load(session_id) is None


async def test_without_revalidation_a_session_without_refresh_token_is_left_alone(
    store: SessionStore,
) -> None:
    clock = Clock()
    refresher = CountingRefresher()
    manager = SessionManager(store, refresher, clock=clock)
    session_id = await manager.start(session(refresh_token=None))
    clock.now += 3600
    assert await manager.current(session_id) is not None
    assert refresher.calls == 0
