"""The Redis that carries policy notices goes away and comes back (issue 11, item 3): the
replica logs the outage once (not a line per reconnection attempt), resubscribes when Redis is
back, and then checks the store, catching up with a change it could not hear of.

The Redis is a private ``redis-server`` of this module's own, killed and started again; the
machine's shared Redis is not touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from gateway.authz.watcher import LocalWatcher, RedisWatcher
from tests.authz.policy_support import new_channel
from tests.authz.test_watcher import EMAIL_DENY, replica_sync, until
from tests.support.redis_server import RedisServer, redis_server_binary

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(redis_server_binary() is None, reason="needs redis-server"),
]


@pytest.fixture
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), durable=True, fsync="everysec")
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def test_a_replica_logs_the_outage_once_and_catches_up_when_redis_returns(
    database_url: str, redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tandem.authz")
    watcher = RedisWatcher(redis.url, new_channel(), reconnect_delay=0.05, max_reconnect_delay=0.2)
    async with (
        replica_sync(database_url, LocalWatcher()) as a,  # hears nothing from b, nor b from it
        replica_sync(database_url, watcher) as b,
    ):
        redis.kill()
        await until(lambda: watcher.outage.failures >= 4, 20)  # lost, then 3 attempts
        await a.changed(await a.store.add(EMAIL_DENY, author="alice"))  # b cannot hear it
        redis.start()
        await until(lambda: b.enforcer.revision == 2, 20)  # resubscribed, then checked
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "Redis for policy notices unavailable" in m]) == 1
    [back] = [m for m in messages if "Redis for policy notices reachable again" in m]
    assert "failed call(s)" in back
    assert not [r for r in caplog.records if r.exc_info], caplog.text
