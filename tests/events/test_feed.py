"""The outbox as a live feed (``subgraphs/common/events/feed.py``), on PostgreSQL and SQLite:
events after a cursor then live ones, none twice, none of other topics; a late commit within
the grace window still delivered; an unknown cursor refused; each event with the standing
read after it.

Each test follows ``after`` a cursor it made, so no event can pass before the feed listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Hashable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events import add_event
from subgraphs.common.events.feed import UNKNOWN_STANDING, OutboxFeed, UnknownCursor
from subgraphs.common.events.outbox import outbox_table
from tandem_shared.db import transaction
from tests.events.conftest import MakeDatabase
from tests.events.shop import OUTBOX, TOPIC, Sessions, approve

pytestmark = pytest.mark.anyio

OTHER = "purchase.rejected"
TIMEOUT = 30.0  # a bound on failure, not a measure


async def take(events: AsyncGenerator[Any, None], count: int) -> list[Any]:
    return [await asyncio.wait_for(anext(events), TIMEOUT) for _ in range(count)]


async def other_event(sessions: Sessions, key: str) -> str:
    async with transaction(sessions) as session:
        return await add_event(session, OTHER, key, {"request": key}, table=OUTBOX)


async def test_after_a_cursor_come_the_missed_events_then_live_ones_none_twice(
    make_database: MakeDatabase,
) -> None:
    database = await make_database()
    feed = OutboxFeed(database.sessions, OUTBOX, [TOPIC, OTHER], poll_interval=0.05)
    cursor = await approve(database.sessions, "PR-0")
    missed = [await approve(database.sessions, f"PR-{n}") for n in (1, 2)]
    await other_event(database.sessions, "PR-X")  # another topic: not followed here
    events = feed.follow([TOPIC], after=cursor)
    try:
        replayed = await take(events, 2)
        live = [await approve(database.sessions, f"PR-{n}") for n in (3, 4)]
        await approve(database.sessions, "PR-5")
        arrived = await take(events, 3)
    finally:
        await events.aclose()
        await feed.close()
    assert [event.id for event in replayed] == missed
    assert [event.id for event in arrived[:2]] == live
    assert [event.key for event in replayed + arrived] == [f"PR-{n}" for n in range(1, 6)]


async def test_a_replay_overlapping_the_live_tail_delivers_each_event_once(
    make_database: MakeDatabase,
) -> None:
    """The tail already runs (another subscriber) when a second one replays from an old
    cursor: the events both the replay and the tail see arrive once."""
    database = await make_database()
    feed = OutboxFeed(database.sessions, OUTBOX, [TOPIC], poll_interval=0.05)
    start = await approve(database.sessions, "PR-0")
    first = feed.follow([TOPIC], after=start)
    second = None
    try:
        ids = [await approve(database.sessions, f"PR-{n}") for n in range(1, 4)]
        assert [event.id for event in await take(first, 3)] == ids  # the tail has seen them
        second = feed.follow([TOPIC], after=start)
        assert [event.id for event in await take(second, 3)] == ids
        last = await approve(database.sessions, "PR-4")
        assert [event.id for event in await take(second, 1)] == [last]
        assert [event.id for event in await take(first, 1)] == [last]
    finally:
        await first.aclose()
        if second is not None:
            await second.aclose()
        await feed.close()


async def test_an_event_committed_late_within_the_grace_window_is_delivered(
    make_postgres: MakeDatabase,
) -> None:
    """A transaction adds its event, a newer one commits and is delivered, then the first
    commits: its event (older ``created_at``) still arrives (PostgreSQL: two writers)."""
    database = await make_postgres()
    feed = OutboxFeed(database.sessions, OUTBOX, [TOPIC], poll_interval=0.05, grace=30.0)
    start = await approve(database.sessions, "PR-0")
    events = feed.follow([TOPIC], after=start)
    try:
        async with transaction(database.sessions) as slow:
            late = await add_event(slow, TOPIC, "PR-late", {"request": "PR-late"}, table=OUTBOX)
            early = await approve(database.sessions, "PR-early")
            assert [event.id for event in await take(events, 1)] == [early]
        assert [event.id for event in await take(events, 1)] == [late]
    finally:
        await events.aclose()
        await feed.close()


async def test_an_unknown_cursor_is_refused(make_database: MakeDatabase) -> None:
    database = await make_database()
    feed = OutboxFeed(database.sessions, OUTBOX, [TOPIC])
    other = await other_event(database.sessions, "PR-X")  # a topic the feed does not serve
    try:
        for cursor in ("not-a-uuid", "00000000-0000-4000-8000-000000000000", other):
            events = feed.follow([TOPIC], after=cursor)
            with pytest.raises(UnknownCursor):
                await anext(events)
    finally:
        await feed.close()


async def test_each_event_comes_with_the_standing_read_after_it(
    make_database: MakeDatabase,
) -> None:
    """What a subscription rechecks its caller by (``subgraphs/common/live.py``): a change
    committed before an event is in that event's standing, replayed or live; events with no
    change between them share one. Here the standing counts the events of another topic."""
    database = await make_database()
    table = outbox_table(OUTBOX)

    async def standing(session: AsyncSession) -> Hashable:
        return await session.scalar(select(func.count()).where(table.c.topic == OTHER))

    feed = OutboxFeed(database.sessions, OUTBOX, [TOPIC], poll_interval=0.05, standing=standing)
    cursor = await approve(database.sessions, "PR-0")
    await other_event(database.sessions, "change-1")
    await approve(database.sessions, "PR-1")
    events = feed.follow_stamped([TOPIC], after=cursor)
    try:
        (replayed,) = await take(events, 1)
        await approve(database.sessions, "PR-2")
        (unchanged,) = await take(events, 1)
        await other_event(database.sessions, "change-2")
        await approve(database.sessions, "PR-3")
        (changed,) = await take(events, 1)
    finally:
        await events.aclose()
        await feed.close()
    assert [event.key for event, _ in (replayed, unchanged, changed)] == ["PR-1", "PR-2", "PR-3"]
    assert [standing for _, standing in (replayed, unchanged, changed)] == [1, 1, 2]
    without = OutboxFeed(database.sessions, OUTBOX, [TOPIC])
    plain = without.follow_stamped([TOPIC], after=cursor)
    try:
        assert (await take(plain, 1))[0][1] is UNKNOWN_STANDING  # ask every time
    finally:
        await plain.aclose()
        await without.close()
