"""The database helpers on SQLite and the real PostgreSQL: migrations, transactions, locking."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, inspect, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from subgraphs.common.money import DecimalAmount
from tandem_shared.db import (
    create_engine,
    create_session_factory,
    current_revision,
    migrations_directory,
    transaction,
    upgrade_to_head,
)

pytestmark = pytest.mark.anyio

EXAMPLE = "tests.common.migrations_example"


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


async def test_upgrade_to_head_applies_every_revision(
    database_url: str, engine: AsyncEngine
) -> None:
    assert await current_revision(database_url) is None

    await upgrade_to_head(database_url, EXAMPLE)

    assert await current_revision(database_url) == "0002"
    assert {"widgets", "business_code_counters", "alembic_version"} <= await table_names(engine)
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO widgets (id, name, price) VALUES ('w1', 'bolt', 1)")
        )


async def test_upgrade_to_head_again_changes_nothing(database_url: str) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    await upgrade_to_head(database_url, EXAMPLE)

    assert await current_revision(database_url) == "0002"


async def test_concurrent_upgrades_apply_each_revision_once(database_url: str) -> None:
    await asyncio.gather(*(upgrade_to_head(database_url, EXAMPLE) for _ in range(3)))

    assert await current_revision(database_url) == "0002"


async def test_each_subgraph_may_keep_its_own_version_table(
    database_url: str, engine: AsyncEngine
) -> None:
    await upgrade_to_head(database_url, EXAMPLE, version_table="alembic_version_example")

    assert await current_revision(database_url, version_table="alembic_version_example") == "0002"
    assert await current_revision(database_url) is None
    assert "alembic_version" not in await table_names(engine)


async def test_a_failing_revision_leaves_the_database_as_it_was(
    database_url: str, engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = tmp_path / "broken_migrations" / "versions"
    versions.mkdir(parents=True)
    (versions.parent / "__init__.py").write_text('"""Migrations that fail."""\n')
    (versions / "0001_ok.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        "revision = '0001'\ndown_revision = None\n"
        "def upgrade():\n"
        "    op.create_table('first', sa.Column('id', sa.Integer, primary_key=True))\n"
    )
    (versions / "0002_fails.py").write_text(
        "from alembic import op\nrevision = '0002'\ndown_revision = '0001'\n"
        "def upgrade():\n    op.execute('SELECT * FROM no_such_table')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_migrations", raising=False)

    with pytest.raises((OperationalError, ProgrammingError)):
        await upgrade_to_head(database_url, "broken_migrations")

    assert await current_revision(database_url) is None
    assert "first" not in await table_names(engine)


def test_a_migrations_package_needs_a_versions_folder() -> None:
    assert migrations_directory(EXAMPLE).name == "migrations_example"
    with pytest.raises(ValueError, match="versions"):
        migrations_directory("tests.common")
    with pytest.raises(ValueError, match="not a migrations package"):
        migrations_directory("tests.common.test_db")


async def test_transaction_commits_on_success_and_rolls_back_on_error(
    database_url: str, engine: AsyncEngine
) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    sessions = create_session_factory(engine)

    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO widgets (id, name) VALUES ('kept', 'a')"))
    with pytest.raises(LookupError):
        async with transaction(sessions) as session:
            await session.execute(text("INSERT INTO widgets (id, name) VALUES ('lost', 'b')"))
            raise LookupError

    async with transaction(sessions) as session:
        ids = (await session.execute(text("SELECT id FROM widgets"))).scalars().all()
    assert ids == ["kept"]


async def test_read_then_write_transactions_lose_no_update(
    database_url: str, engine: AsyncEngine
) -> None:
    """SQLite: BEGIN IMMEDIATE serializes; PostgreSQL: FOR UPDATE locks the row."""
    await upgrade_to_head(database_url, EXAMPLE)
    sessions = create_session_factory(engine)
    async with transaction(sessions) as session:
        await session.execute(text("INSERT INTO widgets (id, name, price) VALUES ('w', 'n', 0)"))
    lock = "" if engine.dialect.name == "sqlite" else " FOR UPDATE"

    async def increment() -> None:
        async with transaction(sessions) as session:
            count = (
                await session.execute(text(f"SELECT price FROM widgets WHERE id = 'w'{lock}"))
            ).scalar_one()
            await asyncio.sleep(0.001)
            await session.execute(
                text("UPDATE widgets SET price = :p WHERE id = 'w'"), {"p": count + 1}
            )

    await asyncio.gather(*(increment() for _ in range(20)))

    async with transaction(sessions) as session:
        final = (await session.execute(text("SELECT price FROM widgets"))).scalar_one()
    assert final == 20


async def test_sqlite_file_folder_is_created(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new' / 'folder' / 'x.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
    assert (tmp_path / "new" / "folder" / "x.db").exists()


async def test_sqlite_connections_enforce_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
    finally:
        await engine.dispose()


async def test_price_column_keeps_exact_decimals(database_url: str, engine: AsyncEngine) -> None:
    await upgrade_to_head(database_url, EXAMPLE)
    widgets = Table(
        "widgets",
        MetaData(),
        Column("id", String, primary_key=True),
        Column("name", String),
        Column("price", DecimalAmount()),
    )
    sessions = create_session_factory(engine)
    prices = [Decimal("0.1"), Decimal("0.2"), Decimal("12345678901234.5678")]
    async with transaction(sessions) as session:
        await session.execute(
            insert(widgets), [{"id": str(i), "name": "w", "price": p} for i, p in enumerate(prices)]
        )
    async with transaction(sessions) as session:
        stored = (await session.execute(select(widgets.c.price).order_by(widgets.c.id))).scalars()
        total = (await session.execute(select(func.sum(widgets.c.price)))).scalar_one()
    assert list(stored) == prices
    assert total == Decimal("12345678901234.8678")


@pytest.mark.anyio
async def test_connecting_while_another_process_writes_waits_instead_of_failing(
    tmp_path: Path,
) -> None:
    """A connection's switch to WAL does not wait for a busy file; the connect must not fail."""
    path = tmp_path / "busy.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode=DELETE")
    other.execute("CREATE TABLE t (id INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    engine = create_engine(f"sqlite+aiosqlite:///{path}")

    async def commit_soon() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    try:
        committer = asyncio.create_task(commit_soon())
        async with engine.begin() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one()
        await committer
    finally:
        await engine.dispose()
        other.close()
    assert count == 1
