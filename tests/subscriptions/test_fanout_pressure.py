"""The fan-out (``gateway/subscriptions/fanout.py``) on the real Redis when its commands wait
for a connection: many upstream subscriptions publishing at once through a pool of two
connections that gives up on a command after 50 ms. A command refused that way used to end
the owner's upstream subscription, which the replica then opened again from its start: the
benchmark's subscriptions received their events twice, or never completed. Each upstream
subscription must be opened once and every event delivered once, in order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from gateway.subscriptions.channels import Channels
from gateway.subscriptions.fanout import Fanout
from tests.auth.test_sso_support import delete_prefix, redis_url

__all__ = ["redis_url"]  # a fixture this module uses

SUBSCRIPTIONS = 200
EVENTS = 30


class Upstreams:
    """The upstream subscriptions: each, once opened, waits until all are, then sends
    ``EVENTS`` events as fast as they are taken (all at once: the pool's busiest)."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.started = {f"s{i}": asyncio.Event() for i in range(SUBSCRIPTIONS)}
        self.everyone = asyncio.Event()

    async def ticks(self, name: str) -> AsyncGenerator[dict[str, Any], None]:
        self.opened.append(name)
        self.started[name].set()
        if len(set(self.opened)) == SUBSCRIPTIONS:
            self.everyone.set()
        await self.everyone.wait()
        for n in range(1, EVENTS + 1):
            await asyncio.sleep(0)
            yield {"n": n}


def test_every_event_once_when_redis_commands_wait(redis_url: str) -> None:
    prefix = f"tandem-test-fanout-{uuid.uuid4().hex[:12]}:"
    upstreams = Upstreams()

    async def subscriber(fanout: Fanout, name: str) -> list[int]:
        return [
            event["n"] async for event in fanout.events(name, lambda _after: upstreams.ticks(name))
        ]

    async def scenario() -> list[list[int]]:
        channels = Channels(redis_url, connections=2, wait=0.05)
        fanout = Fanout(channels, prefix=prefix, lease=2.0)
        try:
            async with asyncio.timeout(60):  # a stalled subscription never ends otherwise
                running = []
                for name in upstreams.started:  # one after the other: none refused at start
                    running.append(asyncio.create_task(subscriber(fanout, name)))
                    await upstreams.started[name].wait()
                return await asyncio.gather(*running)
        finally:
            await fanout.aclose()
            await channels.aclose()

    try:
        received = asyncio.run(scenario())
    finally:
        delete_prefix(redis_url, prefix)
    assert received == [list(range(1, EVENTS + 1))] * SUBSCRIPTIONS
    assert sorted(upstreams.opened) == sorted(upstreams.started)


def test_an_owner_cut_off_from_redis_past_its_lease_keeps_its_upstream(redis_url: str) -> None:
    """The pool's one command connection held by a blocking command for four leases: renewals and
    publishes are refused meanwhile, the lease lapses; nobody else took it, so the owner takes
    it back and goes on with the same upstream subscription (it used to open it again)."""
    prefix = f"tandem-test-fanout-{uuid.uuid4().hex[:12]}:"
    opened: list[int] = []
    blocking = asyncio.Event()

    async def ticks() -> AsyncGenerator[dict[str, Any], None]:
        opened.append(len(opened) + 1)
        for n in range(1, 11):
            if n == 4:
                await blocking.wait()  # events from 4 on come while Redis refuses commands
            yield {"n": n}

    async def scenario() -> list[int]:
        channels = Channels(redis_url, connections=2, wait=0.05)  # one of them pub/sub's
        fanout = Fanout(channels, prefix=prefix, lease=0.3)
        received: list[int] = []
        try:
            async with asyncio.timeout(30):
                async for event in fanout.events("cut-off", lambda _after: ticks()):
                    received.append(event["n"])
                    if event["n"] == 3:
                        hold = asyncio.create_task(
                            channels.redis.blpop([f"{prefix}nothing"], timeout=1.2)
                        )
                        await asyncio.sleep(0.1)  # the BLPOP has the connection
                        blocking.set()
                    if event["n"] == 10:
                        await hold
                        break
        finally:
            await fanout.aclose()
            await channels.aclose()
        return received

    try:
        received = asyncio.run(scenario())
    finally:
        delete_prefix(redis_url, prefix)
    assert received == list(range(1, 11))
    assert opened == [1]  # the upstream subscription was opened once
