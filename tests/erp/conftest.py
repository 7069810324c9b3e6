"""Fixtures for tests/erp: the ERP app on a scratch SQLite and a scratch PostgreSQL database.

Each backend gets one database for the whole session (migrated once, dropped at the end);
tests share it, so each creates the records it relies on under fresh names.
PostgreSQL is the real server (``TANDEM_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``); ``TANDEM_TEST_SKIP_POSTGRES=1`` skips it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from subgraphs.common.audit_cli import verify_database
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp.app import build_app
from subgraphs.erp.store.base import audit_log
from tandem_shared.keys import generate_private_key, public_key_of
from tests.erp.harness import ErpClient, running

POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (asyncpg and aiosqlite need it)."""
    return "asyncio"


@pytest.fixture(scope="session")
def gateway_key() -> str:
    """The private key the tests sign gateway tokens with."""
    return generate_private_key()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A scratch ERP database for the session, on SQLite and then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('erp') / 'erp.db'}"
        return
    name = f"tandem_erp_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise
    try:
        url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: the dialect the session's database speaks."""
    return make_url(database_url).get_backend_name()


@pytest.fixture(scope="session")
async def erp(
    database_url: str, gateway_key: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ErpClient]:
    """The ERP app running on the session's database, and a client for it. When the session's
    ERP tests are done, the database's audit chain must verify."""
    settings = SubgraphSettings(
        name="erp", data_dir=Path(tmp_path_factory.mktemp("data")), database_url=database_url
    )
    app = build_app(settings, public_key=public_key_of(gateway_key), seed=False)
    async with running(app) as (http, state):
        yield ErpClient(http, gateway_key, state["sessions"])
    chain = await verify_database(database_url, audit_log)
    assert chain.intact, chain.reason


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
