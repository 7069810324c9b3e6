"""The integrators' rate limiter while its Redis is away (issue 11, item 3): ``closed``
answers ``SERVICE_UNAVAILABLE`` with a retry delay, ``open`` lets requests through counted by
this replica alone; either way one log line for the outage, and the shared count again on the
first call after Redis returns. A private ``redis-server`` of this module's own is killed and
started again; the machine's shared Redis is not touched."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from gateway.auth.integrators import (
    RateLimited,
    RedisRateLimiter,
    StoreFailure,
    from_environment,
)
from gateway.errors import TandemError
from gateway.shared_state import ServiceUnavailable
from tests.support.redis_server import RedisServer, redis_server_binary

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server"),
]


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), durable=True, fsync="everysec")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def running(redis: RedisServer) -> Iterator[RedisServer]:
    """The private Redis, up at the start of the test and again after it."""
    if redis.child is None:
        redis.start()
    yield redis
    if redis.child is None:
        redis.start()


@asynccontextmanager
async def _limiter(
    redis: RedisServer, on_store_failure: StoreFailure
) -> AsyncIterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(
        redis.url, prefix=f"t:{on_store_failure}:", on_store_failure=on_store_failure
    )
    try:
        yield limiter
    finally:
        await limiter.close()


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Redis for rate limits" in r.getMessage()]


async def test_closed_refuses_with_a_retry_delay_while_redis_is_away(
    running: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tandem.auth")
    async with _limiter(running, "closed") as limiter:
        await limiter.hit("acme", 100)  # a pooled connection, soon dead
        running.kill()
        for _ in range(3):
            with pytest.raises(ServiceUnavailable) as refused:
                await limiter.hit("acme", 100)
            assert refused.value.status == 503 and refused.value.retry_after >= 1
            assert refused.value.to_graphql()["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert len(_outage_lines(caplog)) == 1
        running.start()  # with its data (append-only file): the count goes on
        await limiter.hit("acme", 100)  # the first call after: no stale-connection error
        lines = _outage_lines(caplog)
        assert len(lines) == 2 and "after 3 failed call(s)" in lines[1]
        keys = await limiter.redis.keys("t:closed:acme:*")  # two if the minute turned
        counts = [int(await limiter.redis.get(key)) for key in keys]
        assert sum(counts) == 2  # before and after the outage; the refused ones not counted
    assert "Traceback" not in caplog.text


async def test_open_lets_requests_through_counted_by_this_replica(
    running: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tandem.auth")
    async with _limiter(running, "open") as limiter:
        running.kill()
        passed = 0
        with pytest.raises(RateLimited):
            for _ in range(10):
                await limiter.hit("globex", 3)
                passed += 1
        assert 3 <= passed <= 6  # 3 a minute (twice 3 if the minute turned meanwhile)
        assert len(_outage_lines(caplog)) == 1


async def test_the_setting_is_open_or_closed() -> None:
    with pytest.raises(TandemError) as refused:
        from_environment(
            {"TANDEM_REDIS_URL": "redis://127.0.0.1:1/0", "TANDEM_RATE_LIMIT_ON_STORE_FAILURE": "x"}
        )
    assert refused.value.code == "INVALID_SETTING"
    limiter, _ = from_environment({"TANDEM_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert isinstance(limiter, RedisRateLimiter) and limiter.on_store_failure == "closed"
    await limiter.close()
