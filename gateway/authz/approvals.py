"""Four-eyes policy changes: a change that grants something sensitive waits for a second admin.

A change made through the admin API is checked inside its own transaction, under the store's
writers' lock (:class:`~gateway.authz.store.ChangeReview`): when the lines it would add or
remove grant a sensitive coordinate (:mod:`gateway.authz.sensitive`), nothing is written to
the policy; the change is stored as a *request* (status ``PENDING``) with the lines it would
add and remove, and the audit log gets a ``request`` entry, which auditors read through the
admin API. A second security administrator approves it (``APPROVED``: the change applies as
its author made it, in the same transaction as the request's new status and the ``approval``
audit entry) or rejects it; its author may withdraw it but never approve it.

The emergency path (``EMERGENCY``) applies a pending request at once, author included, for a
caller holding one of the configured emergency roles (none by default: off), with a mandatory
reason; it leaves an ``emergency`` audit entry and logs an ERROR line for alerting.

A request remembers the version it was made on. Additions and removals apply to the policy
of the moment of approval (the same line is added or removed, so exactly what was reviewed);
a replacement or a rollback, whose effect depends on the whole policy, is refused with
``CONFLICT`` when the policy has moved since: make the request again.

Auditors are told through the audit log (kinds ``request``, ``approval``, ``rejection``,
``withdrawal``, ``emergency``) and the log (WARNING for requests, ERROR for emergencies).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tandem_shared.timestamps import AwareDateTime, utc_now

from ..errors import TandemError
from .audit import record_change
from .sensitive import SensitiveCoordinates
from .store import ChangeReview, Guard, PolicyChange, PolicyConflict, PolicyNotFound, PolicyStore
from .validation import PolicyLine, PolicyRule

__all__ = [
    "STATUSES",
    "ChangeRequest",
    "FourEyes",
    "Outcome",
    "policy_change_requests",
]

log = logging.getLogger("tandem.authz.approvals")

STATUSES = ("PENDING", "APPROVED", "REJECTED", "WITHDRAWN", "EMERGENCY")
NEEDS_CURRENT_BASE = frozenset({"replace", "rollback"})

policy_change_requests = sa.Table(
    "policy_change_requests",
    sa.MetaData(),
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("created_at", AwareDateTime(), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.JSON(), nullable=False),
    sa.Column("comment", sa.Text(), nullable=False),
    sa.Column("base_version", sa.Integer(), nullable=False),
    sa.Column("added", sa.JSON(), nullable=False),
    sa.Column("removed", sa.JSON(), nullable=False),
    sa.Column("sensitive", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_at", AwareDateTime(), nullable=True),
    sa.Column("decision_comment", sa.Text(), nullable=True),
    sa.Column("applied_version", sa.Integer(), nullable=True),
)
"""The table as ``policies/migrations`` (0002) creates it."""


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A change that grants something sensitive, and what became of it."""

    id: int
    created_at: datetime
    author: str
    action: str
    target: Any
    comment: str
    base_version: int
    added: tuple[PolicyLine, ...]
    removed: tuple[PolicyLine, ...]
    sensitive: tuple[PolicyLine, ...]
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_comment: str | None = None
    applied_version: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a change through the admin API did: applied (``change``) or held (``request``)."""

    change: PolicyChange | None
    request: ChangeRequest | None

    @property
    def status(self) -> str:
        return "PENDING" if self.change is None else "APPLIED"


Target = Any
"""What a change is made of, as JSON: a rule's five values (add, remove), a list of them
(replace), a version number (rollback)."""


class _Held(Exception):
    """The change grants something sensitive: it is not written, a request is made instead."""

    def __init__(self, head: int, added: tuple[PolicyLine, ...], removed: tuple[PolicyLine, ...],
                 sensitive: tuple[PolicyLine, ...]) -> None:  # fmt: skip
        super().__init__("held for a second security administrator")
        self.head, self.added, self.removed, self.sensitive = head, added, removed, sensitive


class _Submission:
    """The review of a new change: hold it when it grants something sensitive."""

    def __init__(self, sensitive: SensitiveCoordinates) -> None:
        self.sensitive = sensitive

    async def check(self, session: AsyncSession, head: int, before: tuple[PolicyLine, ...],
                    after: tuple[PolicyLine, ...]) -> None:  # fmt: skip
        added, removed = _diff(before, after)
        grants = self.sensitive.grants(added, removed)
        if grants:
            raise _Held(head, added, removed, grants)

    async def record(self, session: AsyncSession, change: PolicyChange) -> None:
        return None


class _Decision:
    """The review applying a request: claim it (still pending) and record who decided."""

    def __init__(self, request: ChangeRequest, actor: str, status: str, comment: str) -> None:
        self.request, self.actor, self.status, self.comment = request, actor, status, comment

    async def check(self, session: AsyncSession, head: int, before: tuple[PolicyLine, ...],
                    after: tuple[PolicyLine, ...]) -> None:  # fmt: skip
        await _claim(session, self.request, self.actor, self.status, self.comment)

    async def record(self, session: AsyncSession, change: PolicyChange) -> None:
        version = change.version.version
        await session.execute(
            policy_change_requests.update()
            .where(policy_change_requests.c.id == self.request.id)
            .values(applied_version=version)
        )
        await record_change(
            session,
            at=change.version.created_at,
            actor=self.actor,
            action=self.request.action,
            version=version,
            base_version=version - 1,
            comment=self.comment,
            before=change.removed,
            after=change.added,
            kind="approval" if self.status == "APPROVED" else "emergency",
            request_id=self.request.id,
        )


class FourEyes:
    """The approval workflow over a policy store."""

    def __init__(
        self,
        store: PolicyStore,
        sensitive: SensitiveCoordinates,
        *,
        emergency_roles: Iterable[str] = (),
    ) -> None:
        self.store = store
        self.sensitive = sensitive
        self.emergency_roles = frozenset(emergency_roles)
        self._sessions = async_sessionmaker(store.engine, expire_on_commit=False)

    async def submit(
        self,
        action: str,
        target: Target,
        *,
        author: str,
        comment: str,
        expected_version: int | None,
        guard: Guard | None,
    ) -> Outcome:
        """Apply a change, or hold it as a request when it grants something sensitive."""
        try:
            change = await self._store_call(
                action,
                target,
                author,
                comment,
                expected_version,
                guard,
                _Submission(self.sensitive),
            )
            return Outcome(change, None)
        except _Held as held:
            request = await self._request(action, target, author, comment, held)
        grants = "; ".join(", ".join(line) for line in request.sensitive)
        log.warning(
            "policy change request %d by %s waits for a second security administrator:"
            " it grants %s", request.id, author, grants,
        )  # fmt: skip
        return Outcome(None, request)

    async def approve(
        self, request_id: int, approver: str, comment: str, guard: Guard | None = None
    ) -> Outcome:
        """Apply a pending request made by someone else."""
        request = await self._pending(request_id)
        if request.author == approver:
            raise TandemError(
                "the author of a change cannot approve it: a second security administrator must",
                code="FORBIDDEN",
                status=403,
                extensions={"reason": "FOUR_EYES", "requestId": str(request_id)},
            )
        decision = _Decision(request, approver, "APPROVED", comment)
        change = await self._apply(request, guard, decision)
        log.warning("policy change request %d by %s approved by %s: version %d",
                    request.id, request.author, approver, change.version.version)  # fmt: skip
        return Outcome(change, await self.get(request_id))

    async def emergency(
        self,
        request_id: int,
        actor: str,
        roles: Sequence[str],
        reason: str,
        guard: Guard | None = None,
    ) -> Outcome:
        """Apply a pending request at once, without a second administrator (break glass)."""
        if not self.emergency_roles.intersection(roles):
            raise TandemError(
                "emergency policy changes need one of the emergency roles"
                + (f" ({', '.join(sorted(self.emergency_roles))})" if self.emergency_roles
                   else ": none is configured (policy_emergency_roles)"),
                code="FORBIDDEN",
                status=403,
                extensions={"reason": "EMERGENCY_ROLE"},
            )  # fmt: skip
        reason = reason.strip()
        if not reason:
            raise TandemError("an emergency change needs a reason", code="BAD_USER_INPUT",
                              status=400, extensions={"column": "reason"})  # fmt: skip
        request = await self._pending(request_id)
        change = await self._apply(request, guard, _Decision(request, actor, "EMERGENCY", reason))
        log.error(
            "EMERGENCY policy change: request %d by %s applied by %s without a second"
            " administrator, version %d; reason: %s",
            request.id, request.author, actor, change.version.version, reason[:500],
        )  # fmt: skip
        return Outcome(change, await self.get(request_id))

    async def reject(self, request_id: int, actor: str, comment: str) -> ChangeRequest:
        """Refuse a pending request (another administrator; its author withdraws instead)."""
        request = await self._pending(request_id)
        if request.author == actor:
            raise TandemError("withdraw your own request instead of rejecting it",
                              code="FORBIDDEN", status=403,
                              extensions={"reason": "FOUR_EYES"})  # fmt: skip
        return await self._close(request, actor, "REJECTED", "rejection", comment)

    async def withdraw(self, request_id: int, actor: str, comment: str) -> ChangeRequest:
        """Take back one's own pending request."""
        request = await self._pending(request_id)
        if request.author != actor:
            raise TandemError("only the author of a request may withdraw it",
                              code="FORBIDDEN", status=403)  # fmt: skip
        return await self._close(request, actor, "WITHDRAWN", "withdrawal", comment)

    async def get(self, request_id: int) -> ChangeRequest | None:
        query = policy_change_requests.select().where(policy_change_requests.c.id == request_id)
        async with self._sessions() as session, session.begin():
            row = (await session.execute(query)).first()
        return None if row is None else _request(row)

    async def page(
        self, first: int, after: int | None = None, status: str | None = None
    ) -> tuple[list[ChangeRequest], bool]:
        """Up to ``first`` requests (with ``status``), newest first, older than ``after``."""
        table = policy_change_requests
        query = table.select().order_by(table.c.id.desc()).limit(first + 1)
        if after is not None:
            query = query.where(table.c.id < after)
        if status is not None:
            query = query.where(table.c.status == status)
        async with self._sessions() as session, session.begin():
            rows = (await session.execute(query)).all()
        return [_request(row) for row in rows[:first]], len(rows) > first

    # -- internals ---------------------------------------------------------------------------

    async def _request(
        self, action: str, target: Any, author: str, comment: str, held: _Held
    ) -> ChangeRequest:
        now = utc_now()
        values = {
            "created_at": now, "author": author, "action": action, "target": target,
            "comment": comment, "base_version": held.head, "status": "PENDING",
            "added": _rows(held.added), "removed": _rows(held.removed),
            "sensitive": _rows(held.sensitive),
        }  # fmt: skip
        async with self._sessions() as session, session.begin():
            inserted = await session.execute(
                policy_change_requests.insert()
                .values(**values)
                .returning(policy_change_requests.c.id)
            )
            request_id = int(inserted.scalar_one())
            await record_change(
                session, at=now, actor=author, action=action, version=None,
                base_version=held.head, comment=comment, before=held.removed, after=held.added,
                kind="request", request_id=request_id,
            )  # fmt: skip
        found = await self.get(request_id)
        assert found is not None
        return found

    async def _pending(self, request_id: int) -> ChangeRequest:
        request = await self.get(request_id)
        if request is None:
            raise PolicyNotFound(f"there is no policy change request {request_id}")
        if request.status != "PENDING":
            raise PolicyConflict(
                f"policy change request {request_id} is {request.status}, not PENDING",
                extensions={"status": request.status},
            )
        return request

    async def _apply(
        self, request: ChangeRequest, guard: Guard | None, review: _Decision
    ) -> PolicyChange:
        expected = request.base_version if request.action in NEEDS_CURRENT_BASE else None
        try:
            return await self._store_call(
                request.action, request.target, request.author, request.comment, expected,
                guard, review,
            )  # fmt: skip
        except (PolicyConflict, PolicyNotFound):
            # another decision may have won the race (its change made this one fail first)
            now = await self.get(request.id)
            if now is not None and now.status != "PENDING":
                raise PolicyConflict(
                    f"policy change request {request.id} was decided meanwhile ({now.status})",
                    extensions={"status": now.status},
                ) from None
            raise

    async def _store_call(
        self,
        action: str,
        target: Target,
        author: str,
        comment: str,
        expected_version: int | None,
        guard: Guard | None,
        review: ChangeReview,
    ) -> PolicyChange:
        options: dict[str, Any] = {
            "author": author, "comment": comment, "expected_version": expected_version,
            "guard": guard, "review": review,
        }  # fmt: skip
        if action in ("add", "remove"):
            method = self.store.add if action == "add" else self.store.remove
            return await method(PolicyRule(*target), **options)
        if action == "replace":
            return await self.store.replace([PolicyRule(*values) for values in target], **options)
        if action == "rollback":
            return await self.store.rollback(int(target), **options)
        raise ValueError(f"unknown policy change {action!r}")

    async def _close(
        self, request: ChangeRequest, actor: str, status: str, kind: str, comment: str
    ) -> ChangeRequest:
        async with self._sessions() as session, session.begin():
            now = await _claim(session, request, actor, status, comment)
            await record_change(
                session, at=now, actor=actor, action=request.action, version=None,
                base_version=request.base_version, comment=comment, before=(), after=(),
                kind=kind, request_id=request.id,
            )  # fmt: skip
        log.warning("policy change request %d by %s: %s by %s", request.id, request.author,
                    status.lower(), actor)  # fmt: skip
        closed = await self.get(request.id)
        assert closed is not None
        return closed


async def _claim(
    session: AsyncSession, request: ChangeRequest, actor: str, status: str, comment: str
) -> datetime:
    """Move a request from PENDING to ``status``; CONFLICT if someone decided first."""
    now = utc_now()
    table = policy_change_requests
    result = await session.execute(
        table.update()
        .where(table.c.id == request.id, table.c.status == "PENDING")
        .values(status=status, decided_by=actor, decided_at=now, decision_comment=comment)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise PolicyConflict(f"policy change request {request.id} was decided meanwhile")
    return now


def _diff(
    before: tuple[PolicyLine, ...], after: tuple[PolicyLine, ...]
) -> tuple[tuple[PolicyLine, ...], tuple[PolicyLine, ...]]:
    kept, previous = set(after), set(before)
    return (
        tuple(line for line in after if line not in previous),
        tuple(line for line in before if line not in kept),
    )


def _rows(lines: Iterable[PolicyLine]) -> list[list[str]]:
    return [list(line) for line in lines]


def _lines(stored: Iterable[Sequence[str]]) -> tuple[PolicyLine, ...]:
    return tuple(tuple(line) for line in stored)


def _request(row: sa.Row[Any]) -> ChangeRequest:
    m = row._mapping
    return ChangeRequest(
        id=m["id"], created_at=m["created_at"], author=m["author"], action=m["action"],
        target=m["target"], comment=m["comment"], base_version=m["base_version"],
        added=_lines(m["added"]), removed=_lines(m["removed"]),
        sensitive=_lines(m["sensitive"]), status=m["status"], decided_by=m["decided_by"],
        decided_at=m["decided_at"], decision_comment=m["decision_comment"],
        applied_version=m["applied_version"],
    )  # fmt: skip
