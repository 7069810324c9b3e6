"""The idempotent consumer: an event's effect and its "processed" record commit together.

:func:`handle_once` opens one transaction, records ``(consumer, event id)`` in the
``processed_events`` table, runs the handler in the same session and commits. A
redelivered event finds its record and the handler does not run again; a handler that
fails rolls the record back with its effect, so the event is handled on a later delivery.
Two deliveries of one event handled at the same moment (a consumer thought dead that is
only slow) cannot both run: on PostgreSQL the second insert waits for the first
transaction and then finds the record; on SQLite transactions are serialized.

Each consuming service creates the table in one of its migrations::

    from subgraphs.common.events.inbox import create_processed_events_table

    def upgrade() -> None:
        create_processed_events_table(op)

Keep the records at least as long as an event may be delivered again (the default is
to keep them; they are small).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events.bus import check_name
from tandem_shared.db import transaction
from tandem_shared.timestamps import AwareDateTime, utc_now

__all__ = [
    "PROCESSED_EVENTS_TABLE",
    "Effect",
    "create_processed_events_table",
    "handle_once",
    "processed_events_table",
    "was_processed",
]

PROCESSED_EVENTS_TABLE: Final = "processed_events"

Effect = Callable[[AsyncSession], Awaitable[None]]
"""The work of one event: it changes the database only through the session it is given."""

_METADATA = MetaData()
_TABLES: dict[str, Table] = {}


def _columns() -> list[Column[Any]]:
    return [
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(200), primary_key=True),
        Column("processed_at", AwareDateTime(), nullable=False),
    ]


def processed_events_table(
    table_name: str = PROCESSED_EVENTS_TABLE, metadata: MetaData | None = None
) -> Table:
    """The SQLAlchemy ``Table`` of the processed-events records (private ``MetaData`` unless
    one is given)."""
    check_name("processed events table", table_name)
    if metadata is not None:
        return Table(table_name, metadata, *_columns())
    table = _TABLES.get(table_name)
    if table is None:
        table = _TABLES[table_name] = Table(table_name, _METADATA, *_columns())
    return table


def create_processed_events_table(op: Any, table_name: str = PROCESSED_EVENTS_TABLE) -> None:
    """Create the processed-events table from an Alembic migration; (consumer, event_id) is
    its primary key, so one record per consumer and event."""
    check_name("processed events table", table_name)
    op.create_table(table_name, *_columns())


async def handle_once(
    sessions: async_sessionmaker[AsyncSession],
    consumer: str,
    event_id: str,
    handler: Effect,
    *,
    table: str = PROCESSED_EVENTS_TABLE,
) -> bool:
    """Run ``handler`` for ``event_id`` unless ``consumer`` already did; True if it ran.

    The record and the handler's changes commit in one transaction, or neither does (the
    handler's exception propagates). ``consumer`` is the logical consumer (the consumer
    group name, shared by its replicas).
    """
    check_name("consumer", consumer)
    async with transaction(sessions) as session:
        if not await _record(session, table, consumer, event_id):
            return False
        await handler(session)
    return True


async def was_processed(
    session: AsyncSession, consumer: str, event_id: str, *, table: str = PROCESSED_EVENTS_TABLE
) -> bool:
    """True if ``consumer`` has committed the effect of ``event_id``."""
    records = processed_events_table(table)
    found = await session.execute(
        select(records.c.event_id).where(
            records.c.consumer == consumer, records.c.event_id == event_id
        )
    )
    return found.first() is not None


async def _record(session: AsyncSession, table: str, consumer: str, event_id: str) -> bool:
    """Insert the record unless it exists; True if this transaction inserted it."""
    records = processed_events_table(table)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(records)
    elif dialect == "sqlite":
        statement = sqlite.insert(records)
    else:
        raise NotImplementedError(f"handle_once supports PostgreSQL and SQLite, not {dialect}")
    statement = statement.values(
        consumer=consumer, event_id=event_id, processed_at=utc_now()
    ).on_conflict_do_nothing(index_elements=[records.c.consumer, records.c.event_id])
    result = await session.execute(statement)
    inserted: int = result.rowcount  # type: ignore[attr-defined]
    return inserted == 1
