"""The fake shop's consumer as a process of its own, for tests that SIGKILL it.

``python -m tests.events.consumer_process --database URL --redis URL --prefix P --name C``
consumes ``purchase.approved`` as group ``erp`` and prints ``READY`` once it reads. With
``--hang-at K`` its K-th acknowledgement never happens: the effect and the receipt are
committed, the stream entry stays pending, and it prints ``HUNG <event id>`` and waits to
be killed. SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from subgraphs.common.events import Delivery, EventConsumer, EventWorker, RedisStreamBus
from tandem_shared.db import create_engine, create_session_factory
from tests.events.buses import HangBeforeAckBus, WrappedBus
from tests.events.shop import GROUP, TOPIC, create_order


class ReadyBus(WrappedBus):
    """Prints READY after the first read returns (the group exists by then)."""

    ready = False

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        deliveries = await super().read(topic, group, consumer, count=count, block=block)
        if not self.ready:
            self.ready = True
            print("READY", flush=True)
        return deliveries


async def main(arguments: argparse.Namespace) -> None:
    engine = create_engine(arguments.database)
    redis = RedisStreamBus(
        arguments.redis, prefix=arguments.prefix, visibility_timeout=arguments.visibility
    )
    hanging = None
    if arguments.hang_at is not None:
        hanging = HangBeforeAckBus(redis, hang_at=arguments.hang_at)
    bus = ReadyBus(hanging or redis)
    consumer = EventConsumer(
        create_session_factory(engine),
        bus,
        topic=TOPIC,
        group=GROUP,
        handler=create_order,
        name=arguments.name,
        block=0.1,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with EventWorker(consumers=[consumer]):
        if hanging is not None:
            await hanging.hung.wait()
            print("HUNG", hanging.hung_on, flush=True)
        await stop.wait()
    await redis.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--visibility", type=float, default=1.0)
    parser.add_argument("--hang-at", type=int, default=None)
    asyncio.run(main(parser.parse_args()))
