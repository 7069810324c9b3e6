"""The audit trail in GraphQL: who is acting (an extension), and the trail as a query field.

:class:`AuditContextExtension` (in every subgraph schema, :mod:`subgraphs.common.schema`)
puts the request's principal (subject, API client) and the gateway's ``x-request-id`` into the
audit context for the whole operation, and the root mutation field being resolved as its
``operation``; so the records :mod:`subgraphs.common.audit` writes say who did it and how.

:func:`audit_trail_resolver` answers a subgraph's trail field (``oaAuditTrail``,
``erpAuditTrail``: distinct names, since each subgraph holds its own trail), newest first, a
page at a time, filtered by :class:`AuditFilter`. The types are ``@shareable``: both
subgraphs define them from this one module. Only the roles in :data:`AUDIT_ROLES` may read
a trail (the gateway's policy grants the field to the same roles).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from inspect import isawaitable
from typing import Any, Final

import strawberry
from graphql import OperationType
from sqlalchemy import ColumnElement, Table, select
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from subgraphs.common.audit import AuditContext, ChangeKind, acting_as
from subgraphs.common.errors import BadUserInput, Forbidden
from subgraphs.common.identity import current_principal
from subgraphs.common.pagination import Connection
from tandem_shared.db import transaction
from tandem_shared.tokens import Principal

__all__ = [
    "AUDIT_ROLES",
    "REQUEST_ID_HEADER",
    "AuditChangeKind",
    "AuditContextExtension",
    "AuditFieldChange",
    "AuditFilter",
    "AuditRecord",
    "audit_trail_resolver",
]

AUDIT_ROLES: Final = ("auditor", "security_admin")
REQUEST_ID_HEADER: Final = "x-request-id"
_MAX_REQUEST_ID: Final = 200

AuditChangeKind = strawberry.enum(ChangeKind, name="AuditChangeKind",
                                  description="What a change did to its record.")  # fmt: skip


@strawberry.federation.type(shareable=True, description="One changed field of an audit record.")
class AuditFieldChange:
    field: str = strawberry.field(description="The stored field (column attribute) that changed.")
    old: str | None = strawberry.field(description="Its value before, as text; null for null.")
    new: str | None = strawberry.field(description="Its value after, as text; null for null.")
    encrypted: bool = strawberry.field(
        description="An encrypted field: recorded as changed, never with its values."
    )


@strawberry.federation.type(
    shareable=True,
    description="A change to one record, who made it and when; chained to the record "
    "before it by `prevHash` (see `python -m subgraphs.<name> audit verify`).",
)
class AuditRecord:
    seq: int = strawberry.field(description="Position in this subgraph's chain, from 1.")
    recorded_at: datetime
    subject: str = strawberry.field(
        description="Who: the employee id acted for, or `system` / `system:<worker>`."
    )
    client_id: str | None = strawberry.field(description="The API client acting, if any.")
    request_id: str | None = strawberry.field(description="The gateway's request id.")
    operation: str | None = strawberry.field(description="The mutation field that made it.")
    kind: AuditChangeKind  # type: ignore[valid-type]
    entity_type: str
    entity_id: str
    changes: list[AuditFieldChange]
    prev_hash: str
    hash: str


@strawberry.input(description="Which audit records to list; every given condition must hold.")
class AuditFilter:
    subject: str | None = strawberry.field(default=None, description="Made by this subject.")
    client_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    kind: AuditChangeKind | None = None  # type: ignore[valid-type]
    operation: str | None = None
    request_id: str | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Recorded at or after (inclusive)."
    )
    to: datetime | None = strawberry.field(default=None, description="Recorded before (exclusive).")


TrailResolver = Callable[..., Awaitable[Connection[AuditRecord]]]


def audit_trail_resolver(table: Table) -> TrailResolver:
    """The resolver of a trail field over the audit ``table``."""

    async def trail(
        info: Info[Any, Any],
        filter: AuditFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditRecord]:
        principal: Principal = current_principal(info)
        if not principal.has_role(*AUDIT_ROLES):
            raise Forbidden("Only auditors may read the audit trail.")
        statement = select(table.c.seq).where(*_conditions(table, filter or AuditFilter()))
        async with transaction(info.context["sessions"]) as db:
            from subgraphs.common.pagination import paginate

            page = await paginate(db, statement, [table.c.seq.desc()], first=first, after=after)
            found = await db.execute(select(table).where(table.c.seq.in_(page.items)))
            rows = {row["seq"]: row for row in found.mappings()}
        return page.to_connection(lambda seq: _record(rows[seq]))

    return trail


def _conditions(table: Table, given: AuditFilter) -> list[ColumnElement[bool]]:
    if given.from_ is not None and given.to is not None and given.from_ >= given.to:
        raise BadUserInput("`to` must be after `from`.", field="filter.to")
    equal = {
        "subject": given.subject,
        "client_id": given.client_id,
        "entity_type": given.entity_type,
        "entity_id": given.entity_id,
        "operation": given.operation,
        "request_id": given.request_id,
        "kind": None if given.kind is None else ChangeKind(given.kind).value,
    }
    conditions = [table.c[name] == value for name, value in equal.items() if value is not None]
    if given.from_ is not None:
        conditions.append(table.c.recorded_at >= given.from_)
    if given.to is not None:
        conditions.append(table.c.recorded_at < given.to)
    return conditions


def _record(row: Any) -> AuditRecord:
    import json

    changes = [
        AuditFieldChange(
            field=item["field"],
            old=item.get("old"),
            new=item.get("new"),
            encrypted=bool(item.get("encrypted", False)),
        )
        for item in json.loads(row["changes"])
    ]
    return AuditRecord(
        seq=row["seq"],
        recorded_at=row["recorded_at"],
        subject=row["subject"],
        client_id=row["client_id"],
        request_id=row["request_id"],
        operation=row["operation"],
        kind=ChangeKind(row["kind"]),
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        changes=changes,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class AuditContextExtension(SchemaExtension):
    """Changes made while an operation runs are recorded as its principal's, with the
    request id, and each root mutation field's changes under that field's name."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        principal = context.get("principal") if isinstance(context, dict) else None
        if not isinstance(principal, Principal):
            yield
            return
        request = context.get("request") if isinstance(context, dict) else None
        headers = getattr(request, "headers", None)
        request_id = headers.get(REQUEST_ID_HEADER) if headers is not None else None
        audit = AuditContext(
            subject=principal.subject,
            client_id=principal.client_id,
            request_id=request_id[:_MAX_REQUEST_ID] if request_id else None,
        )
        with acting_as(audit):
            yield

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None or info.operation.operation is not OperationType.MUTATION:
            return _next(root, info, *args, **kwargs)
        return _as_operation(info.field_name, _next, root, info, *args, **kwargs)


async def _as_operation(name: str, _next: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with acting_as(operation=name):
        result = _next(*args, **kwargs)
        if isawaitable(result):
            result = await result
        return result
