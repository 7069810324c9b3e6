"""What a subgraph's subscription resolvers share: the process's outbox feed, read for the
caller, with its failures as coded GraphQL errors.

A subgraph's lifespan opens one :class:`~subgraphs.common.events.feed.OutboxFeed` over its
outbox (:func:`running_feed`) and puts it into the context as ``feed``; a subscription field
iterates :func:`follow` and keeps the events its caller may see. Each event's ``cursor`` (its
outbox id) is what a reconnecting client passes as ``after`` to get what it missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput, Conflict
from subgraphs.common.events.feed import (
    UNKNOWN_STANDING,
    OutboxFeed,
    SlowSubscriber,
    Standing,
    UnknownCursor,
)
from subgraphs.common.events.outbox import OutboxEvent
from subgraphs.common.identity import current_principal
from subgraphs.common.standing import refuse_if_deactivated
from tandem_shared.tokens import Principal

__all__ = [
    "AFTER_DESCRIPTION",
    "CURSOR_DESCRIPTION",
    "FEED_CONTEXT_KEY",
    "admitted",
    "follow",
    "notify_feed",
    "running_feed",
]

FEED_CONTEXT_KEY: Final = "feed"
CURSOR_DESCRIPTION: Final = (
    "This event's cursor: pass it as `after` when resubscribing to get what came since."
)
"""The schema description of every subscription event's ``cursor`` field."""
AFTER_DESCRIPTION: Final = (
    "Resume after this event cursor (the last one received); omit to start from now."
)
"""The schema description of every subscription field's ``after`` argument."""


@asynccontextmanager
async def running_feed(
    sessions: async_sessionmaker[AsyncSession],
    table: str,
    topics: Iterable[str],
    standing: Standing | None = None,
) -> AsyncIterator[OutboxFeed]:
    """The feed of ``topics`` in outbox ``table`` while the app runs, reading ``standing``
    with its events (:mod:`subgraphs.common.events.feed`); closed on exit (which ends every
    running subscription)."""
    feed = OutboxFeed(sessions, table, topics, standing=standing)
    try:
        yield feed
    finally:
        await feed.close()


def notify_feed(info: Info[Any, Any]) -> None:
    """Tell this process's feed that a transaction with events committed (read it now)."""
    feed = info.context.get(FEED_CONTEXT_KEY) if isinstance(info.context, dict) else None
    if isinstance(feed, OutboxFeed):
        feed.notify()


async def admitted(info: Info[Any, Any]) -> Principal:
    """The caller of a subscription that reads anything before :func:`follow` (a request's
    visibility, an order): ``UNAUTHENTICATED`` or ``EMPLOYEE_DEACTIVATED`` before that read,
    so a deactivated person cannot tell what exists from what the read answers."""
    principal = current_principal(info)
    await refuse_if_deactivated(info.context, principal)
    return principal


async def follow(
    info: Info[Any, Any], topics: Iterable[str], after: str | None
) -> AsyncGenerator[OutboxEvent, None]:
    """The events of ``topics`` after cursor ``after`` (None: from now on), then live ones,
    for a signed-in caller (``UNAUTHENTICATED`` otherwise). An unknown cursor is
    ``BAD_USER_INPUT`` (field ``after``); a subscriber far behind its events ends with
    ``CONFLICT``, to resubscribe from its last cursor. A caller HR deactivates ends with
    ``EMPLOYEE_DEACTIVATED`` at the next event (:mod:`subgraphs.common.standing`): the
    caller's standing is read again when the standing the feed read with an event differs
    from the one of the last check (anyone's changed, or the feed reads none), not for every
    event, which cost every subscriber a database read per event."""
    principal = current_principal(info)
    await refuse_if_deactivated(info.context, principal)
    feed: OutboxFeed = info.context[FEED_CONTEXT_KEY]
    checked: Hashable = UNKNOWN_STANDING  # the first event's standing is read after the check
    try:
        async for event, standing in feed.follow_stamped(topics, after=after):
            if standing is UNKNOWN_STANDING or standing != checked:
                await refuse_if_deactivated(info.context, principal)
                checked = standing
            yield event
    except UnknownCursor:
        raise BadUserInput(
            "No event has this cursor (unknown, or pruned): subscribe again without `after`.",
            field="after",
        ) from None
    except SlowSubscriber:
        raise Conflict(
            "The subscription fell too far behind its events; resubscribe with the last cursor.",
        ) from None
