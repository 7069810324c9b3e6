"""Cost budgets per caller per minute: how much estimated cost one caller may spend.

A structural limit bounds one operation; a budget bounds what a caller spends over time, so
that one integrator's many cheap operations cannot use the subgraphs' capacity the others
share. Each admitted operation is charged its *estimated* cost when it is admitted, before any
subgraph is called; an operation that would take the caller past its budget for the current
minute is refused (``429 COST_BUDGET_EXCEEDED`` with ``Retry-After``: the seconds left in the
minute) and charged nothing.

Minutes are fixed windows (as the request rate limits of ``auth/integrators.py``), counted in
Redis when ``redis_url`` is set, so replicas share one budget per caller, else in this process.
While Redis is away the budget does what ``rate_limit_on_store_failure`` says: ``closed``
answers ``503 SERVICE_UNAVAILABLE``, ``open`` counts in this replica alone. The clock is a
parameter, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal, Protocol

from ..shared_state import REDIS_DOWN, Outage, ServiceUnavailable, redis_client

__all__ = ["Clock", "CostBudget", "MemoryCostBudget", "OverBudget", "RedisCostBudget"]

log = logging.getLogger("tandem.demand")

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time``), or a test's."""

WINDOW = 60


class OverBudget(Exception):
    """The charge would take the caller past its budget; nothing was charged."""

    def __init__(self, spent: int, retry_after: int) -> None:
        super().__init__(f"spent {spent} this minute")
        self.spent = spent
        self.retry_after = retry_after


class CostBudget(Protocol):
    async def charge(self, caller: str, cost: int, per_minute: int) -> int:
        """Charge ``cost`` to ``caller``'s current minute and return what it has spent in it;
        :class:`OverBudget` (nothing charged) if that would pass ``per_minute``."""


def _retry_after(now: float) -> int:
    return max(1, WINDOW - int(now) % WINDOW)


class MemoryCostBudget:
    """Fixed one-minute windows in this process (a single replica)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._window = -1
        self._spent: dict[str, int] = {}  # this window's only: earlier windows are dropped

    async def charge(self, caller: str, cost: int, per_minute: int) -> int:
        now = self.clock()
        window = int(now // WINDOW)
        if window != self._window:
            self._window, self._spent = window, {}
        spent = self._spent.get(caller, 0) + cost
        if spent > per_minute:
            raise OverBudget(spent - cost, _retry_after(now))
        self._spent[caller] = spent
        return spent


class RedisCostBudget:
    """Fixed one-minute windows in Redis, shared by every replica (module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "tandem:cost:",
        on_store_failure: Literal["open", "closed"] = "closed",
        clock: Clock = time.time,
    ) -> None:
        self.redis = redis_client(url)
        self.prefix = prefix
        self.on_store_failure = on_store_failure
        self.clock = clock
        self.outage = Outage(
            "Redis for cost budgets",
            log,
            message="the cost budget cannot be checked right now: try again shortly",
        )
        self._local = MemoryCostBudget(clock)

    async def charge(self, caller: str, cost: int, per_minute: int) -> int:
        now = self.clock()
        key = f"{self.prefix}{caller}:{int(now // WINDOW)}"
        try:
            async with self.outage.guard(*REDIS_DOWN), self.redis.pipeline(True) as pipe:
                pipe.incrby(key, cost)
                pipe.expire(key, 2 * WINDOW)
                spent, _ = await pipe.execute()
                spent = int(spent)
                if spent > per_minute:
                    await self.redis.decrby(key, cost)  # refused: not charged
        except ServiceUnavailable:
            if self.on_store_failure == "closed":
                raise
            return await self._local.charge(caller, cost, per_minute)
        if spent > per_minute:
            raise OverBudget(spent - cost, _retry_after(now))
        return spent

    async def close(self) -> None:
        await self.redis.aclose()
