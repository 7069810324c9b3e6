"""How many subscriptions run at once: per connection (a WebSocket) and per caller (all of a
caller's connections and SSE streams on this replica).

A subscription holds an upstream WebSocket and a task for as long as it runs, so a caller who
may open them without bound may hold the gateway's sockets; over a limit, the subscription is
refused with ``SUBSCRIPTION_LIMIT`` (and the connection stays open). The per-caller count is
per replica: N replicas admit up to N times the limit, as a caller's connections spread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import RequestError

__all__ = ["SubscriptionLimit", "SubscriptionLimits"]


class SubscriptionLimit(RequestError):
    """More subscriptions at once than a connection or a caller may run."""

    code = "SUBSCRIPTION_LIMIT"
    status = 429


@dataclass
class SubscriptionLimits:
    """The limits, and the subscriptions running per caller (keyed by :func:`caller_key`)."""

    per_connection: int = 100
    per_caller: int = 500
    running: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def admit(self, caller: str, on_connection: int = 0) -> Iterator[None]:
        """Count one subscription of ``caller`` (with ``on_connection`` already running on its
        connection) while the block runs; :class:`SubscriptionLimit` over either limit."""
        if on_connection >= self.per_connection:
            raise SubscriptionLimit(
                f"a connection may run {self.per_connection} subscriptions at once"
            )
        if self.running[caller] >= self.per_caller:
            raise SubscriptionLimit(f"a caller may run {self.per_caller} subscriptions at once")
        self.running[caller] += 1
        try:
            yield
        finally:
            self.running[caller] -= 1
            if not self.running[caller]:
                del self.running[caller]
