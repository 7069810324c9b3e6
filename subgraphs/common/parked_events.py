"""The events a service parked, for an administrator: list them, retry one, cancel one.

A parked event is a ``<service>.event.parked`` row in the service's outbox (written by
:func:`subgraphs.common.service_events.parking`, keyed by the original event's id). Working
one off adds a ``<service>.event.resolved`` row with the same key, ``{eventId, resolution:
RETRIED | CANCELLED, by, at}``, in the same transaction as the retry's effect, so:

- the outbox stays the one durable record (no table of its own), and the resolution is
  published like any event;
- an event is *open* while it has a parked row and no resolved row;
- a retry runs the service's handler for the original topic on the original payload, in a
  savepoint: if it fails again the same way, nothing changes and the error is returned.
  Handlers are idempotent per business fact (one order per request), so a retry of an
  event whose effect meanwhile exists changes nothing.

Administrators work through ``python -m subgraphs.<service> events`` (:mod:`.parked_cli`):
the database is the service's own, so no other service and no gateway role is involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import NotFound, SubgraphError
from subgraphs.common.events import Event, Handler, add_event
from subgraphs.common.events.outbox import outbox_table
from subgraphs.common.service_events import PERMANENT_ERRORS, parked_topic
from tandem_shared.timestamps import format_datetime, utc_now

__all__ = ["ParkedEvent", "cancel", "open_parked", "resolved_topic", "retry"]

RETRIED: Final = "RETRIED"
CANCELLED: Final = "CANCELLED"


def resolved_topic(service: str) -> str:
    """Where ``service`` records that a parked event was worked off."""
    return f"{service}.event.resolved"


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    """An event the service could not apply: the original and why."""

    event_id: str
    topic: str
    group: str
    key: str
    payload: Mapping[str, Any]
    error: Mapping[str, Any]
    parked_at: str

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> ParkedEvent:
        return cls(
            event_id=str(record.get("eventId")),
            topic=str(record.get("topic")),
            group=str(record.get("group")),
            key=str(record.get("key") or ""),
            payload=dict(record.get("payload") or {}),
            error=dict(record.get("error") or {}),
            parked_at=str(record.get("parkedAt") or ""),
        )


async def open_parked(session: AsyncSession, *, service: str, outbox: str) -> list[ParkedEvent]:
    """The parked events of ``service`` not yet retried or cancelled, oldest first."""
    table = outbox_table(outbox)
    resolved = select(table.c.key).where(table.c.topic == resolved_topic(service))
    rows = await session.execute(
        select(table.c.payload)
        .where(table.c.topic == parked_topic(service), table.c.key.not_in(resolved))
        .order_by(table.c.created_at)
    )
    return [ParkedEvent.of(payload) for (payload,) in rows]


async def retry(
    session: AsyncSession,
    *,
    service: str,
    outbox: str,
    event_id: str,
    handlers: Mapping[str, Handler],
    by: str,
) -> SubgraphError | None:
    """Apply the parked event again; None when it worked (and it is resolved), else the error
    it fails with still (it stays parked)."""
    parked = await _open(session, service, outbox, event_id)
    handler = handlers.get(parked.topic)
    if handler is None:
        raise NotFound(f"{service} has no handler for {parked.topic}.", extensions={"id": event_id})
    event = Event(id=parked.event_id, topic=parked.topic, payload=dict(parked.payload),
                  key=parked.key)  # fmt: skip
    try:
        async with session.begin_nested():
            await handler(session, event)
    except PERMANENT_ERRORS as error:
        return error
    await _resolve(session, service, outbox, parked, RETRIED, by)
    return None


async def cancel(
    session: AsyncSession, *, service: str, outbox: str, event_id: str, by: str
) -> ParkedEvent:
    """Give the parked event up: it is no longer listed, its effect never happens."""
    parked = await _open(session, service, outbox, event_id)
    await _resolve(session, service, outbox, parked, CANCELLED, by)
    return parked


async def _open(session: AsyncSession, service: str, outbox: str, event_id: str) -> ParkedEvent:
    for parked in await open_parked(session, service=service, outbox=outbox):
        if parked.event_id == event_id:
            return parked
    raise NotFound(f"No open parked event {event_id}.", extensions={"id": event_id})


async def _resolve(
    session: AsyncSession, service: str, outbox: str, parked: ParkedEvent, how: str, by: str
) -> None:
    payload = {"eventId": parked.event_id, "topic": parked.topic, "key": parked.key,
               "resolution": how, "by": by, "at": format_datetime(utc_now())}  # fmt: skip
    await add_event(session, resolved_topic(service), parked.event_id, payload, table=outbox)
