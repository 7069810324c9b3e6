"""Cost budgets in Redis: one budget per caller across replicas, and Redis away (a real private
``redis-server``; the minute is the test's clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.demand.budget import OverBudget, RedisCostBudget
from gateway.shared_state import ServiceUnavailable
from tests.support.redis_server import RedisServer, closed_port_url, redis_server_binary

pytestmark = pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis.asyncio


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "redis", durable=False)
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


@pytest.mark.anyio
async def test_replicas_share_one_budget_per_caller_and_minute(redis_url: str) -> None:
    now = [120.0 + 50]  # 50 s into a minute
    clock = lambda: now[0]  # noqa: E731
    first = RedisCostBudget(redis_url, prefix="t:", clock=clock)
    second = RedisCostBudget(redis_url, prefix="t:", clock=clock)
    try:
        assert await first.charge("client:bot", 60, 100) == 60
        assert await second.charge("client:bot", 40, 100) == 100  # the other replica's 60 too
        with pytest.raises(OverBudget) as over:
            await first.charge("client:bot", 1, 100)
        assert (over.value.spent, over.value.retry_after) == (100, 10)
        assert await second.charge("client:other", 100, 100) == 100  # callers apart
        now[0] += 10  # the next minute
        assert await second.charge("client:bot", 30, 100) == 30
    finally:
        await first.close()
        await second.close()


@pytest.mark.anyio
async def test_a_refused_charge_is_given_back(redis_url: str) -> None:
    budget = RedisCostBudget(redis_url, prefix="t:", clock=lambda: 600.0)
    try:
        await budget.charge("subject:anna", 90, 100)
        with pytest.raises(OverBudget):
            await budget.charge("subject:anna", 20, 100)
        assert await budget.charge("subject:anna", 10, 100) == 100
    finally:
        await budget.close()


@pytest.mark.anyio
async def test_redis_away_closed_answers_unavailable_open_counts_alone() -> None:
    closed = RedisCostBudget(closed_port_url(), on_store_failure="closed")
    opened = RedisCostBudget(closed_port_url(), on_store_failure="open", clock=lambda: 600.0)
    try:
        with pytest.raises(ServiceUnavailable):
            await closed.charge("client:bot", 1, 100)
        assert await opened.charge("client:bot", 70, 100) == 70
        with pytest.raises(OverBudget):
            await opened.charge("client:bot", 31, 100)
    finally:
        await closed.close()
        await opened.close()
