"""Background loops that outlive failures: a backoff, and :func:`repeat` that uses it.

The relay and the consumers run for the life of a service. Redis restarting, the database
failing over or a handler raising must not end them: :func:`repeat` logs the failure, waits
a backoff and tries again, and logs once more when the step works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import InterfaceError, OperationalError

from subgraphs.common.events.bus import BusUnavailable

__all__ = ["UNAVAILABLE", "Backoff", "repeat", "sleep_until"]

logger = logging.getLogger(__name__)

UNAVAILABLE: tuple[type[Exception], ...] = (
    BusUnavailable,
    OperationalError,
    InterfaceError,
    OSError,
)
"""Failures of the bus or the database that pass with time (not bugs): back off, retry."""


@dataclass(slots=True)
class Backoff:
    """Delays that double after each failure up to ``maximum``; :meth:`reset` after a success.

    Each delay is drawn between half and all of the nominal one ("equal jitter"), so replicas
    that lost Redis together do not reconnect in lockstep.
    """

    initial: float = 0.1
    maximum: float = 5.0
    factor: float = 2.0
    failures: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum or self.factor < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and factor >= 1")

    def next_delay(self) -> float:
        """The delay before the next attempt; counts one more failure."""
        nominal = min(self.maximum, self.initial * self.factor ** min(self.failures, 64))
        self.failures += 1
        return random.uniform(nominal / 2, nominal)

    def reset(self) -> None:
        """Forget the failures: the next delay is ``initial`` again."""
        self.failures = 0

    async def wait(self, stop: asyncio.Event) -> None:
        """Sleep :meth:`next_delay` seconds, or less if ``stop`` is set meanwhile."""
        await sleep_until(stop, self.next_delay())


async def sleep_until(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True if it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
    return event.is_set()


async def repeat(
    what: str,
    step: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    *,
    idle: Callable[[], Awaitable[object]] | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Run ``step`` until ``stop`` is set; ``what`` names it in the logs.

    ``step`` returns True when it may have more work right away; otherwise ``idle`` is
    awaited before the next step (cut short by ``stop``). A step that raises is logged (an
    unavailable bus or database as a warning, the first time; anything else with its
    traceback, since it is a bug or a bad event) and retried after ``backoff``.
    """
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            busy = await step()
        except UNAVAILABLE as error:
            if backoff.failures == 0:
                logger.warning("%s: unavailable (%s); retrying with backoff", what, error)
            await backoff.wait(stop)
            continue
        except Exception:
            logger.exception("%s failed; retrying with backoff", what)
            await backoff.wait(stop)
            continue
        if backoff.failures:
            logger.info("%s: working again after %d failures", what, backoff.failures)
            backoff.reset()
        if not busy and idle is not None:
            await _unless_stopped(idle(), stop)


async def _unless_stopped(waiting: Awaitable[object], stop: asyncio.Event) -> None:
    """Await ``waiting``, or cancel it as soon as ``stop`` is set."""
    task = asyncio.ensure_future(waiting)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopped):
            pending.cancel()
        await asyncio.gather(task, stopped, return_exceptions=True)
