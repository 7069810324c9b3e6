"""Policies in a database, written through casbin's async SQLAlchemy adapter, versioned.

SQLite by default (``sqlite+aiosqlite:///path``), PostgreSQL in production; the schema is
``policies/migrations`` (Alembic). Three tables:

- ``casbin_rule``: the policy in force, one line a row, as every casbin SQLAlchemy adapter
  keeps it. Written through ``casbin_async_sqlalchemy_adapter.Adapter`` bound to the change's
  own session; read back ordered by id, so rules keep their order (and explanations name the
  same rule on every replica).
- ``policy_versions``: every version of the whole policy (number, author, time, action,
  comment, and its lines), 1 for the seed. A rollback copies an old version into a new one.
- ``policy_audit``: one row per change (:mod:`gateway.authz.audit`).

A change is one transaction: the writers' lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
transaction lock on PostgreSQL), the optimistic check of ``expected_version`` (``CONFLICT``
when another change came first), validation, the rule rows, the version and the audit row.
An empty database is seeded from ``policies/policy.csv`` (or adopts rows already in
``casbin_rule``). A :class:`ChangeReview` (four-eyes, :mod:`gateway.authz.approvals`) sees
each change inside that transaction: it may refuse it before anything is written, and adds
its own rows after the version is written, so they commit or roll back together.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from casbin_async_sqlalchemy_adapter import (  # type: ignore[import-untyped]
    Adapter,
    create_casbin_rule_model,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import NullPool

from tandem_shared.db import create_engine
from tandem_shared.timestamps import AwareDateTime, utc_now

from ..errors import TandemError
from .audit import AuditEntry, audit_page, record_change
from .enforcer import read_policy_file
from .relations import FILE_NAME as RELATIONS_FILE
from .relations import Relations
from .validation import InvalidRule, PolicyLine, PolicyRule, RuleValidator, known_subjects

__all__ = [
    "MIGRATIONS",
    "ChangeReview",
    "PolicyChange",
    "PolicyConflict",
    "PolicyNotFound",
    "PolicySnapshot",
    "PolicyStore",
    "PolicyVersion",
]

MIGRATIONS = Path(__file__).resolve().parents[2] / "policies" / "migrations"
VERSION_TABLE = "policy_alembic_version"
SEED_AUTHOR = "system:seed"
_LOCK_KEY = zlib.crc32(b"tandem-policy-store")

CasbinRule = create_casbin_rule_model(declarative_base(), "casbin_rule")
_rules = CasbinRule.__table__
_metadata = sa.MetaData()
policy_versions = sa.Table(
    "policy_versions",
    _metadata,
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("rule_count", sa.Integer(), nullable=False),
    sa.Column("lines", sa.JSON(), nullable=False),
)


class PolicyConflict(TandemError):
    """The change was made against a version that is no longer current (or adds a rule twice)."""

    code = "CONFLICT"
    status = 409


class PolicyNotFound(TandemError):
    """The rule to remove, or the version to roll back to, does not exist."""

    code = "NOT_FOUND"
    status = 404


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One version of the whole policy (its lines are read with :meth:`PolicyStore.lines_of`)."""

    version: int
    author: str
    created_at: datetime
    action: str
    comment: str
    rule_count: int


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """What a change made: the new version, and the lines it added and removed."""

    version: PolicyVersion
    added: tuple[PolicyLine, ...]
    removed: tuple[PolicyLine, ...]


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """The policy in force and its version, read together."""

    version: int
    lines: tuple[PolicyLine, ...]


Compute = Callable[[tuple[PolicyLine, ...]], tuple[PolicyLine, ...]]
Guard = Callable[[tuple[PolicyLine, ...]], None]
"""Sees the whole policy a change would make, inside its transaction; raises to refuse it."""


class ChangeReview(Protocol):
    """A second look at a change, inside its transaction and under the writers' lock."""

    async def check(
        self,
        session: AsyncSession,
        head: int,
        before: tuple[PolicyLine, ...],
        after: tuple[PolicyLine, ...],
    ) -> None:
        """Before anything is written: raise to refuse (or hold) the change."""

    async def record(self, session: AsyncSession, change: PolicyChange) -> None:
        """After the version and its audit row are written: add rows of its own."""


class PolicyStore:
    """The policy database: load, change (validated, versioned, audited), roll back, page."""

    def __init__(
        self,
        database_url: str,
        *,
        validator: RuleValidator | None = None,
        model_path: str | Path | None = None,
        seed_path: str | Path | None = None,
        migrations: Path = MIGRATIONS,
    ) -> None:
        self.database_url = database_url
        self.validator = validator or _folder_validator(model_path)
        self.model_path = model_path
        self.seed_path = seed_path
        self.migrations = migrations
        self.engine: AsyncEngine = create_engine(database_url)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._postgres = self.engine.dialect.name == "postgresql"

    async def open(self) -> PolicySnapshot:
        """Migrate the schema, seed an empty store, and return the policy in force."""
        await _upgrade(self.database_url, self.migrations)
        async with self._sessions() as session, session.begin():
            await self._lock(session)
            if await self._head(session) is None:
                await self._seed(session)
        return await self.load()

    async def close(self) -> None:
        await self.engine.dispose()

    async def head(self) -> int:
        """The current version number (cheap: for polling)."""
        async with self._sessions() as session, session.begin():
            return await self._head(session) or 0

    async def load(self) -> PolicySnapshot:
        """The policy in force and its version, from one consistent read."""
        async with self.engine.connect() as connection:
            if self._postgres:
                await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                version = await self._head(connection) or 0
                lines = await self._lines(connection)
        return PolicySnapshot(version, lines)

    async def add(
        self,
        rule: PolicyRule,
        *,
        author: str,
        comment: str = "",
        expected_version: int | None = None,
        guard: Guard | None = None,
        review: ChangeReview | None = None,
    ) -> PolicyChange:
        """Add one rule; ``CONFLICT`` if it is already there."""
        self.validator.check(rule)

        def compute(before: tuple[PolicyLine, ...]) -> tuple[PolicyLine, ...]:
            if rule.line in before:
                raise PolicyConflict(f"the policy already has the rule {rule}")
            return (*before, rule.line)

        return await self._change(
            "add", compute, author, comment, expected_version, guard, review=review
        )

    async def remove(
        self,
        rule: PolicyRule,
        *,
        author: str,
        comment: str = "",
        expected_version: int | None = None,
        guard: Guard | None = None,
        review: ChangeReview | None = None,
    ) -> PolicyChange:
        """Remove one rule; ``NOT_FOUND`` if it is not there."""

        def compute(before: tuple[PolicyLine, ...]) -> tuple[PolicyLine, ...]:
            if rule.line not in before:
                raise PolicyNotFound(f"the policy has no rule {rule}")
            return tuple(line for line in before if line != rule.line)

        return await self._change(
            "remove", compute, author, comment, expected_version, guard, review=review
        )

    async def replace(
        self,
        rules: Sequence[PolicyRule],
        *,
        author: str,
        comment: str = "",
        expected_version: int | None = None,
        guard: Guard | None = None,
        review: ChangeReview | None = None,
    ) -> PolicyChange:
        """Replace every ``p`` rule by ``rules`` at once (role rows, ``g``, are kept)."""
        checked = self.validator.check_all(rules)

        def compute(before: tuple[PolicyLine, ...]) -> tuple[PolicyLine, ...]:
            return (*(rule.line for rule in checked), *(ln for ln in before if ln[0] != "p"))

        return await self._change(
            "replace", compute, author, comment, expected_version, guard, review=review
        )

    async def rollback(
        self,
        version: int,
        *,
        author: str,
        comment: str = "",
        expected_version: int | None = None,
        guard: Guard | None = None,
        review: ChangeReview | None = None,
    ) -> PolicyChange:
        """Make version ``version``'s policy current again, as a new version."""
        old: tuple[PolicyLine, ...] | None = None

        def compute(before: tuple[PolicyLine, ...]) -> tuple[PolicyLine, ...]:
            assert old is not None
            return old

        async def load_old(session: AsyncSession) -> None:
            nonlocal old
            old = await self._lines_of(session, version)
            if old is None:
                raise PolicyNotFound(f"there is no policy version {version}")
            for index, line in enumerate(old):  # the rules known then may be unknown now
                self.validator.check_line(line, index=index)

        comment = comment or f"rollback to version {version}"
        return await self._change(
            "rollback",
            compute,
            author,
            comment,
            expected_version,
            guard,
            prepare=load_old,
            review=review,
        )

    async def versions(
        self, first: int, after: int | None = None
    ) -> tuple[list[PolicyVersion], bool]:
        """Up to ``first`` versions, newest first, older than ``after``; whether more remain."""
        query = sa.select(*_VERSION_COLUMNS).order_by(policy_versions.c.version.desc())
        if after is not None:
            query = query.where(policy_versions.c.version < after)
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(query.limit(first + 1))).all()
        return [_version(row) for row in rows[:first]], len(rows) > first

    async def version(self, version: int) -> PolicyVersion | None:
        query = sa.select(*_VERSION_COLUMNS).where(policy_versions.c.version == version)
        async with self._sessions() as session, session.begin():
            row = (await session.execute(query)).first()
        return None if row is None else _version(row)

    async def lines_of(self, version: int) -> tuple[PolicyLine, ...] | None:
        """The whole policy as it was at ``version``."""
        async with self._sessions() as session, session.begin():
            return await self._lines_of(session, version)

    async def audit(
        self, first: int, after: int | None = None, kind: str | None = None
    ) -> tuple[list[AuditEntry], bool]:
        """Up to ``first`` audit entries (of ``kind``), newest first, older than ``after``."""
        async with self._sessions() as session, session.begin():
            return await audit_page(session, first, after, kind)

    async def _change(
        self,
        action: str,
        compute: Compute,
        author: str,
        comment: str,
        expected_version: int | None,
        guard: Guard | None,
        *,
        prepare: Callable[[AsyncSession], Awaitable[None]] | None = None,
        review: ChangeReview | None = None,
    ) -> PolicyChange:
        async with self._sessions() as session, session.begin():
            await self._lock(session)
            head = await self._head(session) or 0
            if expected_version is not None and expected_version != head:
                raise PolicyConflict(
                    f"the policy is at version {head}, not {expected_version}: reload and retry",
                    extensions={"currentVersion": head, "expectedVersion": expected_version},
                )
            if prepare is not None:
                await prepare(session)
            before = await self._lines(session)
            after = compute(before)
            if guard is not None:
                guard(after)
            if review is not None:
                await review.check(session, head, before, after)
            adapter = Adapter(self.engine, db_class=CasbinRule, db_session=session)
            if action == "add":
                ptype, *values = after[-1]
                await adapter.add_policy(ptype[0], ptype, values)
            elif action == "remove":
                for ptype, *values in set(before) - set(after):
                    await adapter.remove_policy(ptype[0], ptype, values)
            else:
                await adapter.clear_policy()
                await _add_lines(adapter, after)
            change = await self._new_version(
                session, head + 1, author, action, comment, after, before, base_version=head
            )
            if review is not None:
                await review.record(session, change)
        return change

    async def _seed(self, session: AsyncSession) -> None:
        lines = await self._lines(session)
        action, comment = "adopt", "adopted the rules found in casbin_rule"
        if not lines and self.seed_path is not None:
            if self.model_path is None:
                raise TandemError("seeding the policy store needs the casbin model file")
            lines = _unique(read_policy_file(self.model_path, self.seed_path))
            action, comment = "seed", f"seeded from {Path(self.seed_path).name}"
            try:
                lines = tuple(self.validator.check_line(ln, index=i) for i, ln in enumerate(lines))
            except InvalidRule as error:
                raise TandemError(
                    f"{self.seed_path}: rule {error.index}: {error.message}"
                ) from None
            adapter = Adapter(self.engine, db_class=CasbinRule, db_session=session)
            await _add_lines(adapter, lines)
        await self._new_version(
            session, 1, SEED_AUTHOR, action, comment, lines, (), base_version=None
        )

    async def _new_version(
        self,
        session: AsyncSession,
        version: int,
        author: str,
        action: str,
        comment: str,
        lines: tuple[PolicyLine, ...],
        before: tuple[PolicyLine, ...],
        *,
        base_version: int | None,
    ) -> PolicyChange:
        created = PolicyVersion(version, author, utc_now(), action, comment, len(lines))
        await session.execute(
            policy_versions.insert().values(
                version=version,
                author=author,
                created_at=created.created_at,
                action=action,
                comment=comment,
                rule_count=len(lines),
                lines=[list(line) for line in lines],
            )
        )
        kept, previous = set(lines), set(before)
        change = PolicyChange(
            version=created,
            added=tuple(line for line in lines if line not in previous),
            removed=tuple(line for line in before if line not in kept),
        )
        await record_change(
            session,
            at=created.created_at,
            actor=author,
            action=action,
            version=version,
            base_version=base_version,
            comment=comment,
            before=change.removed,
            after=change.added,
        )
        return change

    async def _lock(self, session: AsyncSession) -> None:
        """The writers' lock for this transaction (SQLite: ``BEGIN IMMEDIATE`` holds it)."""
        if self._postgres:
            await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})

    async def _head(self, session: AsyncSession | AsyncConnection) -> int | None:
        query = sa.select(sa.func.max(policy_versions.c.version))
        head: int | None = (await session.execute(query)).scalar_one()
        return head

    async def _lines(self, session: AsyncSession | AsyncConnection) -> tuple[PolicyLine, ...]:
        columns = [_rules.c.ptype, *(_rules.c[f"v{i}"] for i in range(6))]
        rows = (await session.execute(sa.select(*columns).order_by(_rules.c.id))).all()
        return tuple(_line(row) for row in rows if row[0])

    async def _lines_of(self, session: AsyncSession, version: int) -> tuple[PolicyLine, ...] | None:
        query = sa.select(policy_versions.c.lines).where(policy_versions.c.version == version)
        stored = (await session.execute(query)).scalar_one_or_none()
        return None if stored is None else tuple(tuple(line) for line in stored)


_VERSION_COLUMNS = [c for c in policy_versions.c if c.name != "lines"]


def _version(row: sa.Row[tuple[object, ...]]) -> PolicyVersion:
    mapping = row._mapping
    return PolicyVersion(
        version=mapping["version"],
        author=mapping["author"],
        created_at=mapping["created_at"],
        action=mapping["action"],
        comment=mapping["comment"],
        rule_count=mapping["rule_count"],
    )


def _line(row: Sequence[str | None]) -> PolicyLine:
    values: list[str] = []
    for value in row:
        if value is None:
            break
        values.append(value)
    return tuple(values)


def _unique(lines: Iterable[PolicyLine]) -> tuple[PolicyLine, ...]:
    return tuple(dict.fromkeys(lines))


async def _add_lines(adapter: Adapter, lines: Iterable[PolicyLine]) -> None:
    """Insert ``lines`` in order (one bulk insert per run of the same policy type)."""
    run: list[list[str]] = []
    run_type = ""
    for ptype, *values in lines:
        if run and ptype != run_type:
            await adapter.add_policies(run_type[0], run_type, run)
            run = []
        run_type = ptype
        run.append(list(values))
    if run:
        await adapter.add_policies(run_type[0], run_type, run)


async def _upgrade(database_url: str, directory: Path) -> None:
    """``alembic upgrade head`` for ``policies/migrations``; replicas starting together take
    turns (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                key = zlib.crc32(f"tandem-migrations:{VERSION_TABLE}".encode())
                await connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            await connection.run_sync(_run_migrations, directory)
    finally:
        await engine.dispose()


def _run_migrations(connection: sa.Connection, directory: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(directory))
    script = ScriptDirectory.from_config(config)

    def revisions_to_head(revision: str, _context: MigrationContext) -> object:
        return script._upgrade_revs("head", revision)

    with EnvironmentContext(config, script, fn=revisions_to_head, destination_rev="head") as env:
        env.configure(connection=connection, version_table=VERSION_TABLE)
        with env.begin_transaction():
            env.run_migrations()


def _folder_validator(model_path: str | Path | None) -> RuleValidator:
    """The checks a policy folder implies: the roles and relations declared beside its model
    (any subject or relation without a model)."""
    if model_path is None:
        return RuleValidator()
    folder = Path(model_path).parent
    relations = Relations.read(folder / RELATIONS_FILE)
    return RuleValidator(known_subjects(folder), relations=relations)
