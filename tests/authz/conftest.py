"""Fixtures the authorization tests share: the asyncio backend and a scratch PostgreSQL.

A module needing another shape (the policy store's SQLite-and-PostgreSQL ``database_url``,
a module-scoped backend) defines its own, which takes precedence over these.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.authz.policy_support import scratch_postgres


@pytest.fixture
def anyio_backend() -> str:
    """``anyio``'s backend for the async tests: asyncio, as the gateway runs."""
    return "asyncio"


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the test (dropped afterwards)."""
    with scratch_postgres() as url:
        yield url
