"""Both buses keep the same promises: groups, pending deliveries, the visibility timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from subgraphs.common.events import (
    BusUnavailable,
    Delivery,
    EventBus,
    InProcessBus,
    RedisStreamBus,
)
from tests.support.redis_server import closed_port_url

pytestmark = pytest.mark.anyio

MakeBus = Callable[[], EventBus]


@pytest.fixture(params=["memory", "redis"])
def make_bus(request: pytest.FixtureRequest) -> MakeBus:
    """Makes handles on ONE bus: for Redis each is a new client (as another process would
    have), for the in-process bus the same object (a process has only one)."""
    if request.param == "memory":
        bus = InProcessBus(visibility_timeout=0.3)
        return lambda: bus
    make_redis_bus = request.getfixturevalue("make_redis_bus")
    return lambda: make_redis_bus(visibility_timeout=0.3)


async def drain(bus: EventBus, group: str, consumer: str, *, block: float = 0.05) -> list[str]:
    """Event ids of everything ``consumer`` reads until a read comes back empty; acked."""
    ids: list[str] = []
    while deliveries := await bus.read("t", group, consumer, block=block):
        for delivery in deliveries:
            ids.append(delivery.event.id)
            await bus.ack(delivery)
    return ids


async def first_read(bus: EventBus, consumer: str, *, timeout: float = 15.0) -> list[Delivery]:
    """What ``consumer`` reads first, reading until something comes (a delivery left
    unacknowledged comes once the visibility timeout has passed, however long that took)."""
    deadline = time.monotonic() + timeout
    while not (deliveries := await bus.read("t", "g", consumer, block=0.05)):
        assert time.monotonic() < deadline, f"{consumer} read nothing in {timeout}s"
    return deliveries


async def test_an_event_arrives_as_it_was_published(make_bus: MakeBus) -> None:
    bus = make_bus()
    await bus.publish("t", "e1", {"amount": "12.50", "lines": [1, 2]}, key="PR-1", reply_to="r")

    [delivery] = await bus.read("t", "g", "c1", block=0.05)

    assert delivery.event.id == "e1"
    assert delivery.event.topic == "t"
    assert delivery.event.payload == {"amount": "12.50", "lines": [1, 2]}
    assert (delivery.event.key, delivery.event.reply_to) == ("PR-1", "r")
    assert (delivery.group, delivery.consumer, delivery.redelivered) == ("g", "c1", False)


async def test_every_group_sees_every_event_even_a_group_created_later(
    make_bus: MakeBus,
) -> None:
    bus = make_bus()
    for n in range(5):
        await bus.publish("t", f"e{n}", {"n": n})

    first = await drain(bus, "erp", "c1")
    later = await drain(bus, "audit", "c1")

    assert first == later == [f"e{n}" for n in range(5)]


async def test_within_a_group_each_event_goes_to_one_consumer(make_bus: MakeBus) -> None:
    bus = make_bus()
    for n in range(6):
        await bus.publish("t", f"e{n}", {"n": n})

    a = [d.event.id for d in await bus.read("t", "g", "a", count=3, block=0.05)]
    b = [d.event.id for d in await bus.read("t", "g", "b", count=3, block=0.05)]

    assert sorted(a + b) == [f"e{n}" for n in range(6)]
    assert not set(a) & set(b)


async def test_an_unacknowledged_delivery_goes_to_another_consumer_after_the_timeout(
    make_bus: MakeBus,
) -> None:
    bus = make_bus()
    await bus.publish("t", "e1", {})
    await bus.read("t", "g", "killed", block=0.05)

    assert await bus.read("t", "g", "other", block=0.05) == []
    [claimed] = await first_read(bus, "other")  # once the timeout has passed

    assert (claimed.event.id, claimed.consumer, claimed.redelivered) == ("e1", "other", True)
    await bus.ack(claimed)
    # a control read after that ack and never acknowledged: when it goes to another consumer,
    # the timeout has passed for e1 too, which would have gone with it
    await bus.publish("t", "control", {})
    await bus.read("t", "g", "killed", block=0.05)
    assert [d.event.id for d in await first_read(bus, "third")] == ["control"]


async def test_an_acknowledged_delivery_never_comes_back(make_bus: MakeBus) -> None:
    bus = make_bus()
    await bus.publish("t", "e1", {})
    [delivery] = await bus.read("t", "g", "c1", block=0.05)
    await bus.ack(delivery)
    await bus.publish("t", "control", {})  # read after e1's ack, never acknowledged
    [control] = await bus.read("t", "g", "c1", block=0.05)
    assert control.event.id == "control"

    [taken] = await first_read(bus, "c2")  # the control, once the timeout has passed: not e1
    assert (taken.event.id, taken.redelivered) == ("control", True)
    await bus.ack(taken)
    assert await make_bus().read("t", "g", "c1", block=0.05) == []
    assert await bus.read("t", "g", "c2", block=0.05) == []


async def test_a_read_waits_for_the_next_event(make_bus: MakeBus) -> None:
    bus = make_bus()
    started = time.monotonic()
    assert await bus.read("t", "g", "c1", block=0.2) == []
    assert time.monotonic() - started >= 0.15

    reading = asyncio.create_task(bus.read("t", "g", "c1", block=2.0))
    await asyncio.sleep(0.05)
    await make_bus().publish("t", "e1", {})
    [delivery] = await asyncio.wait_for(reading, 1.0)

    assert delivery.event.id == "e1"


async def test_a_restarted_redis_consumer_gets_its_own_pending_deliveries_at_once(
    make_redis_bus: Callable[..., RedisStreamBus],
) -> None:
    before = make_redis_bus(visibility_timeout=30)
    for n in range(3):
        await before.publish("t", f"e{n}", {})
    assert len(await before.read("t", "g", "c1", block=0.05)) == 3

    after = make_redis_bus(visibility_timeout=30)  # the same consumer, in a new process
    recovered = await after.read("t", "g", "c1", count=2, block=0.05)
    rest = await after.read("t", "g", "c1", count=2, block=0.05)

    assert [d.event.id for d in recovered + rest] == ["e0", "e1", "e2"]
    assert all(d.redelivered for d in recovered + rest)


async def test_a_lost_redis_group_is_created_again(
    make_redis_bus: Callable[..., RedisStreamBus],
) -> None:
    bus = make_redis_bus()
    await bus.publish("t", "e1", {})
    assert len(await bus.read("t", "g", "c1", block=0.05)) == 1

    await bus.delete_topics("t")  # what a restart without persistence does
    await bus.publish("t", "e2", {})

    assert [d.event.id for d in await bus.read("t", "g", "c1", block=0.05)] == ["e2"]


async def test_an_unreachable_redis_is_unavailable_not_an_error() -> None:
    bus = RedisStreamBus(closed_port_url(), socket_timeout=1.0)
    try:
        with pytest.raises(BusUnavailable):
            await bus.publish("t", "e1", {})
        with pytest.raises(BusUnavailable):
            await bus.read("t", "g", "c1", block=0.05)
    finally:
        await bus.close()


async def test_a_closed_in_process_bus_is_unavailable() -> None:
    bus = InProcessBus()
    await bus.close()

    with pytest.raises(BusUnavailable):
        await bus.publish("t", "e1", {})


@pytest.mark.parametrize("name", ["", "with space", "-leading", "x" * 201])
async def test_bad_names_are_refused(make_bus: MakeBus, name: str) -> None:
    with pytest.raises(ValueError):
        await make_bus().publish(name, "e1", {})
    with pytest.raises(ValueError):
        await make_bus().read("t", name, "c1", block=0.05)
