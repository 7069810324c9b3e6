"""The Alembic revisions create exactly the tables the models describe."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from subgraphs.common.codes import CODE_COUNTERS_TABLE
from subgraphs.erp.migrations import VERSION_TABLE
from subgraphs.erp.store.base import Base
from subgraphs.erp.store.events import OUTBOX_TABLE, PROCESSED_EVENTS_TABLE
from tandem_shared.db import create_engine
from tests.erp.harness import ErpClient

pytestmark = pytest.mark.anyio

COMMON_TABLES = {CODE_COUNTERS_TABLE, VERSION_TABLE, OUTBOX_TABLE, PROCESSED_EVENTS_TABLE}
"""Tables whose shape subgraphs.common (or Alembic) owns."""


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [
        diff
        for diff in compare_metadata(context, Base.metadata)
        if not (diff[0] == "remove_table" and diff[1].name in COMMON_TABLES)
        and not (diff[0] == "remove_index" and diff[1].table.name in COMMON_TABLES)
    ]


async def test_migrated_schema_matches_the_models(erp: ErpClient, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
