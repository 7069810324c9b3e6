"""The audit log of plaintext reads: who read which encrypted field of which object, by which
rule, under which key version.

One :class:`PlaintextRead` per plaintext the gateway returned (masked values and denials are
not plaintext reads). :class:`SqlAuditLog` keeps them in the table ``crypto_plaintext_reads``
(migrations in ``gateway/crypto/migrations``, on SQLite or PostgreSQL; every replica writes to
the same database), :class:`MemoryAuditLog` in a list (tests, one process). Auditors read
them through ``/admin/crypto/graphql`` (:mod:`gateway.crypto.audit_api`).

Every plaintext costs its audit row before the response leaves: while the audit database
cannot be reached, :meth:`SqlAuditLog.record` raises :class:`AuditUnavailable` (503
``AUDIT_UNAVAILABLE`` with ``Retry-After``) and the request that read plaintexts gets no data
(fail closed); masked values and denials need no row and are served as usual. Reads of the log
answer ``SERVICE_UNAVAILABLE``. The outage is logged once, and its end once with the number of
calls it cost (:class:`~gateway.shared_state.Outage`); the engine's pre-ping replaces the
pooled connections the database closed, so the first request after it returns is served.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tandem_shared.db import create_engine, upgrade_to_head
from tandem_shared.timestamps import AwareDateTime

from ..shared_state import Outage, database_down
from .errors import AuditUnavailable

__all__ = [
    "VERSION_TABLE",
    "AuditLog",
    "MemoryAuditLog",
    "PlaintextRead",
    "ReadFilter",
    "SqlAuditLog",
]

log = logging.getLogger("tandem.crypto")

VERSION_TABLE: Final = "crypto_alembic_version"
MIGRATIONS: Final = "gateway.crypto.migrations"


@dataclass(frozen=True, slots=True)
class PlaintextRead:
    at: datetime
    subject: str
    client_id: str | None
    coordinate: str
    entity_id: str
    rule: str
    key_id: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ReadFilter:
    """Exact matches on the given fields; ``since`` inclusive, ``until`` exclusive (as the
    subgraphs' audit trails take ``from`` and ``to``); ``before``: ids below it."""

    subject: str | None = None
    coordinate: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    before: int | None = None
    until: datetime | None = None

    def matches(self, read: PlaintextRead) -> bool:
        return (
            (self.subject is None or read.subject == self.subject)
            and (self.coordinate is None or read.coordinate == self.coordinate)
            and (self.entity_id is None or read.entity_id == self.entity_id)
            and (self.since is None or read.at >= self.since)
            and (self.until is None or read.at < self.until)
            and (self.before is None or (read.id or 0) < self.before)
        )


class AuditLog(Protocol):
    async def record(self, reads: Sequence[PlaintextRead]) -> None: ...

    async def query(self, where: ReadFilter, limit: int) -> list[PlaintextRead]:
        """Matching reads, newest first (by id), at most ``limit``."""
        ...


class MemoryAuditLog:
    def __init__(self) -> None:
        self.reads: list[PlaintextRead] = []

    async def record(self, reads: Sequence[PlaintextRead]) -> None:
        start = len(self.reads) + 1
        self.reads.extend(replace(read, id=start + i) for i, read in enumerate(reads))

    async def query(self, where: ReadFilter, limit: int) -> list[PlaintextRead]:
        return [read for read in reversed(self.reads) if where.matches(read)][:limit]


_metadata = sa.MetaData()
_reads = sa.Table(
    "crypto_plaintext_reads",
    _metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("at", AwareDateTime(), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("client_id", sa.String(200)),
    sa.Column("coordinate", sa.String(200), nullable=False),
    sa.Column("entity_id", sa.String(200), nullable=False),
    sa.Column("rule", sa.Text(), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
)


class SqlAuditLog:
    """The audit table in a database (``TANDEM_AUDIT_DATABASE_URL``), created or updated on
    first use (or by :meth:`migrate`)."""

    def __init__(self, database_url: str, *, engine: AsyncEngine | None = None) -> None:
        self.database_url = database_url
        self.engine = engine or create_engine(database_url)
        self._migrated = False
        self._lock = asyncio.Lock()
        self.outage = Outage(
            "audit database", log, message="the audit database is unavailable: try again shortly"
        )

    async def migrate(self) -> None:
        async with self._lock:
            if not self._migrated:
                await upgrade_to_head(self.database_url, MIGRATIONS, version_table=VERSION_TABLE)
                self._migrated = True

    async def close(self) -> None:
        await self.engine.dispose()

    async def record(self, reads: Sequence[PlaintextRead]) -> None:
        rows = [
            {
                "at": r.at,
                "subject": r.subject[:200],
                "client_id": None if r.client_id is None else r.client_id[:200],
                "coordinate": r.coordinate,
                "entity_id": r.entity_id[:200],
                "rule": r.rule,
                "key_id": r.key_id,
            }
            for r in reads
        ]
        try:
            if not self._migrated:
                await self.migrate()
            async with self.engine.begin() as connection:
                await connection.execute(_reads.insert(), rows)
        except Exception as error:
            if not database_down(error):
                raise
            self.outage.failed(error)
            raise AuditUnavailable("Plaintext reads cannot be audited.") from None
        self.outage.succeeded()

    async def query(self, where: ReadFilter, limit: int) -> list[PlaintextRead]:
        statement = sa.select(_reads).order_by(_reads.c.id.desc()).limit(limit)
        conditions: list[Any] = []
        if where.subject is not None:
            conditions.append(_reads.c.subject == where.subject)
        if where.coordinate is not None:
            conditions.append(_reads.c.coordinate == where.coordinate)
        if where.entity_id is not None:
            conditions.append(_reads.c.entity_id == where.entity_id)
        if where.since is not None:
            conditions.append(_reads.c.at >= where.since)
        if where.until is not None:
            conditions.append(_reads.c.at < where.until)
        if where.before is not None:
            conditions.append(_reads.c.id < where.before)
        if conditions:
            statement = statement.where(*conditions)
        try:
            if not self._migrated:
                await self.migrate()
            async with self.engine.connect() as connection:
                rows = (await connection.execute(statement)).mappings().all()
        except Exception as error:
            if not database_down(error):
                raise
            raise self.outage.failed(error) from None
        self.outage.succeeded()
        return [PlaintextRead(**dict(row)) for row in rows]
