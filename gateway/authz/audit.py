"""The policy audit log: who changed the policy, when, how, and what it was before and after.

One row per change, written in the same transaction as the change and its new version (see
:mod:`gateway.authz.store`), so a change without its audit row cannot exist. ``before`` and
``after`` hold the lines the change removed and the lines it added (an addition has an empty
``before``, a removal an empty ``after``); the whole policy before and after is the pair of
versions ``base_version`` and ``version``.

Four-eyes changes (:mod:`gateway.authz.approvals`) add entries of other kinds: ``request`` (a
change waiting for a second administrator: no version; ``before``/``after`` what it would
remove and add), ``approval`` and ``emergency`` (the version the approved or forced change
made), ``rejection`` and ``withdrawal``; ``request_id`` ties them to their request. An applied
change is always kind ``change`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_shared.timestamps import AwareDateTime

from .validation import PolicyLine

__all__ = ["AuditEntry", "audit_page", "policy_audit", "record_change"]

metadata = sa.MetaData()

policy_audit = sa.Table(
    "policy_audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("at", AwareDateTime(), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("base_version", sa.Integer(), nullable=True),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("before", sa.JSON(), nullable=False),
    sa.Column("after", sa.JSON(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("request_id", sa.Integer(), nullable=True),
)
"""The table as ``policies/migrations`` creates it."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded change."""

    id: int
    at: datetime
    actor: str
    action: str
    version: int | None
    base_version: int | None
    comment: str
    before: tuple[PolicyLine, ...]
    after: tuple[PolicyLine, ...]
    kind: str = "change"
    request_id: int | None = None


async def record_change(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    action: str,
    version: int | None,
    base_version: int | None,
    comment: str,
    before: Sequence[PolicyLine],
    after: Sequence[PolicyLine],
    kind: str = "change",
    request_id: int | None = None,
) -> None:
    """Add the audit row of a change to the change's own transaction."""
    await session.execute(
        policy_audit.insert().values(
            at=at,
            actor=actor,
            action=action,
            version=version,
            base_version=base_version,
            comment=comment,
            before=[list(line) for line in before],
            after=[list(line) for line in after],
            kind=kind,
            request_id=request_id,
        )
    )


async def audit_page(
    session: AsyncSession, first: int, after: int | None, kind: str | None = None
) -> tuple[list[AuditEntry], bool]:
    """Up to ``first`` entries (of ``kind``, if given), newest first, older than entry
    ``after``; and whether more remain."""
    query = policy_audit.select().order_by(policy_audit.c.id.desc()).limit(first + 1)
    if after is not None:
        query = query.where(policy_audit.c.id < after)
    if kind is not None:
        query = query.where(policy_audit.c.kind == kind)
    rows = (await session.execute(query)).all()
    entries = [
        AuditEntry(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            version=row.version,
            base_version=row.base_version,
            comment=row.comment,
            before=tuple(tuple(line) for line in row.before),
            after=tuple(tuple(line) for line in row.after),
            kind=row.kind,
            request_id=row.request_id,
        )
        for row in rows[:first]
    ]
    return entries, len(rows) > first
