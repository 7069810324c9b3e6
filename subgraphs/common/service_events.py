"""A subgraph's event worker in its app: options from the environment, dead letters, lifecycle.

The wiring both subgraphs share around :mod:`subgraphs.common.events` (``subgraphs/oa/worker.py``
and ``subgraphs/erp/worker.py`` say which topics and handlers):

- :class:`EventOptions`: the ``TANDEM_EVENTS_*`` variables below;
- :func:`parking`: wraps a handler so that an event it can never apply is **parked**
  (dead-lettered) rather than retried forever;
- :func:`running_worker`: opens the bus (Redis when ``TANDEM_REDIS_URL`` is set, else
  in-process) unless one is given, starts the worker, and stops both, quickly.

**Parking.** A handler that raises ``BAD_USER_INPUT`` or ``NOT_FOUND`` (an unknown sku, an
amount that does not add up, an unknown employee) fails the same way on every delivery. Its
partial effect is rolled back (a savepoint), the event is logged as an error, recorded as
processed (so its copies change nothing and its producer gets its receipt and stops
re-publishing it), and written to the consumer's own outbox as ``<service>.event.parked``
``{eventId, topic, group, key, payload, error: {code, message, field}, parkedAt}``, in the
same transaction: a durable dead-letter record, also published to the bus for whoever
watches it. Any other failure (the database, a bug) leaves the event pending, to be
delivered again.

Variables (all optional):

- ``TANDEM_EVENTS_PREFIX``: key prefix of the Redis streams, the same for every service of
  a deployment (default ``tandem:events:``);
- ``TANDEM_EVENTS_CONSUMER``: this process's consumer name (default ``<host>-<pid>``); a
  process restarted under the same name gets its pending deliveries back at once, others
  are taken over after the visibility timeout;
- ``TANDEM_EVENTS_VISIBILITY_TIMEOUT``: seconds before another consumer may take an
  unacknowledged delivery (default 30);
- ``TANDEM_EVENTS_REDELIVERY_AFTER``: seconds before an unconfirmed event is published
  again, doubling per attempt (default 30), up to
  ``TANDEM_EVENTS_MAX_REDELIVERY_INTERVAL`` (default 600).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.errors import BadUserInput, BadUserInputs, NotFound, SubgraphError
from subgraphs.common.events import (
    Event,
    EventBus,
    EventWorker,
    Handler,
    InProcessBus,
    add_event,
    open_bus,
)
from subgraphs.common.events.redis_bus import DEFAULT_PREFIX
from subgraphs.common.settings import SettingsError, SubgraphSettings
from tandem_shared.timestamps import format_datetime, utc_now

__all__ = ["PERMANENT_ERRORS", "EventOptions", "parked_topic", "parking", "running_worker"]

logger = logging.getLogger(__name__)


class _QuietClosedInProcessBus(logging.Filter):
    """Drops the event loops' "unavailable" warnings about an in-process bus that
    :func:`running_worker` closed on purpose, to stop its loops at once."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "the in-process bus is closed" not in record.getMessage()


logging.getLogger("subgraphs.common.events.loops").addFilter(_QuietClosedInProcessBus())

PERMANENT_ERRORS: Final = (BadUserInput, BadUserInputs, NotFound)
"""Handler errors no retry can cure: the event is parked."""

WorkerFactory = Callable[[async_sessionmaker[AsyncSession], EventBus, "EventOptions"], EventWorker]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventOptions:
    """How a service talks to the bus (see the module docstring for the variables)."""

    prefix: str = DEFAULT_PREFIX
    consumer: str | None = None
    visibility_timeout: float = 30.0
    redelivery_after: float = 30.0
    max_redelivery_interval: float = 600.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read the ``TANDEM_EVENTS_*`` variables; SettingsError names a bad one."""
        env = os.environ if environ is None else environ
        return cls(
            prefix=env.get("TANDEM_EVENTS_PREFIX", "").strip() or DEFAULT_PREFIX,
            consumer=env.get("TANDEM_EVENTS_CONSUMER", "").strip() or None,
            visibility_timeout=_seconds(env, "TANDEM_EVENTS_VISIBILITY_TIMEOUT", 30.0),
            redelivery_after=_seconds(env, "TANDEM_EVENTS_REDELIVERY_AFTER", 30.0),
            max_redelivery_interval=_seconds(env, "TANDEM_EVENTS_MAX_REDELIVERY_INTERVAL", 600.0),
        )

    def relay_options(self) -> dict[str, Any]:
        """The keyword arguments :meth:`EventWorker.for_service` passes to the relay."""
        return {
            "redelivery_after": self.redelivery_after,
            "max_redelivery_interval": self.max_redelivery_interval,
        }


def parked_topic(service: str) -> str:
    """Where ``service`` records the events it parked: ``<service>.event.parked``."""
    return f"{service}.event.parked"


def parking(handler: Handler, *, service: str, group: str, outbox: str) -> Handler:
    """``handler``, parking the events it can never apply into ``outbox`` (module docstring)."""

    async def handle(session: AsyncSession, event: Event) -> None:
        try:
            async with session.begin_nested():
                await handler(session, event)
        except PERMANENT_ERRORS as error:
            await _park(session, event, error, topic=parked_topic(service), group=group,
                        outbox=outbox)  # fmt: skip

    return handle


@asynccontextmanager
async def running_worker(
    service: str,
    build: WorkerFactory,
    sessions: async_sessionmaker[AsyncSession],
    settings: SubgraphSettings,
    *,
    bus: EventBus | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[EventWorker]:
    """``build``'s worker, started, on ``bus`` (shared: its owner closes it) or on the bus the
    settings name (Redis, else in-process; closed here); stopped on exit."""
    options = EventOptions.from_env(environ)
    owned = bus is None
    if bus is None:
        bus = open_bus(
            settings.redis_url, prefix=options.prefix, visibility_timeout=options.visibility_timeout
        )
        if settings.redis_url is None:
            logger.info(
                "%s events: in-process bus (no TANDEM_REDIS_URL): only consumers in this "
                "process receive them; the rest wait in the outbox",
                service,
            )
    worker = build(sessions, bus, options)
    await worker.start()
    try:
        yield worker
    finally:
        if owned and isinstance(bus, InProcessBus):
            await bus.close()  # wakes the loops waiting on it, so they end at once
            await worker.stop()
        else:
            await worker.stop()  # each loop ends its batch (reads block about a second)
            if owned:
                await bus.close()


async def _park(
    session: AsyncSession,
    event: Event,
    error: SubgraphError,
    *,
    topic: str,
    group: str,
    outbox: str,
) -> None:
    field = error.extensions.get("field")
    logger.error(
        "parked event %s on %s (group %s, key %r): %s: %s (field %s)",
        event.id,
        event.topic,
        group,
        event.key,
        error.code.value,
        error.message,
        field,
    )
    payload: dict[str, Any] = {
        "eventId": event.id,
        "topic": event.topic,
        "group": group,
        "key": event.key,
        "payload": dict(event.payload),
        "error": {"code": error.code.value, "message": error.message, "field": field},
        "parkedAt": format_datetime(utc_now()),
    }
    await add_event(session, topic, event.id, payload, table=outbox)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise SettingsError(f"{name} must be positive")
    return value
