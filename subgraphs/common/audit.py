"""The audit trail of a subgraph's data: every change to its tables, recorded as it commits.

A subgraph's declarative base calls :func:`audited` once (as it calls ``seal_on_flush``)::

    audit_log = audited(Base, "oa_audit_log")

From then on, whatever code changes a row of one of the base's mapped classes through a
session -- a resolver, the event worker, the demo seed, a test -- gets an audit record,
because the recording is done by session events and not by the code that changes the data:

- ORM changes (``session.add``, attribute assignment, ``session.delete``): ``after_flush``
  reads each object's attribute history (old and new values).
- ORM-enabled statements (``session.execute(update(Budget)...)``, an ``INSERT ... ON CONFLICT``
  of a mapped class): ``do_orm_execute`` reads the affected rows before and after the
  statement, by primary key, and records what differs.
- ``before_commit`` appends the records gathered by the transaction to the chain
  (:mod:`subgraphs.common.audit_chain`) inside that same transaction: the change and its
  record commit together or not at all.

A record says who (the :class:`AuditContext`: subject, API client, request id, the mutation
being run; ``system`` outside a request), what (kind ``CREATE`` / ``UPDATE`` / ``DELETE``,
entity type = the mapped class's name, entity id = its primary key, joined by ``:`` if
composite; each changed column with its old and new value, as text) and when. A column
holding an encrypted field (:mod:`tandem_shared.crypto_orm`) is recorded as changed and
``encrypted``, never with a value; its blind-index column is not recorded at all.

Statements written with a Core ``Table`` (the outbox, the inbox, business-code counters)
are bookkeeping, not business data, and are not recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import DeclarativeBase, Mapper, ORMExecuteState, Session
from sqlalchemy.orm.base import NO_VALUE

from tandem_shared.crypto_orm import INFO_KEY, EncryptedColumn
from tandem_shared.timestamps import AwareDateTime

__all__ = [
    "SYSTEM_SUBJECT",
    "AuditContext",
    "Change",
    "ChangeKind",
    "PendingRecord",
    "acting_as",
    "audit_columns",
    "audited",
    "create_audit_table",
    "current_audit_context",
    "trail_of",
]

SYSTEM_SUBJECT: Final = "system"
"""Who changes data outside a request (start-up seeding, maintenance); workers name
themselves more precisely with :func:`acting_as` (``system:approvals``)."""
PENDING_KEY: Final = "tandem.audit.pending"
"""Where a session keeps the records of its transaction until ``before_commit``."""


class ChangeKind(StrEnum):
    """What happened to the row."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who a change is made for: the principal's subject, its API client, the gateway's
    request id and the root mutation field being resolved."""

    subject: str = SYSTEM_SUBJECT
    client_id: str | None = None
    request_id: str | None = None
    operation: str | None = None


_SYSTEM: Final = AuditContext()
_CONTEXT: ContextVar[AuditContext] = ContextVar("tandem.audit.context", default=_SYSTEM)


def current_audit_context() -> AuditContext:
    """The context changes made now are recorded under."""
    return _CONTEXT.get()


@contextmanager
def acting_as(context: AuditContext | None = None, /, **changes: Any) -> Iterator[AuditContext]:
    """Record changes made inside the block under ``context`` (or the current one with
    ``changes``: ``acting_as(operation="approve")``)."""
    chosen = replace(context or _CONTEXT.get(), **changes)
    token = _CONTEXT.set(chosen)
    try:
        yield chosen
    finally:
        _CONTEXT.reset(token)


@dataclass(frozen=True, slots=True)
class Change:
    """One column's change: old and new values as text (``None``: null or not loaded);
    for an encrypted column neither, only that it changed."""

    field: str
    old: str | None = None
    new: str | None = None
    encrypted: bool = False

    def as_json(self) -> dict[str, Any]:
        if self.encrypted:
            return {"field": self.field, "encrypted": True}
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A change waiting for its transaction to commit."""

    table: Table
    context: AuditContext
    kind: ChangeKind
    entity_type: str
    entity_id: str
    changes: tuple[Change, ...] = field(default=())


# -- the table ----------------------------------------------------------------------------


def audit_columns() -> list[Column[Any]]:
    """The columns of an audit table (fresh objects each call, for a table or a migration)."""
    return [
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
               autoincrement=False),
        Column("recorded_at", AwareDateTime(), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("client_id", String(200), nullable=True),
        Column("request_id", String(200), nullable=True),
        Column("operation", String(200), nullable=True),
        Column("kind", String(10), nullable=False),
        Column("entity_type", String(100), nullable=False),
        Column("entity_id", String(400), nullable=False),
        Column("changes", Text(), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    ]  # fmt: skip


def _indexes(table_name: str) -> list[tuple[str, list[str]]]:
    return [
        (f"ix_{table_name}_entity", ["entity_type", "entity_id"]),
        (f"ix_{table_name}_subject", ["subject"]),
        (f"ix_{table_name}_recorded_at", ["recorded_at"]),
    ]


def create_audit_table(op: Any, table_name: str) -> None:
    """Create the audit table ``table_name`` and its indexes, from an Alembic migration."""
    op.create_table(table_name, *audit_columns())
    for name, columns in _indexes(table_name):
        op.create_index(name, table_name, columns)


_TRAILS: dict[MetaData, Table] = {}
_LOCK = threading.Lock()


def audited(base: type[DeclarativeBase], table_name: str) -> Table:
    """Record every change to ``base``'s mapped classes in ``table_name`` (defined in the
    base's metadata, created by the subgraph's migration); returns that table."""
    metadata = base.metadata
    with _LOCK:
        existing = _TRAILS.get(metadata)
        if existing is not None:
            return existing
        table = Table(table_name, metadata, *audit_columns())
        for name, columns in _indexes(table_name):
            Index(name, *(table.c[column] for column in columns))
        _TRAILS[metadata] = table
        if not event.contains(Session, "after_flush", _after_flush):
            event.listen(Session, "after_flush", _after_flush)
            event.listen(Session, "do_orm_execute", _do_orm_execute)
            event.listen(Session, "before_commit", _before_commit)
            event.listen(Session, "after_soft_rollback", _after_soft_rollback)
        return table


def trail_of(metadata: MetaData) -> Table | None:
    """The audit table changes to ``metadata``'s tables are recorded in, if any."""
    return _TRAILS.get(metadata)


# -- recording ----------------------------------------------------------------------------


def _after_flush(session: Session, _context: Any) -> None:
    for obj in session.new:
        _record_object(session, obj, ChangeKind.CREATE)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _record_object(session, obj, ChangeKind.UPDATE)
    for obj in session.deleted:
        _record_object(session, obj, ChangeKind.DELETE)


def _record_object(session: Session, obj: Any, kind: ChangeKind) -> None:
    state = inspect(obj)
    mapper: Mapper[Any] = state.mapper
    table = _TRAILS.get(mapper.local_table.metadata)  # type: ignore[attr-defined]
    if table is None:
        return
    changes: list[Change] = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.key in _blind_indexes(mapper):
            continue
        history = state.attrs[prop.key].history
        if kind is ChangeKind.UPDATE and not history.has_changes():
            continue
        if kind is ChangeKind.CREATE:
            old, new = None, state.attrs[prop.key].loaded_value
        elif kind is ChangeKind.DELETE:
            old, new = state.attrs[prop.key].loaded_value, None
        else:
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
        changes.append(_change(prop.key, column, old, new))
    identity = mapper.primary_key_from_instance(obj)
    _add(session, PendingRecord(table, _CONTEXT.get(), kind, mapper.class_.__name__,
                                _entity_id(identity), tuple(changes)))  # fmt: skip


def _do_orm_execute(state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    mapper = state.bind_mapper
    if mapper is None:
        return None
    trail = _TRAILS.get(mapper.local_table.metadata)  # type: ignore[attr-defined]
    if trail is None:
        return None
    session = state.session
    table: Table = mapper.local_table  # type: ignore[assignment]
    keys = list(table.primary_key.columns)
    if state.is_insert:
        identities = _inserted_keys(state, table, keys)
    else:
        where = state.statement.whereclause  # type: ignore[attr-defined]
        query = select(*keys) if where is None else select(*keys).where(where)
        identities = [tuple(row) for row in session.execute(query)]
    before = _rows(session, table, keys, identities)
    result = state.invoke_statement()
    after = _rows(session, table, keys, identities)
    for identity in identities:
        old, new = before.get(identity), after.get(identity)
        if old == new:
            continue
        kind = (ChangeKind.CREATE if old is None
                else ChangeKind.DELETE if new is None else ChangeKind.UPDATE)  # fmt: skip
        changes = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if column.key in _blind_indexes(mapper):
                continue
            was = None if old is None else old[column.key]
            now = None if new is None else new[column.key]
            if kind is ChangeKind.UPDATE and was == now:
                continue
            changes.append(_change(prop.key, column, was, now))
        _add(session, PendingRecord(trail, _CONTEXT.get(), kind, mapper.class_.__name__,
                                    _entity_id(identity), tuple(changes)))  # fmt: skip
    return result


def _inserted_keys(state: ORMExecuteState, table: Table, keys: list[Column[Any]]) -> list[Any]:
    """The primary keys an INSERT names (its single row of values, or its parameters)."""
    params: list[Mapping[str, Any]] = []
    if isinstance(state.parameters, Mapping):
        params.append(state.parameters)
    elif state.parameters:
        params.extend(state.parameters)
    statement: Any = state.statement
    compiled = statement.compile(dialect=state.session.get_bind().dialect)
    if not params or not all(key.key in params[0] for key in keys):
        params = [compiled.params]
    found = []
    for values in params:
        if all(values.get(key.key) is not None for key in keys):
            found.append(tuple(values[key.key] for key in keys))
    return found


def _rows(
    session: Session, table: Table, keys: list[Column[Any]], identities: list[Any]
) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    if not identities:
        return {}
    rows = session.execute(select(table).where(tuple_(*keys).in_(identities))).mappings()
    return {tuple(row[key.key] for key in keys): dict(row) for row in rows}


def _before_commit(session: Session) -> None:
    if not session.info.get(PENDING_KEY) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # the commit's own flush would come after this hook: record it too
    pending: list[tuple[Any, PendingRecord]] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    from subgraphs.common.audit_chain import append  # the chain depends on this module

    append(session.connection(), [record for _, record in pending])


def _after_soft_rollback(session: Session, previous: Any) -> None:
    """Forget the records of a rolled-back transaction or savepoint (and of savepoints
    inside it); a savepoint's records stay if only an inner one was rolled back."""
    pending: list[tuple[Any, PendingRecord]] | None = session.info.get(PENDING_KEY)
    if not pending:
        return
    session.info[PENDING_KEY] = [
        (transaction, record)
        for transaction, record in pending
        if not _within(transaction, previous)
    ]


def _within(transaction: Any, ancestor: Any) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _add(session: Session, record: PendingRecord) -> None:
    """Keep ``record`` until commit, with the (nested) transaction it was made in."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING_KEY, []).append((transaction, record))


@lru_cache(maxsize=256)
def _blind_indexes(mapper: Mapper[Any]) -> frozenset[str]:
    """The columns of ``mapper`` that hold blind indexes of encrypted fields (not recorded)."""
    names = set()
    for column in mapper.local_table.columns:
        spec = column.info.get(INFO_KEY)
        if isinstance(spec, EncryptedColumn) and spec.index is not None:
            names.add(spec.index)
    return frozenset(names)


def _change(name: str, column: ColumnElement[Any], old: Any, new: Any) -> Change:
    if isinstance(column.info.get(INFO_KEY), EncryptedColumn):
        return Change(name, encrypted=True)
    return Change(name, _text(old), _text(new))


def _entity_id(identity: Any) -> str:
    return ":".join(str(part) for part in identity)


def _text(value: Any) -> str | None:
    """A value as the text an audit record holds (JSON for lists and objects)."""
    match value:
        case None:
            return None
        case _ if value is NO_VALUE:
            return None
        case bool():
            return "true" if value else "false"
        case datetime() | date():
            return value.isoformat()
        case Enum():
            return str(value.value)
        case str() | int() | Decimal() | float():
            return str(value)
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
