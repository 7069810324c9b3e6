"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from subgraphs.oa import VERSION_TABLE
from subgraphs.oa.app import migrate
from subgraphs.oa.store.models import Base
from tandem_shared.db import create_engine, current_revision

pytestmark = pytest.mark.anyio


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_migrating_again_changes_nothing(database_url: str) -> None:
    head = await current_revision(database_url, version_table=VERSION_TABLE)

    await migrate(database_url)

    assert head is not None
    assert await current_revision(database_url, version_table=VERSION_TABLE) == head
