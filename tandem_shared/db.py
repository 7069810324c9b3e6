"""Async SQLAlchemy for the subgraphs: engines, sessions, transactions and Alembic migrations.

SQLite (embedded) and PostgreSQL (production) behave alike for the code above them:

- On SQLite every transaction starts with ``BEGIN IMMEDIATE``: one writer at a time, so a
  read-then-write inside :func:`transaction` cannot race (SQLite's own deferred mode would
  fail such races with "database is locked"). File databases use WAL, foreign keys are on.
- On PostgreSQL rows are locked explicitly where it matters (``SELECT ... FOR UPDATE`` or
  an ``INSERT ... ON CONFLICT DO UPDATE``, as :func:`subgraphs.common.codes.next_code` does).

Migrations: each subgraph keeps an importable package (``subgraphs.oa.migrations``) with a
``versions/`` folder of ordinary Alembic revision files; :func:`upgrade_to_head` runs them
with a programmatic configuration, so no ``alembic.ini`` or ``env.py`` is needed::

    # subgraphs/oa/migrations/versions/0001_people.py
    revision = "0001"
    down_revision = None

    def upgrade() -> None:
        op.create_table(...)          # from alembic import op
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import NullPool

__all__ = [
    "DEFAULT_VERSION_TABLE",
    "SQLITE_BUSY_TIMEOUT",
    "async_database_url",
    "create_engine",
    "create_session_factory",
    "current_revision",
    "default_database_url",
    "migrations_directory",
    "transaction",
    "upgrade_to_head",
]

DEFAULT_VERSION_TABLE = "alembic_version"
SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a SQLite transaction waits for the write lock before failing."""
_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def default_database_url(data_dir: Path, name: str) -> str:
    """The embedded default: a SQLite file ``<data_dir>/<name>.db`` through aiosqlite."""
    return f"sqlite+aiosqlite:///{data_dir / f'{name}.db'}"


def async_database_url(url: str) -> str:
    """``url`` with its async driver: ``postgresql://`` -> asyncpg, ``sqlite://`` -> aiosqlite.

    URLs that already name a driver (``postgresql+asyncpg://``) are returned unchanged;
    ValueError for a text that is no URL.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("a database URL must look like scheme://...")
    driver = _DRIVERS.get(scheme)
    return url if driver is None else f"{driver}://{rest}"


def create_engine(database_url: str, *, echo: bool = False, **options: Any) -> AsyncEngine:
    """An async engine for ``database_url`` (PostgreSQL via asyncpg, SQLite via aiosqlite).

    A SQLite file's folder is created if missing. ``options`` go to SQLAlchemy's
    ``create_async_engine`` (e.g. ``poolclass=NullPool``).
    """
    url = make_url(async_database_url(database_url))
    if url.get_backend_name() != "sqlite":
        options.setdefault("pool_pre_ping", True)
        return _create_async_engine(url, echo=echo, **options)
    _create_sqlite_folder(url)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT, **options.pop("connect_args", {})}
    engine = _create_async_engine(url, echo=echo, connect_args=connect_args, **options)
    _serialize_sqlite_transactions(engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine`` whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A new session inside one transaction: committed on success, rolled back on any error."""
    async with sessions() as session, session.begin():
        yield session


async def upgrade_to_head(
    database_url: str,
    migrations_package: str,
    *,
    version_table: str = DEFAULT_VERSION_TABLE,
) -> None:
    """Apply every revision of ``migrations_package`` not yet applied, in one transaction.

    On PostgreSQL, concurrent callers (replicas starting together) are serialized by a
    transaction-level advisory lock; on SQLite, by ``BEGIN IMMEDIATE``.
    """
    directory = migrations_directory(migrations_package)
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                lock = zlib.crc32(f"tandem-migrations:{version_table}".encode())
                await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
            await connection.run_sync(_upgrade, directory, version_table)
    finally:
        await engine.dispose()


async def current_revision(
    database_url: str, *, version_table: str = DEFAULT_VERSION_TABLE
) -> str | None:
    """The revision the database is at, or None before the first migration."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision, version_table)
    finally:
        await engine.dispose()


def migrations_directory(migrations_package: str) -> Path:
    """The folder of an importable migrations package; it must hold a ``versions/`` folder."""
    module = importlib.import_module(migrations_package)
    locations = list(getattr(module, "__path__", ()))
    if not locations:
        raise ValueError(f"{migrations_package!r} is a module, not a migrations package")
    directory = Path(locations[0])
    if not (directory / "versions").is_dir():
        raise ValueError(f"{migrations_package!r} has no versions/ folder")
    return directory


def _upgrade(connection: Connection, directory: Path, version_table: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(directory))
    script = ScriptDirectory.from_config(config)

    def revisions_to_head(revision: Any, _context: MigrationContext) -> Any:
        return script._upgrade_revs("head", revision)  # what `alembic upgrade head` runs

    with EnvironmentContext(config, script, fn=revisions_to_head, destination_rev="head") as env:
        env.configure(connection=connection, version_table=version_table)
        with env.begin_transaction():
            env.run_migrations()


def _current_revision(connection: Connection, version_table: str) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_revision()


def _create_sqlite_folder(url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _serialize_sqlite_transactions(engine: AsyncEngine) -> None:
    """SQLAlchemy's documented recipe, with IMMEDIATE: SQLite's lock taken at BEGIN."""

    locked = engine.sync_engine.dialect.loaded_dbapi.OperationalError

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] != "wal":
                # WAL is a property of the file, kept once set. Switching needs the file
                # to itself and does not wait for a busy one: if another connection is
                # using it now, a later connection switches (nothing depends on WAL).
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                except locked as error:
                    if "locked" not in str(error):
                        raise
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
