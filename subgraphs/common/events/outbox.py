"""The transactional outbox: events written in the same transaction as the change they announce.

A service adds an event with :func:`add_event` inside its business transaction, so the
event exists if and only if the change committed. The relay
(:mod:`subgraphs.common.events.relay`) publishes it afterwards. Each service keeps its
own outbox table (``oa_outbox``, ``erp_outbox``), created in one of its migrations::

    from subgraphs.common.events.outbox import create_outbox_table

    def upgrade() -> None:
        create_outbox_table(op, "oa_outbox")

====================  ======================================================================
column                meaning
====================  ======================================================================
``id``                the event id (UUID), the same on every re-publication
``topic``             where the event goes, e.g. ``purchase.approved``
``key``               what the event is about, e.g. the request id (informational)
``payload``           a JSON object
``created_at``        when it was added (first publication follows this order)
``published_at``      when it was last published; null until the relay first does
``attempts``          how many times it was published
``next_attempt_at``   when the relay (re-)publishes it next, unless confirmed by then
``confirmed_at``      when every subscribed consumer group confirmed its effect, or when it
                      was published for a topic without declared subscribers; null until
``confirmed_by``      the consumer groups that confirmed it (a JSON list)
====================  ======================================================================

Confirmed rows may be deleted after a while with
:meth:`~subgraphs.common.events.relay.OutboxRelay.prune`; unconfirmed ones never are.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events.bus import JSONObject, check_name
from tandem_shared.timestamps import AwareDateTime, utc_now

__all__ = [
    "OutboxEvent",
    "add_event",
    "create_outbox_table",
    "drop_outbox_table",
    "outbox_table",
]

_JSON: Final = JSON().with_variant(JSONB(), "postgresql")
_TABLES: dict[str, Table] = {}
_METADATA = MetaData()
_LOCK = threading.Lock()
_last_created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEvent:
    """One outbox row, as read by the relay and by tests."""

    id: str
    topic: str
    key: str
    payload: JSONObject
    created_at: datetime
    published_at: datetime | None
    attempts: int
    next_attempt_at: datetime
    confirmed_at: datetime | None
    confirmed_by: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Any) -> OutboxEvent:
        """From a selected row of an outbox table."""
        return cls(
            id=str(row.id),
            topic=row.topic,
            key=row.key,
            payload=row.payload,
            created_at=row.created_at,
            published_at=row.published_at,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            confirmed_at=row.confirmed_at,
            confirmed_by=tuple(row.confirmed_by or ()),
        )


def _columns() -> list[Column[Any]]:
    return [
        Column("id", Uuid(), primary_key=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("payload", _JSON, nullable=False),
        Column("created_at", AwareDateTime(), nullable=False),
        Column("published_at", AwareDateTime(), nullable=True),
        Column("attempts", Integer(), nullable=False, server_default=text("0")),
        Column("next_attempt_at", AwareDateTime(), nullable=False),
        Column("confirmed_at", AwareDateTime(), nullable=True),
        Column("confirmed_by", _JSON, nullable=False),
    ]


def _due_index(table_name: str) -> str:
    return f"ix_{table_name}_due"


def outbox_table(table_name: str, metadata: MetaData | None = None) -> Table:
    """The SQLAlchemy ``Table`` of the outbox named ``table_name``.

    Without ``metadata`` it lives in a private ``MetaData`` (one object per name); pass
    the service's own ``MetaData`` to have it there too (e.g. for Alembic autogenerate).
    """
    check_name("outbox table", table_name)
    if metadata is not None:
        return _define(table_name, metadata)
    with _LOCK:
        table = _TABLES.get(table_name)
        if table is None:
            table = _TABLES[table_name] = _define(table_name, _METADATA)
        return table


def _define(table_name: str, metadata: MetaData) -> Table:
    table = Table(table_name, metadata, *_columns())
    Index(
        _due_index(table_name),
        table.c.next_attempt_at,
        postgresql_where=table.c.confirmed_at.is_(None),
        sqlite_where=table.c.confirmed_at.is_(None),
    )
    return table


def create_outbox_table(op: Any, table_name: str) -> None:
    """Create the outbox ``table_name`` and its index, from an Alembic migration."""
    check_name("outbox table", table_name)
    op.create_table(table_name, *_columns())
    op.create_index(
        _due_index(table_name),
        table_name,
        ["next_attempt_at"],
        postgresql_where=text("confirmed_at IS NULL"),
        sqlite_where=text("confirmed_at IS NULL"),
    )


def drop_outbox_table(op: Any, table_name: str) -> None:
    """Drop what :func:`create_outbox_table` created (a migration's ``downgrade``)."""
    op.drop_index(_due_index(table_name), table_name=table_name)
    op.drop_table(table_name)


async def add_event(
    session: AsyncSession,
    topic: str,
    key: str,
    payload: JSONObject,
    *,
    table: str,
) -> str:
    """Add an event to the outbox ``table`` inside ``session``'s transaction; return its id.

    The event is published only if that transaction commits. ``payload`` must be a JSON
    object (TypeError otherwise, before anything is written).
    """
    check_name("topic", topic)
    if len(key) > 200:
        raise ValueError("an event key is at most 200 characters")
    if not isinstance(payload, dict):
        raise TypeError("an event payload is a JSON object (a dict)")
    json.dumps(payload)  # TypeError now rather than at commit
    event_id = uuid.uuid4()
    created_at = _next_created_at()
    await session.execute(
        insert(outbox_table(table)).values(
            id=event_id,
            topic=topic,
            key=key,
            payload=payload,
            created_at=created_at,
            attempts=0,
            next_attempt_at=created_at,
            confirmed_by=[],
        )
    )
    return str(event_id)


def _next_created_at() -> datetime:
    """Now, but strictly after the previous event of this process (clock ties, steps back)."""
    global _last_created_at
    with _LOCK:
        now = utc_now()
        if _last_created_at is not None and now <= _last_created_at:
            now = _last_created_at + timedelta(microseconds=1)
        _last_created_at = now
        return now
