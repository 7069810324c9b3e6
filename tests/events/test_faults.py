"""Faults against the real PostgreSQL and Redis, each ending with exactly one order per approved
request: a consumer process SIGKILLed between committing its effect and acknowledging the
entry, and a (private) Redis server killed and restarted mid-run, with and without
persistence."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from subgraphs.common.events import RedisStreamBus, outbox_table
from subgraphs.common.events.inbox import was_processed
from tandem_shared.db import transaction
from tests.events.conftest import Database, MakeDatabase
from tests.events.shop import (
    GROUP,
    OUTBOX,
    TOPIC,
    approve_many,
    consumer_worker,
    exactly_once,
    order_counts,
    relay_worker,
    wait_settled,
    wait_until,
)
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.anyio

REPO_ROOT = Path(__file__).resolve().parents[2]


class ConsumerProcess:
    """``tests.events.consumer_process`` running as a child process."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    async def expect(self, word: str, timeout: float = 20.0) -> str:
        """The rest of the next output line starting with ``word``."""
        assert self.process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            except TimeoutError:
                raise AssertionError(f"no {word} line; log:\n{self.log.read_text()}") from None
            if not line:
                raise AssertionError(f"the consumer exited; log:\n{self.log.read_text()}")
            text = line.decode().strip()
            if text.split(" ", 1)[0] == word:
                return text.partition(" ")[2]

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, connections dropped by the kernel."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@asynccontextmanager
async def consumer_process(
    database: Database, redis_url: str, prefix: str, name: str, folder: Path, *args: str
) -> AsyncIterator[ConsumerProcess]:
    log = folder / f"{name}-{len(list(folder.glob('*.log')))}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.events.consumer_process",
            "--database", database.url,
            "--redis", redis_url,
            "--prefix", prefix,
            "--name", name,
            *args,
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    child = ConsumerProcess(process, log)
    try:
        await child.expect("READY")
        yield child
    finally:
        await child.kill()


@pytest.mark.parametrize(
    "successor", ["c1", "c2"], ids=["restarted-same-consumer", "another-consumer-claims"]
)
async def test_a_consumer_killed_after_its_commit_before_its_ack_applies_the_event_once(
    successor: str,
    make_postgres: MakeDatabase,
    make_redis_bus: Callable[..., RedisStreamBus],
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    producer, consumer = await make_postgres(), await make_postgres()
    bus = make_redis_bus(visibility_timeout=1.0)

    # re-publication far away: recovery must come from the stream's pending entries
    async with relay_worker(producer.sessions, bus, redelivery_after=60):
        requests = await approve_many(producer.sessions, 30)
        async with consumer_process(
            consumer, redis_url, redis_prefix, "c1", tmp_path, "--hang-at", "5"
        ) as victim:
            hung_on = await victim.expect("HUNG")
            async with transaction(consumer.sessions) as session:
                assert await was_processed(session, GROUP, hung_on)  # the effect committed
            assert await bus.pending_count(TOPIC, GROUP) >= 1  # the entry was never acked
            await victim.kill()
        assert sum((await order_counts(consumer.sessions)).values()) == 5

        async with consumer_process(consumer, redis_url, redis_prefix, successor, tmp_path):
            await wait_settled(producer.sessions, consumer.sessions, requests)
            await wait_until(
                lambda: _no_pending(bus), what="every stream entry acknowledged", timeout=5
            )

    assert exactly_once(await order_counts(consumer.sessions), requests)


@pytest.mark.parametrize("durable", [True, False], ids=["aof", "no-persistence"])
async def test_redis_restarted_mid_run_loses_no_event_and_duplicates_none(
    durable: bool,
    make_postgres: MakeDatabase,
    private_redis: Callable[..., RedisServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    producer, consumer = await make_postgres(), await make_postgres()
    server = private_redis(durable)

    def outages() -> int:  # the relay's (and consumer's) loops report each outage once
        return sum(": unavailable (" in record.getMessage() for record in caplog.records)

    bus = RedisStreamBus(server.url, prefix="tandem-test:", visibility_timeout=1.0)
    relay = relay_worker(producer.sessions, bus, redelivery_after=1.0)
    try:
        await relay.start()
        # 1. steady state
        async with consumer_worker(consumer.sessions, bus):
            first = await approve_many(producer.sessions, 30)
            await wait_settled(producer.sessions, consumer.sessions, first)
        first_entry = await _first_entry(bus)

        # 2. a backlog in the stream only (consumer down), then Redis dies and comes back
        backlog = await approve_many(producer.sessions, 30, start=30)
        await wait_until(lambda: _published(producer, backlog), what="backlog published")
        seen = outages()
        server.kill()
        during = await approve_many(producer.sessions, 30, start=60)  # commits regardless
        await wait_until(lambda: _at_least(outages, seen + 1), what="the relay finding Redis gone")
        server.start()
        async with consumer_worker(consumer.sessions, bus):
            await wait_settled(producer.sessions, consumer.sessions, first + backlog + during)

            # 3. Redis dies under a running consumer and relay
            seen = outages()
            server.kill()
            late = await approve_many(producer.sessions, 20, start=90)
            await wait_until(lambda: _at_least(outages, seen + 1), what="Redis found gone again")
            server.start()
            later = await approve_many(producer.sessions, 10, start=110)
            everything = first + backlog + during + late + later
            await wait_settled(producer.sessions, consumer.sessions, everything)
    finally:
        await relay.stop(grace=1)
        await bus.close()

    assert exactly_once(await order_counts(consumer.sessions), everything)
    reader = RedisStreamBus(server.url, prefix="tandem-test:")
    try:
        survived = await _first_entry(reader) == first_entry
    finally:
        await reader.close()
    if durable:  # the stream survived both kills: the backlog was read from it
        assert survived
    else:  # the stream was lost: the relay re-published the backlog from the outbox
        assert not survived
        assert min(await _attempts(producer, backlog)) >= 2


async def _no_pending(bus: RedisStreamBus) -> bool:
    return await bus.pending_count(TOPIC, GROUP) == 0


async def _first_entry(bus: RedisStreamBus) -> str:
    [(message_id, _fields)] = await bus._redis.xrange(bus.stream(TOPIC), count=1)
    return str(message_id)


async def _attempts(database: Database, requests: list[str]) -> list[int]:
    table = outbox_table(OUTBOX)
    async with transaction(database.sessions) as session:
        rows = await session.execute(select(table.c.attempts).where(table.c.key.in_(requests)))
    return [attempts for (attempts,) in rows]


async def _published(database: Database, requests: list[str]) -> bool:
    return min(await _attempts(database, requests)) >= 1


async def _at_least(count: Callable[[], int], minimum: int) -> bool:
    return count() >= minimum
