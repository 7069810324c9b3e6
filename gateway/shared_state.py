"""Shared state that may be away for a while (Redis, a database): a coded, temporary error.

Replicas keep sessions, rate-limit counters and policy notices in Redis, and the policy and
the plaintext-read audit in a database. When one of them is unreachable, what needs it
answers ``503`` with ``SERVICE_UNAVAILABLE`` and a ``Retry-After`` (the client, or the load
balancer, tries again) rather than a ``500`` with a traceback: an outage is an expected,
temporary state of the system, not a bug.

:class:`Outage` keeps the log readable during one: a single warning when the first call
fails, nothing for the calls that fail after it, and a single line with their number when a
call succeeds again. :func:`redis_client` builds a ``redis.asyncio`` client that fails fast
while Redis is down and replaces the pooled connections that died with it (redis-py's
``Retry`` on connection errors, with a health check of idle connections), so the first
request after Redis returns is served.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import sqlalchemy.exc as sa_exc
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .errors import TandemError

__all__ = [
    "REDIS_DOWN",
    "RETRY_AFTER",
    "Outage",
    "ServiceUnavailable",
    "database_down",
    "redis_client",
]

RETRY_AFTER: Final = 2
"""Seconds a client is asked to wait: Redis and PostgreSQL restart in about that long."""

REDIS_DOWN: Final = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)
"""What an unreachable Redis raises (``BusyLoadingError`` is a ``ConnectionError``: still
loading its data; ``ReadOnlyError``: a replica that has not been promoted yet)."""


class ServiceUnavailable(TandemError):
    """Shared state the request needs is unreachable: try again after ``retry_after`` s."""

    code = "SERVICE_UNAVAILABLE"
    status = 503

    def __init__(self, message: str, *, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Outage:
    """The state of one dependency as one component sees it: up, or down since the first
    failure, with the number of calls that failed since."""

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        *,
        message: str = "temporarily unavailable: try again shortly",
        retry_after: int = RETRY_AFTER,
    ) -> None:
        self.name = name
        self.message = message
        self.retry_after = retry_after
        self.failures = 0
        self._log = log
        self._since = 0.0

    @property
    def down(self) -> bool:
        return self.failures > 0

    def failed(self, error: BaseException) -> ServiceUnavailable:
        """Count one failed call (logged if it is the first) and return the client's error.

        Only the error's type is logged: a driver's message may carry a URL with a password.
        """
        if self.failures == 0:
            self._since = time.monotonic()
            self._log.warning(
                "%s unavailable (%s): answering %s until it is back",
                self.name,
                type(error).__name__,
                ServiceUnavailable.code,
            )
        self.failures += 1
        return ServiceUnavailable(self.message, retry_after=self.retry_after)

    def succeeded(self) -> None:
        """A call went through: if this ends an outage, say so once, with its count."""
        if self.failures:
            self._log.warning(
                "%s reachable again after %d failed call(s) in %.1fs",
                self.name,
                self.failures,
                time.monotonic() - self._since,
            )
            self.failures = 0

    @asynccontextmanager
    async def guard(self, *errors: type[BaseException]) -> AsyncIterator[None]:
        """Run a block of calls: ``errors`` become :class:`ServiceUnavailable`, counted."""
        try:
            yield
        except errors as error:
            raise self.failed(error) from None
        self.succeeded()


def database_down(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (rather than refusing a query).

    Refused or reset connections (``OSError``, raised by the driver while connecting), time-outs,
    and what SQLAlchemy reports as operational or interface errors, or as having invalidated
    the connection (a pooled connection the server closed). A constraint violation or a bad
    statement is not an outage: it stays a bug to log.
    """
    if isinstance(error, (OSError, TimeoutError)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, (sa_exc.OperationalError, sa_exc.InterfaceError)
        )
    return isinstance(error, sa_exc.TimeoutError)  # no connection free in the pool


def redis_client(url: str, **options: Any) -> Redis:
    """A Redis client for shared state: quick to fail while Redis is down, quick to recover.

    - a connection refused or reset is retried twice (jittered 20-200 ms): that replaces a
      pooled connection the server closed when it restarted, and costs a request little
      while the server is really away;
    - connections idle longer than ``health_check_interval`` are pinged before use;
    - connecting gives up after 2 s, a reply after 5 s (a hung server is unavailable too).
    """
    settings: dict[str, Any] = {
        "retry": Retry(ExponentialWithJitterBackoff(base=0.02, cap=0.2), retries=2),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionResetError],
        "health_check_interval": 10,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
        **options,
    }
    client: Redis = Redis.from_url(url, **settings)
    return client
