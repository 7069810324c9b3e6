"""Helpers for the policy store, admin API and watcher tests: scratch databases on the real
PostgreSQL, channels on the real Redis, and gateway replicas served by uvicorn.

PostgreSQL: ``TANDEM_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
Redis: ``TANDEM_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``), channels named
``tandem-test-policy-<random>``. ``TANDEM_TEST_SKIP_POSTGRES=1`` / ``TANDEM_TEST_SKIP_REDIS=1``
skip instead of failing when a server is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import uvicorn
from redis.asyncio import Redis
from sqlalchemy import make_url
from starlette.applications import Starlette

from gateway.auth.dev_identity import DevIdentity
from gateway.auth.identify import Identifier
from gateway.authz.authorizer import Authorizer
from gateway.authz.enforcer import PolicyEnforcer
from gateway.authz.runtime import PolicyRuntime, PolicySettings
from gateway.authz.watcher import PolicyWatcher
from gateway.http.app import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.support.processes import REPO_ROOT

__all__ = [
    "MODEL",
    "POLICY",
    "POSTGRES_URL",
    "REDIS_URL",
    "GatewayReplica",
    "Served",
    "admin_headers",
    "build_replica",
    "identity",
    "new_channel",
    "redis_available",
    "running",
    "scratch_postgres",
    "served",
]

MODEL = REPO_ROOT / "policies" / "model.conf"
POLICY = REPO_ROOT / "policies" / "policy.csv"
POSTGRES_URL = os.environ.get(
    "TANDEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def identity(subject: str, *roles: str, department: str = "dept-01") -> dict[str, str]:
    """The development identity headers for a principal."""
    return {
        "x-tandem-dev-user": subject,
        "x-tandem-dev-roles": ",".join(roles),
        "x-tandem-dev-department": department,
    }


def admin_headers() -> dict[str, str]:
    return identity("sec-001", "employee", "security_admin")


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str]:
    """A fresh PostgreSQL database (asyncpg URL), dropped afterwards."""
    name = f"tandem_policy_{uuid.uuid4().hex[:12]}"
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


def redis_available() -> str:
    """The real Redis URL once it answers a ping (else fail, or skip when allowed)."""

    async def probe() -> None:
        client = Redis.from_url(REDIS_URL)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(probe())
    except OSError as error:
        if os.environ.get("TANDEM_TEST_SKIP_REDIS") == "1":
            pytest.skip(f"no Redis at {REDIS_URL}: {error}")
        raise
    return REDIS_URL


def new_channel() -> str:
    return f"tandem-test-policy-{uuid.uuid4().hex[:12]}"


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class GatewayReplica:
    """One gateway replica: its app, enforcer and policy runtime."""

    app: Starlette
    enforcer: PolicyEnforcer
    runtime: PolicyRuntime


def build_replica(
    supergraph: Path,
    database_url: str,
    *,
    redis_url: str | None = None,
    channel: str = "tandem:policy",
    poll_interval: float = 0.0,
    watcher: PolicyWatcher | None = None,
    default_allow: bool = False,
) -> GatewayReplica:
    """A gateway app wired as the factory wires it: its own enforcer (seeded from the default
    policy file), authorizer, gateway, an identifier of development headers, and the policy
    runtime installed with the same identifier."""
    loaded = load_supergraph(supergraph)
    enforcer = PolicyEnforcer(MODEL, POLICY, default_allow=default_allow)
    authorizer = Authorizer(loaded.api_schema, enforcer, explain=True)
    gateway = Gateway(loaded, authorizer=authorizer)
    identifier = Identifier(dev_identity=DevIdentity({}))
    app = create_app(gateway, identifier=identifier)
    settings = PolicySettings(
        database_url=database_url,
        redis_url=redis_url,
        channel=channel,
        poll_interval=poll_interval,
    )
    runtime = PolicyRuntime(enforcer, settings, watcher=watcher)
    runtime.install(app, identifier.identify, schema_of=lambda: loaded.api_schema)
    return GatewayReplica(app, enforcer, runtime)


@dataclass
class Served:
    """A replica served by uvicorn in a thread of its own (its own event loop)."""

    replica: GatewayReplica
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@contextlib.asynccontextmanager
async def running(supergraph: Path, database_url: str) -> AsyncIterator[GatewayReplica]:
    """A replica through its app's whole lifespan (``ASGITransport`` runs none of its own)."""
    replica = build_replica(supergraph, database_url)
    async with replica.app.router.lifespan_context(replica.app):
        yield replica


@contextlib.contextmanager
def served(replica: GatewayReplica, timeout: float = 20.0) -> Iterator[Served]:
    """Serve ``replica`` on a free port over real HTTP until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(replica.app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the replica did not start")
        time.sleep(0.02)
    running = Served(replica, f"http://127.0.0.1:{port}", server, thread)
    try:
        yield running
    finally:
        running.stop()
        sock.close()
