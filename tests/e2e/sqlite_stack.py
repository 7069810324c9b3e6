"""The end-to-end stack on SQLite: OA and ERP as processes each on a SQLite file (the
embedded default), ``tandem serve`` in front, Redis for the events, as on PostgreSQL.

Tests that must hold on both databases take :func:`any_stack` (parametrised: the session's
PostgreSQL ``stack`` and this one); :func:`run_sql` runs a statement on either.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.e2e.fixtures import verify_audit_chain
from tests.e2e.stack import Person, Stack, sql

__all__ = ["SqliteStack", "any_stack", "run_sql", "sqlite_stack"]


class SqliteStack(Stack):
    """A :class:`Stack` whose subgraphs keep their data in SQLite files."""

    def person(self, employee_id: str) -> Person:
        """The demo employee ``employee_id``, read from the OA's SQLite file."""
        if employee_id not in self._people:
            [row] = run_sql(self.oa_database,
                            "SELECT id, name, roles, department_id FROM oa_employees "
                            "WHERE id = $1", employee_id)  # fmt: skip
            roles = json.loads(row["roles"]) if isinstance(row["roles"], str) else row["roles"]
            self._people[employee_id] = Person(row["id"], row["name"], tuple(roles),
                                               row["department_id"])  # fmt: skip
        return self._people[employee_id]


def run_sql(url: str, query: str, *args: Any) -> list[Any]:
    """Run one statement (``$1``-style parameters) on the PostgreSQL or SQLite database at
    ``url``; its rows, readable by column name."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sql(url, query, *args)
    connection = sqlite3.connect(str(parsed.database))
    connection.row_factory = sqlite3.Row
    try:
        with connection:
            return connection.execute(re.sub(r"\$\d+", "?", query), args).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def sqlite_stack(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, redis_prefix: str
) -> Iterator[Stack]:
    """OA, ERP (on SQLite files) and the gateway for the session; both audit chains must
    verify when it stops."""
    folder = tmp_path_factory.mktemp("sqlite-stack")
    running = SqliteStack.create(
        folder,
        oa_database=f"sqlite:///{folder / 'oa.db'}",
        erp_database=f"sqlite:///{folder / 'erp.db'}",
        redis_url=redis_url,
        prefix=f"{redis_prefix}{uuid.uuid4().hex[:8]}:",
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
    for name, database in (("oa", running.oa_database), ("erp", running.erp_database)):
        run = verify_audit_chain(name, database)
        assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def any_stack(request: pytest.FixtureRequest) -> Stack:
    """The session's stack on PostgreSQL, then the one on SQLite."""
    name = "stack" if request.param == "postgresql" else "sqlite_stack"
    found: Stack = request.getfixturevalue(name)
    return found
