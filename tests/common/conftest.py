"""Fixtures for tests/common: the asyncio backend, and scratch SQLite and PostgreSQL databases.

PostgreSQL is the real server (``TANDEM_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``): every test that asks for it gets a database
of its own, created for the test and dropped after it. ``TANDEM_TEST_SKIP_POSTGRES=1``
skips those tests instead of failing when no server is there.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_shared.db import create_engine

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
DATABASES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (asyncpg and aiosqlite need it)."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the real PostgreSQL server, checked once per session."""

    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (asyncpg URL); dropped afterwards."""
    name = f"tandem_common_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_server).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file database for one test (aiosqlite URL)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh database for one test, once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on :func:`database_url`, disposed after the test."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
