"""A minimal subgraph built the way OA and ERP are: settings, migrations, lifespan, guard.

Run as a process: ``python -m tests.common.sample_subgraph --port N``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.types import ASGIApp
from strawberry.types import Info

from subgraphs.common.app import create_subgraph_app, serve
from subgraphs.common.codes import PURCHASE_ORDER, next_code
from subgraphs.common.identity import current_principal
from subgraphs.common.schema import create_schema
from subgraphs.common.settings import SubgraphSettings
from tandem_shared.db import create_engine, create_session_factory, transaction, upgrade_to_head

__all__ = ["NAME", "build_app", "schema"]

NAME = "sample"
MIGRATIONS = "tests.common.migrations_example"


@strawberry.type
class Query:
    @strawberry.field
    def me(self, info: Info) -> str:
        return current_principal(info).name


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def next_order_no(self, info: Info, period: str) -> str:
        current_principal(info)
        async with transaction(info.context["sessions"]) as session:
            return await next_code(session, PURCHASE_ORDER, period)


schema = create_schema(query=Query, mutation=Mutation)


def build_app(settings: SubgraphSettings) -> ASGIApp:
    """The sample subgraph for ``settings``: migrates its database on start-up."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, Any]]:
        await upgrade_to_head(settings.database_url, MIGRATIONS)
        engine = create_engine(settings.database_url)
        try:
            yield {"sessions": create_session_factory(engine)}
        finally:
            await engine.dispose()

    return create_subgraph_app(schema, NAME, settings=settings, lifespan=lifespan)


if __name__ == "__main__":
    serve(build_app, NAME, default_port=4299)
