"""The replica's one pub/sub connection (``gateway/subscriptions/channels.py``) on the real
Redis: channels subscribed to at the same moment (a connection's ended-caller watch and its
first subscription's events) are all read, each listener gets its channel's messages, and a
channel left gets nothing more."""

from __future__ import annotations

import asyncio
import uuid

from gateway.subscriptions.channels import Channels
from tests.auth.test_sso_support import redis_url

__all__ = ["redis_url"]  # a fixture this module uses


async def _received(queue: asyncio.Queue[bytes]) -> bytes:
    async with asyncio.timeout(10):
        return await queue.get()


def test_channels_subscribed_at_once_are_all_read(redis_url: str) -> None:
    prefix = f"tandem-test-channels-{uuid.uuid4().hex[:12]}:"
    names = [f"{prefix}{n}" for n in range(5)]

    async def scenario() -> tuple[list[bytes], bool]:
        channels = Channels(redis_url)
        queues: dict[str, asyncio.Queue[bytes]] = {name: asyncio.Queue() for name in names}
        try:
            # before the fix, each concurrent first subscribe opened its own connection and
            # only the last one was read
            await asyncio.gather(*(channels.listen(n, queues[n].put_nowait) for n in names))
            for name in names:
                await channels.publish(name, name.encode())
            got = [await _received(queues[name]) for name in names]
            await channels.unlisten(names[0], queues[names[0]].put_nowait)
            await channels.publish(names[0], b"after")
            await channels.publish(names[1], b"marker")  # delivered in order after "after"
            await _received(queues[names[1]])
            return got, queues[names[0]].empty()
        finally:
            await channels.aclose()

    got, left_empty = asyncio.run(scenario())
    assert got == [name.encode() for name in names]
    assert left_empty
