"""The OA subgraph's ASGI app: migrations on start-up, a session factory for the resolvers,
and the event worker (:mod:`subgraphs.oa.worker`) for as long as the app runs.

Settings come from :mod:`subgraphs.common.settings` (``TANDEM_OA_DATABASE_URL``,
``TANDEM_REDIS_URL``, ...); ``TANDEM_OA_SEED=1`` loads the demo company (idempotently) after
migrating.
"""

from __future__ import annotations

import os
from typing import Final

from starlette.types import ASGIApp

from subgraphs.common.app import create_subgraph_app, database_lifespan
from subgraphs.common.events import EventBus
from subgraphs.common.settings import SubgraphSettings
from subgraphs.common.uploads import UploadLimits
from subgraphs.oa import MIGRATIONS, NAME, VERSION_TABLE
from subgraphs.oa.downloads import download_route
from subgraphs.oa.schema import schema
from subgraphs.oa.seed import seed_demo_data
from subgraphs.oa.standing import standing_stamp
from subgraphs.oa.store.events import LIVE_TOPICS
from subgraphs.oa.store.files import FileStore
from subgraphs.oa.store.models import OUTBOX_TABLE
from subgraphs.oa.worker import running_worker
from tandem_shared.db import upgrade_to_head

__all__ = ["SEED_VARIABLE", "build_app", "migrate"]

SEED_VARIABLE: Final = "TANDEM_OA_SEED"


async def migrate(database_url: str) -> None:
    """Bring ``database_url`` to the newest OA revision (history in ``oa_alembic_version``)."""
    await upgrade_to_head(database_url, MIGRATIONS, version_table=VERSION_TABLE)


def build_app(
    settings: SubgraphSettings,
    *,
    public_key: str | None = None,
    seed: bool | None = None,
    bus: EventBus | None = None,
) -> ASGIApp:
    """The OA subgraph for ``settings``; ``public_key`` (PEM) overrides the gateway key;
    ``seed`` (default: ``TANDEM_OA_SEED=1``) loads the demo company on start-up; ``bus``
    (shared with other services in this process, closed by its owner) replaces the bus the
    settings name (Redis with ``TANDEM_REDIS_URL``, else a private in-process bus)."""
    load_demo = os.environ.get(SEED_VARIABLE, "").strip() == "1" if seed is None else seed
    assert settings.files_dir is not None  # defaulted by the settings
    files = FileStore(settings.files_dir / "store", settings.upload_max_bytes)
    uploads = UploadLimits(settings.files_dir / "spool", settings.upload_max_bytes)

    lifespan = database_lifespan(
        settings.database_url,
        migrate=migrate,
        seed=seed_demo_data if load_demo else None,
        worker=lambda sessions: running_worker(sessions, settings, bus=bus),
        outbox_table=OUTBOX_TABLE,
        live_topics=LIVE_TOPICS,  # the subscriptions' (resolvers/live.py)
        standing=standing_stamp,
        state={"files": files},
    )
    return create_subgraph_app(
        schema,
        NAME,
        settings=settings,
        public_key=public_key,
        lifespan=lifespan,
        routes=[download_route()],  # GET /files/{version_id} (downloads.py)
        uploads=uploads,
    )
