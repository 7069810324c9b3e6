"""Fixtures of the end-to-end and process tests (imported by ``tests/e2e/conftest.py`` and
``tests/processes/conftest.py``): scratch PostgreSQL databases for OA and ERP, the shared
Redis with a key prefix of the session's own, and a running :class:`~tests.e2e.stack.Stack`.

``TANDEM_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and
``TANDEM_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) name the servers;
``TANDEM_TEST_SKIP_POSTGRES=1`` / ``TANDEM_TEST_SKIP_REDIS=1`` skip these tests when a server
is missing instead of failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis

from tests.e2e.stack import POSTGRES_URL, Service, Stack, scratch_database, sql

__all__ = [
    "Databases",
    "databases",
    "make_stack",
    "pytest_runtest_makereport",
    "redis_prefix",
    "redis_url",
    "stack",
    "verify_audit_chain",
]

REDIS_URL = os.environ.get("TANDEM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Databases:
    """The session's scratch databases (``postgresql://`` URLs)."""

    def __init__(self, oa: str, erp: str) -> None:
        self.oa = oa
        self.erp = erp


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    """One scratch database for OA and one for ERP, for the session; dropped afterwards.
    The subgraph processes migrate and seed them when they first start."""
    try:
        sql(POSTGRES_URL, "SELECT 1")
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("TANDEM_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(f"no PostgreSQL at {POSTGRES_URL}: {error}")
        raise
    with scratch_database("e2e_oa") as oa, scratch_database("e2e_erp") as erp:
        yield Databases(oa, erp)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis server (each stack uses keys under a prefix of its own)."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("TANDEM_TEST_SKIP_REDIS") == "1":
            pytest.skip(f"no Redis at {REDIS_URL}: {error}")
        raise
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """``tandem-e2e:<session>:``; every key under it is deleted after the session."""
    prefix = f"tandem-e2e:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def make_stack(folder: Path, databases: Databases, redis_url: str, redis_prefix: str) -> Stack:
    """A stack on the session's databases with a Redis prefix of its own, not started."""
    return Stack.create(
        folder,
        oa_database=databases.oa,
        erp_database=databases.erp,
        redis_url=redis_url,
        prefix=f"{redis_prefix}{uuid.uuid4().hex[:8]}:",
    )


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    databases: Databases,
    redis_url: str,
    redis_prefix: str,
) -> Iterator[Stack]:
    """OA, ERP and the gateway running for the session's tests (those that do not stop or
    kill any of them). When it stops, both audit chains must verify: every change the
    session's tests made was recorded, and none of the records was altered."""
    running = make_stack(tmp_path_factory.mktemp("stack"), databases, redis_url, redis_prefix)
    try:
        running.start()
        yield running
    finally:
        running.stop()
    for name, database in (("oa", databases.oa), ("erp", databases.erp)):
        run = verify_audit_chain(name, database)
        assert run.returncode == 0, run.stdout + run.stderr


def verify_audit_chain(name: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``python -m subgraphs.<name> audit verify`` on ``database_url`` (exit 0: intact)."""
    return subprocess.run(
        [sys.executable, "-m", f"subgraphs.{name}", "audit", "verify", "--database-url",
         database_url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used a stack (or a process of its own) gets their output in its
    report."""
    report = yield
    if call.when == "call" and call.excinfo is not None:
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            if isinstance(value, Stack):
                report.sections.append(("stack processes", value.logs()))
            elif isinstance(value, Service):  # a process of the test's own (tandem dev, ...)
                report.sections.append((value.name, value.output()[-6000:]))
    return report
