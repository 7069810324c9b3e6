"""Fixtures for the OA tests: the real ASGI app over SQLite and over the real PostgreSQL.

Each backend's database is created and migrated once per session (PostgreSQL: a scratch
database on ``TANDEM_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``,
dropped at the end); every test starts from it emptied (SQLite: a copy of the migrated file;
PostgreSQL: every ``oa_*`` table emptied) with the small company of :mod:`tests.oa.org`.
``TANDEM_TEST_SKIP_POSTGRES=1`` skips the PostgreSQL half instead of failing without a server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import make_url, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from subgraphs.common.audit_cli import verify_database
from subgraphs.common.settings import SubgraphSettings
from subgraphs.oa.app import build_app, migrate
from subgraphs.oa.store.models import Base, Department, audit_log
from tandem_shared.db import create_engine, create_session_factory, transaction
from tandem_shared.keys import generate_private_key, public_key_of
from tests.common.lifespan import running
from tests.oa.client import OAClient
from tests.oa.org import add_org

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (asyncpg and aiosqlite need it)."""
    return "asyncio"


@pytest.fixture(scope="session")
def gateway_key() -> str:
    """The private key the tests sign gateway tokens with."""
    return generate_private_key()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for every test."""
    path = tmp_path_factory.mktemp("oa-sqlite") / "template.db"
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A scratch PostgreSQL database migrated to head for the session; dropped afterwards."""
    try:
        asyncio.run(_admin(POSTGRES_URL, "SELECT 1"))
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise
    name = f"tandem_oa_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
        rendered = url.render_as_string(hide_password=False)
        asyncio.run(migrate(rendered))
        yield rendered
    finally:
        asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated OA database for one test, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "oa.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_empty(url))
    return url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's database, holding the small company."""
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with transaction(factory) as session:
            await add_org(session)
        yield factory
    finally:
        await engine.dispose()


@pytest.fixture
async def oa(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    gateway_key: str,
    tmp_path: Path,
) -> AsyncIterator[OAClient]:
    """The OA subgraph's ASGI app, started, behind a client that signs as the gateway. After
    the test, the database's audit chain must verify."""
    settings = SubgraphSettings(name="oa", data_dir=tmp_path, database_url=database_url)
    app = build_app(settings, public_key=public_key_of(gateway_key))
    async with running(app) as http:
        yield OAClient(http, gateway_key)
    chain = await verify_database(database_url, audit_log)
    assert chain.intact, chain.reason


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _empty(url: str) -> None:
    """Delete every row (much faster than TRUNCATE on tables this small)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(Department).values(manager_id=None))
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
    finally:
        await engine.dispose()
