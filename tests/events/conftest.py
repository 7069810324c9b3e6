"""Fixtures for tests/events: scratch databases (SQLite, the real PostgreSQL), the real Redis
under a key prefix of the test's own, and private ``redis-server`` processes to restart.

PostgreSQL (``TANDEM_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``):
one scratch database for the session, dropped at its end; inside it every database a test
asks for is a role with a schema of the same name (PostgreSQL's default ``search_path``
starts with ``"$user"``), so its URL alone, e.g. passed to a subprocess, isolates it.
Redis (``TANDEM_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``): keys under
``tandem-test-events-<random>:``, deleted after each test. ``TANDEM_TEST_SKIP_POSTGRES=1``
and ``TANDEM_TEST_SKIP_REDIS=1`` skip instead of failing when a server is missing.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from subgraphs.common.events import RedisStreamBus
from tandem_shared.db import create_engine, create_session_factory, upgrade_to_head
from tests.events.shop import MIGRATIONS
from tests.support.redis_server import RedisServer, redis_server_binary

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_SESSION = uuid.uuid4().hex[:8]


@dataclass
class Database:
    """A migrated scratch database: its URL, an engine and sessions on it."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


MakeDatabase = Callable[[], Awaitable[Database]]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (asyncpg, aiosqlite and redis.asyncio need it)."""
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The admin URL of this session's scratch database on the real PostgreSQL server."""
    name = f"tandem_events_{_SESSION}"
    try:
        asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(_drop_session_roles(POSTGRES_URL))


@pytest.fixture(params=["postgres", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test once on the real PostgreSQL and once on SQLite."""
    param: str = request.param
    return param


@pytest.fixture
def backend_admin(backend: str, request: pytest.FixtureRequest) -> str:
    """The session database's admin URL on PostgreSQL; "" on SQLite."""
    if backend != "postgres":
        return ""
    admin: str = request.getfixturevalue("postgres_database")
    return admin


@pytest.fixture
async def make_database(
    backend: str, backend_admin: str, tmp_path: Path
) -> AsyncIterator[MakeDatabase]:
    """Makes fresh migrated databases of the test's backend; drops them afterwards."""
    async with _scratch_databases(backend, backend_admin, tmp_path) as make:
        yield make


@pytest.fixture
async def make_postgres(postgres_database: str, tmp_path: Path) -> AsyncIterator[MakeDatabase]:
    """Makes fresh migrated PostgreSQL databases (for what only PostgreSQL has)."""
    async with _scratch_databases("postgres", postgres_database, tmp_path) as make:
        yield make


@asynccontextmanager
async def _scratch_databases(backend: str, admin: str, folder: Path) -> AsyncIterator[MakeDatabase]:
    made: list[Database] = []
    roles: list[str] = []

    async def make() -> Database:
        if backend == "postgres":
            role = f"tandem_ev_{_SESSION}_{uuid.uuid4().hex[:10]}"
            roles.append(role)
            await _admin(
                admin, f'CREATE ROLE "{role}" LOGIN; CREATE SCHEMA "{role}" AUTHORIZATION "{role}"'
            )
            url = make_url(admin).set(drivername="postgresql+asyncpg", username=role)
            database_url = url.render_as_string(hide_password=False)
        else:
            database_url = f"sqlite+aiosqlite:///{folder / f'db{len(made)}.sqlite'}"
        await upgrade_to_head(database_url, MIGRATIONS)
        engine = create_engine(database_url)
        made.append(Database(database_url, engine, create_session_factory(engine)))
        return made[-1]

    try:
        yield make
    finally:
        for database in made:
            await database.engine.dispose()
        for role in roles:
            await _admin(
                admin,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                f" WHERE usename = '{role}' AND pid <> pg_backend_pid();"
                f'DROP SCHEMA IF EXISTS "{role}" CASCADE; DROP ROLE IF EXISTS "{role}"',
            )


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real shared Redis, checked once (never restarted by a test)."""

    async def probe() -> None:
        client = Redis.from_url(REDIS_URL)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(probe())
    except OSError as error:
        if os.environ.get("TANDEM_TEST_SKIP_REDIS") == "1":
            pytest.skip(f"no Redis at {REDIS_URL}: {error}")
        raise
    return REDIS_URL


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    prefix = f"tandem-test-events-{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = Redis.from_url(redis_url)
        try:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@pytest.fixture
async def make_redis_bus(
    redis_url: str, redis_prefix: str
) -> AsyncIterator[Callable[..., RedisStreamBus]]:
    """Makes buses on the shared Redis under the test's prefix; closes them afterwards."""
    buses: list[RedisStreamBus] = []

    def make(url: str | None = None, **options: float) -> RedisStreamBus:
        options.setdefault("visibility_timeout", 1.0)
        buses.append(RedisStreamBus(url or redis_url, prefix=redis_prefix, **options))  # type: ignore[arg-type]
        return buses[-1]

    try:
        yield make
    finally:
        for bus in buses:
            await bus.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[..., RedisServer]]:
    """Makes private ``redis-server`` processes (``durable`` or not, with more command-line
    ``options``); killed afterwards."""
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed")
    servers: list[RedisServer] = []

    def make(durable: bool, *options: str) -> RedisServer:
        folder = tmp_path / f"redis{len(servers)}"
        servers.append(RedisServer(folder, durable=durable, options=options))
        servers[-1].start()
        return servers[-1]

    try:
        yield make
    finally:
        for server in servers:
            server.kill()


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _drop_session_roles(url: str) -> None:
    """Roles are cluster-wide: drop any this session left (its database is gone by now)."""
    connection = await asyncpg.connect(url, timeout=10)
    try:
        names = await connection.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", f"tandem_ev_{_SESSION}_%"
        )
        for record in names:
            await connection.execute(f'DROP ROLE IF EXISTS "{record["rolname"]}"')
    finally:
        await connection.close()
