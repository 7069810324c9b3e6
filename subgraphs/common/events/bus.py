"""The event bus between services: the :class:`EventBus` protocol and the values it carries.

A bus keeps one append-only log per topic. Consumers read a topic as a named **group**
(every group sees every event once) and, inside a group, as a named **consumer** (each
event goes to one consumer of the group). A delivered event stays *pending* for its
consumer until :meth:`EventBus.ack`; an event pending longer than the bus's visibility
timeout is handed to the next consumer of the group that reads, and a consumer that
restarts under the same name gets its own pending events back first. A group created
after events were published starts at the beginning of the log, so it misses nothing.

Two implementations, same semantics:
:class:`~subgraphs.common.events.redis_bus.RedisStreamBus` (a Redis Stream per topic, a
consumer group per group) and :class:`~subgraphs.common.events.memory_bus.InProcessBus`
(in memory, for the embedded default without Redis).

Errors::

    EventBusError          anything the bus refused; a bug or a misconfiguration
     +-- BusUnavailable    the bus cannot be reached now (Redis down, restarting,
                           loading); retry later with a backoff
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "BusUnavailable",
    "Delivery",
    "Event",
    "EventBus",
    "EventBusError",
    "JSONObject",
    "Receipt",
    "check_name",
    "default_consumer_name",
]

JSONObject: TypeAlias = Mapping[str, Any]
"""An event payload: a JSON object (decimal amounts as strings, times as ISO 8601 text)."""

DEFAULT_MAX_LENGTH = 100_000
"""Buses keep about this many entries per topic (Redis: ``XADD MAXLEN ~``); trimming loses
no event of a topic with declared subscribers, which the relay re-publishes until confirmed.
Keep it far above what consumers may lag behind (and above the relay's batch size), or
events are trimmed before they are read and wait for their re-publication."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")


class EventBusError(Exception):
    """The bus refused an operation (see the module docstring for the tree)."""


class BusUnavailable(EventBusError):
    """The bus cannot be reached now; the operation may succeed after a backoff."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One event as published: ``id`` is the producer's (the outbox row's), stable across
    re-publication, so consumers deduplicate on it.

    ``reply_to`` names the topic where consumers send a receipt once the event's effect
    has committed (the producer's relay listens there), or is None for no receipt.
    """

    id: str
    topic: str
    payload: JSONObject
    key: str = ""
    reply_to: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One copy of an event handed to ``consumer`` of ``group``; acknowledge it with
    :meth:`EventBus.ack` once its effect has committed.

    ``message_id`` is the bus's id of this copy (a stream entry id): re-publishing an event
    makes a new copy with a new ``message_id`` and the same ``event.id``. ``redelivered``
    is True when the copy was delivered before and not acknowledged (recovered by its
    restarted consumer, or claimed from another one after the visibility timeout).
    """

    event: Event
    group: str
    consumer: str
    message_id: str
    redelivered: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """A consumer group's word that the effect of ``event_id`` has committed.

    Sent by the consumer to the event's ``reply_to`` topic, after its transaction commits
    and before it acknowledges the delivery; the producer's relay stops re-publishing the
    event once every subscribed group sent one.
    """

    event_id: str
    group: str

    @property
    def id(self) -> str:
        """The receipt's own event id (one per event and group)."""
        return f"{self.event_id}/{self.group}"

    def to_payload(self) -> dict[str, str]:
        """The receipt as an event payload."""
        return {"event_id": self.event_id, "group": self.group}

    @classmethod
    def from_payload(cls, payload: JSONObject) -> Receipt | None:
        """The receipt in ``payload``, or None when it is not one."""
        event_id, group = payload.get("event_id"), payload.get("group")
        if isinstance(event_id, str) and isinstance(group, str):
            return cls(event_id, group)
        return None


class EventBus(Protocol):
    """What the relay and the consumers need from a bus; see the module docstring."""

    async def publish(
        self,
        topic: str,
        event_id: str,
        payload: JSONObject,
        *,
        key: str = "",
        reply_to: str | None = None,
    ) -> str:
        """Append an event to ``topic``; return the bus's id of the copy.

        Raises :class:`BusUnavailable` when the bus cannot take it now; then the event may
        or may not have been appended (publishing twice is harmless: consumers deduplicate).
        """
        ...

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 16, block: float = 1.0
    ) -> list[Delivery]:
        """Up to ``count`` deliveries for ``consumer`` of ``group``, waiting up to ``block``
        seconds when there are none. The group is created (at the start of the log) if new.

        Order of preference: the consumer's own pending deliveries on its first read,
        deliveries claimed from other consumers after the visibility timeout, new events.
        """
        ...

    async def ack(self, delivery: Delivery) -> None:
        """Mark ``delivery`` done for its group: it will not be delivered again."""
        ...

    async def close(self) -> None:
        """Release connections; the bus is not used afterwards."""
        ...


def check_name(kind: str, name: str) -> str:
    """``name`` if it is a usable topic, group or consumer name, else ValueError."""
    if not _NAME.match(name):
        raise ValueError(f"invalid {kind} name {name!r}: use [A-Za-z0-9._:-], at most 200")
    return name


def default_consumer_name() -> str:
    """``<host>-<pid>``: distinct per process; stable across restarts of a container whose
    process is PID 1, so a restarted consumer gets its own pending deliveries back at once
    (others are claimed after the visibility timeout)."""
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:150].lstrip("-._")
    host = host or "host"
    return f"{host}-{os.getpid()}"
