"""Traffic shaping per subgraph: a circuit breaker, and retries of reads (issue 15, item 5).

:class:`Shaper` wraps each call a transport makes. Each subgraph has a :class:`CircuitBreaker`:
after ``threshold`` failures in a row that say the subgraph is not answering
(``SUBGRAPH_UNAVAILABLE``, ``SUBGRAPH_TIMEOUT``) it opens, and for ``cooldown`` seconds every
request to that subgraph fails at once with ``SUBGRAPH_UNAVAILABLE`` instead of waiting for a
timeout, so a dead subgraph costs clients nothing and a struggling one gets room to recover.
Then one request at a time is let through as a probe; its success closes the breaker, its
failure opens it again. A wrong answer (``SUBGRAPH_BAD_RESPONSE``, too large) is the subgraph
answering, so it does not count.

A read that failed because the subgraph could not be reached (``SUBGRAPH_UNAVAILABLE``, or
HTTP 502/503/504 from what stands in front of it) is tried again up to ``retries`` times,
after a random pause of up to ``backoff * 2**attempt`` seconds ("full jitter", so that many
gateways do not retry in step); writes never are, since
the first attempt may have done its work. Timeouts are not retried: the request's deadline
would only run out waiting again.

Why not a library: the breakers available (purgatory, pybreaker, aiobreaker) either let every
request through while half-open, cost several awaits per request on the hot path, or need
tornado for coroutines; the state machine here is a few lines and runs on the loop's clock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from .in_flight import Answer
from .transport import UNAVAILABLE_STATUSES, SubgraphError, SubgraphRequest

__all__ = ["CircuitBreaker", "Shaper", "Shaping"]

_COUNTED = frozenset({"SUBGRAPH_UNAVAILABLE", "SUBGRAPH_TIMEOUT"})
"""Failures that say a subgraph is not answering (the breaker counts them)."""
_RETRIED = frozenset({"SUBGRAPH_UNAVAILABLE"})
"""Failures a read is tried again after."""


@dataclass(frozen=True, slots=True)
class Shaping:
    """One subgraph's shaping settings."""

    threshold: int = 5
    """Failures in a row that open the breaker (0: no breaker)."""
    cooldown: float = 10.0
    """Seconds an open breaker refuses requests before letting a probe through."""
    retries: int = 1
    """Further attempts of a read that could not reach the subgraph."""
    backoff: float = 0.05
    """Seconds: the first retry waits up to this long, each next one up to twice as long."""


class CircuitBreaker:
    """Closed, open, or half-open (one probe in flight) for one subgraph."""

    def __init__(self, name: str, threshold: int, cooldown: float, clock: Callable[[], float]):
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self.probing = False

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.probing or self._cooled() else "open"

    def _cooled(self) -> bool:
        return self.opened_at is not None and self.clock() - self.opened_at >= self.cooldown

    def admit(self) -> bool:
        """Whether a request may go now; True makes it the probe while half-open."""
        if self.opened_at is None:
            return True
        if self.probing or not self._cooled():
            return False
        self.probing = True
        return True

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probing = False

    def failed(self) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            self.opened_at = self.clock()
        self.probing = False

    def abandoned(self) -> None:
        """The probe ended without an answer either way (its caller gave up)."""
        self.probing = False

    def refusal(self) -> SubgraphError:
        return SubgraphError(
            self.name,
            f"subgraph {self.name} is failing (circuit open after {self.failures} failures "
            f"in a row); not asked for {self.cooldown:g}s",
            "SUBGRAPH_UNAVAILABLE",
        )


class Shaper:
    """Each subgraph's breaker and retry policy, around the calls a transport makes.

    It wraps the call itself, below the sharing of identical requests (``in_flight.py``), so
    one failed call counts once however many requests were waiting for it."""

    def __init__(
        self,
        shaping: Shaping = Shaping(),
        per_subgraph: Mapping[str, Shaping] | None = None,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.shaping = shaping
        self.per_subgraph = dict(per_subgraph or {})
        self.clock = clock
        self.breakers: dict[str, CircuitBreaker] = {}

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def breaker(self, name: str) -> CircuitBreaker | None:
        """``name``'s breaker (made on first use), or None when it has none."""
        shaping = self.per_subgraph.get(name, self.shaping)
        if shaping.threshold <= 0:
            return None
        breaker = self.breakers.get(name)
        if breaker is None:
            clock = self.clock or self._now
            breaker = self.breakers[name] = CircuitBreaker(
                name, shaping.threshold, shaping.cooldown, clock
            )
        return breaker

    async def call(
        self, request: SubgraphRequest, call: Callable[[SubgraphRequest], Awaitable[Answer]]
    ) -> Answer:
        """``call(request)``'s answer, through the breaker, retried if it is a read."""
        shaping = self.per_subgraph.get(request.service_name, self.shaping)
        retries = shaping.retries if request.idempotent else 0
        for attempt in range(retries + 1):
            try:
                answer = await self._attempt(request, call)
            except SubgraphError as error:
                if attempt == retries or error.code not in _RETRIED:
                    raise
            else:
                if attempt == retries or answer[0] not in UNAVAILABLE_STATUSES:
                    return answer
            await asyncio.sleep(random.uniform(0, shaping.backoff * 2**attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(
        self, request: SubgraphRequest, call: Callable[[SubgraphRequest], Awaitable[Answer]]
    ) -> Answer:
        breaker = self.breaker(request.service_name)
        if breaker is None:
            return await call(request)
        if not breaker.admit():
            raise breaker.refusal()
        try:
            answer = await call(request)
        except SubgraphError as error:
            if error.code in _COUNTED:
                breaker.failed()
            else:
                breaker.succeeded()  # it answered, wrongly: that is not being down
            raise
        except BaseException:
            breaker.abandoned()
            raise
        if answer[0] in UNAVAILABLE_STATUSES:  # counted by the breaker, retried
            breaker.failed()
        else:
            breaker.succeeded()
        return answer
