"""The outbox as a live feed: what a GraphQL subscription of a subgraph reads.

Subscriptions are served from the outbox table, not from the bus: the table is the durable,
ordered record of what happened (an event exists if and only if its change committed, see
:mod:`subgraphs.common.events.outbox`), shared by every replica of the service, and it keeps
what a subscriber missed while it was away. Each event's outbox id is its **cursor**: a
subscriber that reconnects with the last id it saw (:meth:`OutboxFeed.follow` ``after``) gets
the events after it, then the live ones, none twice.

One :class:`OutboxFeed` per process and outbox tails the table for all its subscribers (one
query per ``poll_interval``, sooner after :meth:`OutboxFeed.notify`), and hands every new row
of its topics to each subscriber's queue; a subscriber filters what it may see.

Order and late commits: rows are read in ``(created_at, id)`` order. ``created_at`` is taken
when the event is added, not when its transaction commits, so a row may become visible after
rows newer than it were read. The tail therefore looks back ``grace`` seconds on every poll
and delivers such a row when it appears (no loss while a transaction takes less than
``grace`` from adding its event to committing); a *replay* after a cursor starts strictly
after the cursor's ``created_at``, so a row that committed more than ``grace`` late and older
than the cursor is not replayed. Confirmed rows pruned by
:meth:`~subgraphs.common.events.relay.OutboxRelay.prune` are gone: a cursor naming one is
unknown (:class:`UnknownCursor`), and the subscriber must start afresh.

Standing: a subscriber whom HR deactivates must receive nothing committed after that. Rather
than every subscriber asking the database about its caller at every event, a feed given a
``standing`` read (a value that changes whenever anyone's standing may have: who is active)
takes it once per read of new rows, after them, and hands it on with each of those events
(:meth:`OutboxFeed.follow_stamped`): a deactivation committed before an event's commit is
seen by a read made after that event was, so a subscriber asks again about its caller only
when the value differs from the one of its last check (``subgraphs/common/live.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Sequence,
)
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events.outbox import OutboxEvent, outbox_table
from tandem_shared.db import transaction

__all__ = [
    "QUEUE_LIMIT",
    "UNKNOWN_STANDING",
    "OutboxFeed",
    "SlowSubscriber",
    "Standing",
    "UnknownCursor",
]

logger = logging.getLogger(__name__)

QUEUE_LIMIT: Final = 10_000
"""Events a subscriber may fall behind by before its subscription is ended (SlowSubscriber)."""
Standing = Callable[[AsyncSession], Awaitable[Hashable]]
"""Reads a value that differs whenever anyone's standing (active or deactivated) may differ."""
UNKNOWN_STANDING: Final[Hashable] = object()
"""The stamp of an event when the feed reads no standing: ask about the caller every time."""
_Stamped = tuple[OutboxEvent, Hashable]


class UnknownCursor(ValueError):
    """The cursor names no event of the outbox (never did, or pruned since)."""


class SlowSubscriber(RuntimeError):
    """A subscriber fell more than :data:`QUEUE_LIMIT` events behind; its feed ended."""


class _Listener:
    def __init__(self, topics: frozenset[str]) -> None:
        self.topics = topics
        self.queue: asyncio.Queue[_Stamped | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, event: OutboxEvent, standing: Hashable) -> None:
        if event.topic not in self.topics or self.overflowed:
            return
        try:
            self.queue.put_nowait((event, standing))
        except asyncio.QueueFull:
            self.overflowed = True


class OutboxFeed:
    """The events of ``topics`` in outbox ``table`` as they commit; see the module docstring."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: str,
        topics: Iterable[str],
        *,
        poll_interval: float = 0.1,
        grace: float = 2.0,
        batch_size: int = 500,
        standing: Standing | None = None,
    ) -> None:
        if poll_interval <= 0 or grace < 0 or batch_size < 1:
            raise ValueError("poll_interval and batch_size must be positive, grace not negative")
        self.sessions = sessions
        self.topics = frozenset(topics)
        self.poll_interval = poll_interval
        self.grace = timedelta(seconds=grace)
        self.batch_size = batch_size
        self._standing = standing
        self._table: Table = outbox_table(table)
        self._listeners: set[_Listener] = set()
        self._wake = asyncio.Event()
        self._tail: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._watermark: tuple[datetime, uuid.UUID] | None = None
        self._recent: dict[uuid.UUID, datetime] = {}

    def notify(self) -> None:
        """Read the table soon: call after committing a transaction that added events."""
        self._wake.set()

    async def follow(
        self, topics: Iterable[str], *, after: str | None = None
    ) -> AsyncGenerator[OutboxEvent, None]:
        """The events of ``topics`` after the event ``after`` (its outbox id; None: from now),
        then every new one as it commits, until the caller stops iterating.

        Raises :class:`UnknownCursor` for an ``after`` that names no event of the outbox, and
        :class:`SlowSubscriber` when the caller stops reading for too long.
        """
        async for event, _ in self.follow_stamped(topics, after=after):
            yield event

    async def follow_stamped(
        self, topics: Iterable[str], *, after: str | None = None
    ) -> AsyncGenerator[_Stamped, None]:
        """:meth:`follow`'s events, each with the standing read after it was
        (:data:`UNKNOWN_STANDING` when the feed reads none)."""
        wanted = frozenset(topics) & self.topics
        cursor = None if after is None else await self._cursor(after)
        listener = _Listener(wanted)
        self._listeners.add(listener)
        try:
            await self._ensure_tail()
            replayed: set[uuid.UUID] = set()
            if cursor is not None:
                async for stamped in self._since(cursor, wanted):
                    replayed.add(uuid.UUID(stamped[0].id))
                    yield stamped
            while True:
                if listener.overflowed and listener.queue.empty():
                    raise SlowSubscriber("the subscriber fell too far behind its events")
                live = await listener.queue.get()
                if live is None:
                    return
                if replayed and uuid.UUID(live[0].id) in replayed:
                    continue
                yield live
        finally:
            self._listeners.discard(listener)

    async def close(self) -> None:
        """Stop tailing and end every subscriber's feed."""
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail
            self._tail = None
        for listener in self._listeners:
            try:
                listener.queue.put_nowait(None)
            except asyncio.QueueFull:
                listener.overflowed = True

    async def _ensure_tail(self) -> None:
        """Start the tail unless it runs; return once its starting point is set, so every event
        that commits after the caller registered reaches the caller's queue."""
        if self._tail is None or self._tail.done():
            self._started = asyncio.Event()
            self._tail = asyncio.create_task(self._run(), name=f"feed {self._table.name}")
        await self._started.wait()
        if self._tail.done() and not self._tail.cancelled():
            error = self._tail.exception()
            if error is not None:  # it could not even start (the database is away)
                raise error

    async def _run(self) -> None:
        """Tail the table while anyone listens; a later subscriber starts it afresh."""
        try:
            self._watermark = await self._newest()
        finally:
            self._started.set()
        while self._listeners:
            try:
                full = await self._poll()
            except Exception:  # the database is away for a moment: keep the feed alive
                logger.warning("reading %s failed; retrying", self._table.name, exc_info=True)
                full = False
            if full:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()

    async def _newest(self) -> tuple[datetime, uuid.UUID]:
        """Where the tail starts: after the newest row; the rows of the grace window already
        visible are history too (noted as seen), so only rows that commit from now on are
        handed out, late ones included."""
        table = self._table
        async with transaction(self.sessions) as session:
            newest = await session.scalar(select(func.max(table.c.created_at)))
            start = newest if newest is not None else datetime(1970, 1, 1).astimezone()
            visible = await session.execute(
                select(table.c.id, table.c.created_at).where(
                    table.c.created_at > start - self.grace
                )
            )
            self._recent = {row.id: row.created_at for row in visible}
        return start, uuid.UUID(int=(1 << 128) - 1)  # after every row of that instant

    async def _poll(self) -> bool:
        """Hand the rows that appeared since the last poll to the listeners; True when a
        whole batch came (more may be waiting)."""
        assert self._watermark is not None
        table = self._table
        since = self._watermark[0] - self.grace
        async with transaction(self.sessions) as session:
            ids = (
                await session.execute(
                    select(table.c.id, table.c.created_at)
                    .where(table.c.created_at > since, table.c.topic.in_(sorted(self.topics)))
                    .order_by(table.c.created_at, table.c.id)
                    .limit(self.batch_size + len(self._recent))
                )
            ).all()
            new = [row.id for row in ids if row.id not in self._recent]
            rows: Sequence[Any] = []
            if new:
                rows = (
                    await session.execute(
                        select(table)
                        .where(table.c.id.in_(new[: self.batch_size]))
                        .order_by(table.c.created_at, table.c.id)
                    )
                ).all()
            standing = await self._standing_now(session) if rows else UNKNOWN_STANDING
        for row in rows:
            self._recent[row.id] = row.created_at
            event = OutboxEvent.from_row(row)
            for listener in list(self._listeners):
                listener.offer(event, standing)
            if (row.created_at, row.id) > self._watermark:
                self._watermark = (row.created_at, row.id)
        horizon = self._watermark[0] - self.grace
        self._recent = {key: at for key, at in self._recent.items() if at > horizon}
        return len(new) > self.batch_size

    async def _standing_now(self, session: AsyncSession) -> Hashable:
        """The standing, read after the rows just read (module docstring)."""
        return UNKNOWN_STANDING if self._standing is None else await self._standing(session)

    async def _cursor(self, after: str) -> tuple[datetime, uuid.UUID]:
        try:
            event_id = uuid.UUID(after)
        except ValueError:
            raise UnknownCursor(after) from None
        table = self._table
        async with transaction(self.sessions) as session:
            created_at = await session.scalar(
                select(table.c.created_at).where(
                    table.c.id == event_id, table.c.topic.in_(sorted(self.topics))
                )
            )
        if created_at is None:
            raise UnknownCursor(after)
        return created_at, event_id

    async def _since(
        self, cursor: tuple[datetime, uuid.UUID], topics: frozenset[str]
    ) -> AsyncIterator[_Stamped]:
        """The committed events of ``topics`` after ``cursor``, in pages, oldest first, each
        with the standing read after its page."""
        table = self._table
        position = cursor
        while True:
            async with transaction(self.sessions) as session:
                rows = (
                    await session.execute(
                        select(table)
                        .where(
                            tuple_(table.c.created_at, table.c.id) > position,
                            table.c.topic.in_(sorted(topics)),
                        )
                        .order_by(table.c.created_at, table.c.id)
                        .limit(self.batch_size)
                    )
                ).all()
                standing = await self._standing_now(session) if rows else UNKNOWN_STANDING
            for row in rows:
                yield OutboxEvent.from_row(row), standing
            if len(rows) < self.batch_size:
                return
            position = (rows[-1].created_at, rows[-1].id)
