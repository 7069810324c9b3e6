"""The ERP subgraph's ASGI app: migrate on start-up, a session factory per process, demo data,
and the event worker (:mod:`subgraphs.erp.worker`) for as long as the app runs.

Settings come from :mod:`subgraphs.common.settings` (``TANDEM_ERP_DATABASE_URL``,
``TANDEM_REDIS_URL``, ...); ``TANDEM_ERP_SEED=1`` loads the demo data (idempotently) after
migrating.
"""

from __future__ import annotations

import os

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from subgraphs.common.app import create_subgraph_app, database_lifespan
from subgraphs.common.events import EventBus
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp import NAME
from subgraphs.erp.api import standing
from subgraphs.erp.migrations import VERSION_TABLE
from subgraphs.erp.schema import schema
from subgraphs.erp.store.events import LIVE_TOPICS, OUTBOX_TABLE
from subgraphs.erp.worker import running_worker
from tandem_shared.db import transaction, upgrade_to_head

__all__ = ["MIGRATIONS", "SEED_VARIABLE", "build_app", "migrate"]

MIGRATIONS = "subgraphs.erp.migrations"
SEED_VARIABLE = "TANDEM_ERP_SEED"


async def migrate(database_url: str) -> None:
    """Bring the ERP database at ``database_url`` to the newest revision."""
    await upgrade_to_head(database_url, MIGRATIONS, version_table=VERSION_TABLE)


def build_app(
    settings: SubgraphSettings,
    *,
    public_key: str | None = None,
    seed: bool | None = None,
    bus: EventBus | None = None,
) -> ASGIApp:
    """The ERP subgraph for ``settings``; ``seed`` defaults to ``TANDEM_ERP_SEED=1``; ``bus``
    (shared with other services in this process, closed by its owner) replaces the bus the
    settings name (Redis with ``TANDEM_REDIS_URL``, else a private in-process bus)."""
    load_demo = os.environ.get(SEED_VARIABLE) == "1" if seed is None else seed

    lifespan = database_lifespan(
        settings.database_url,
        migrate=migrate,
        seed=_seed if load_demo else None,
        worker=lambda sessions: running_worker(sessions, settings, bus=bus),
        outbox_table=OUTBOX_TABLE,
        live_topics=LIVE_TOPICS,  # the subscriptions' (api/live.py)
        standing=standing.standing_stamp,
    )
    return create_subgraph_app(
        schema, NAME, settings=settings, public_key=public_key, lifespan=lifespan
    )


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Load the demo data in one transaction (imported only when asked for)."""
    from subgraphs.erp.seed import seed_demo_data

    async with transaction(sessions) as db:
        await seed_demo_data(db)
