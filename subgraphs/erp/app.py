"""The ERP subgraph's ASGI app: migrate on start-up, a session factory per process, demo data.

Settings come from :mod:`subgraphs.common.settings` (``TANDEM_ERP_DATABASE_URL``, ...);
``TANDEM_ERP_SEED=1`` loads the demo data (idempotently) after migrating.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.db import create_engine, create_session_factory, transaction, upgrade_to_head
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp import NAME
from subgraphs.erp.migrations import VERSION_TABLE
from subgraphs.erp.schema import schema

__all__ = ["MIGRATIONS", "SEED_VARIABLE", "build_app", "migrate"]

MIGRATIONS = "subgraphs.erp.migrations"
SEED_VARIABLE = "TANDEM_ERP_SEED"


async def migrate(database_url: str) -> None:
    """Bring the ERP database at ``database_url`` to the newest revision."""
    await upgrade_to_head(database_url, MIGRATIONS, version_table=VERSION_TABLE)


def build_app(
    settings: SubgraphSettings, *, public_key: str | None = None, seed: bool | None = None
) -> ASGIApp:
    """The ERP subgraph for ``settings``; ``seed`` defaults to ``TANDEM_ERP_SEED=1``."""
    load_demo = os.environ.get(SEED_VARIABLE) == "1" if seed is None else seed

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        await migrate(settings.database_url)
        engine = create_engine(settings.database_url)
        sessions = create_session_factory(engine)
        try:
            if load_demo:
                from subgraphs.erp.seed import seed_demo_data

                async with transaction(sessions) as db:
                    await seed_demo_data(db)
            yield {"sessions": sessions, "engine": engine}
        finally:
            await engine.dispose()

    return create_subgraph_app(
        schema, NAME, settings=settings, public_key=public_key, lifespan=lifespan
    )
