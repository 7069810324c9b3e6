"""The audit trail as a hash chain: appending records, and verifying that none was edited.

Each record (a row of a subgraph's audit table, :mod:`subgraphs.common.audit`) carries
``seq`` (1, 2, 3, ... without gaps), ``prev_hash`` (the previous record's ``hash``; 64 zeros
for the first) and ``hash``: the SHA-256 (hex) of the canonical JSON of its own fields and
``prev_hash`` (keys sorted, no blanks, UTF-8; the time as UTC ISO 8601 with microseconds).
Editing any field of a record breaks its hash; deleting or inserting a record breaks the
next one's ``prev_hash`` or the sequence. What a chain alone cannot show is the removal of
its newest records: compare the count and the last hash :func:`verify` reports with a copy
kept elsewhere (a log line, a backup) for that.

Appends are serialized per database so that two transactions never chain onto the same
record: on PostgreSQL by a transaction-level advisory lock taken just before the append
(the last thing a transaction does, so it never waits for another lock while holding it);
on SQLite every write transaction already holds the database's one write lock
(``BEGIN IMMEDIATE``, :mod:`tandem_shared.db`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Table, insert, select, text

from subgraphs.common.audit import PendingRecord
from tandem_shared.timestamps import utc_now

__all__ = ["GENESIS", "Verification", "append", "record_hash", "verify"]

GENESIS: Final = "0" * 64
"""The ``prev_hash`` of the first record."""
_BATCH: Final = 1000
_HASHED: Final = (
    "seq",
    "recorded_at",
    "subject",
    "client_id",
    "request_id",
    "operation",
    "kind",
    "entity_type",
    "entity_id",
    "changes",
    "prev_hash",
)


def record_hash(row: Mapping[str, Any]) -> str:
    """The hash of an audit row: SHA-256 over the canonical JSON of its hashed fields."""
    fields = {name: row[name] for name in _HASHED}
    fields["recorded_at"] = _instant(row["recorded_at"])
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(connection: Connection, pending: Sequence[PendingRecord]) -> None:
    """Chain ``pending`` onto their audit tables, inside ``connection``'s transaction."""
    by_table: dict[Table, list[PendingRecord]] = {}
    for record in pending:
        by_table.setdefault(record.table, []).append(record)
    for table, records in by_table.items():
        _lock(connection, table)
        last = connection.execute(
            select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)
        ).first()
        seq, previous = (0, GENESIS) if last is None else (int(last.seq), str(last.hash))
        now = utc_now()
        rows = []
        for record in records:
            seq += 1
            row: dict[str, Any] = {
                "seq": seq,
                "recorded_at": now,
                "subject": record.context.subject,
                "client_id": record.context.client_id,
                "request_id": record.context.request_id,
                "operation": record.context.operation,
                "kind": record.kind.value,
                "entity_type": record.entity_type,
                "entity_id": record.entity_id,
                "changes": _changes_text(record),
                "prev_hash": previous,
            }
            row["hash"] = previous = record_hash(row)
            rows.append(row)
        connection.execute(insert(table), rows)


@dataclass(frozen=True, slots=True)
class Verification:
    """What :func:`verify` found: how many records, the last hash, the first broken one."""

    count: int
    last_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def verify(connection: Connection, table: Table) -> Verification:
    """Walk ``table``'s chain from the first record; stop at the first that does not hold."""
    count, expected_seq, previous = 0, 1, GENESIS
    while True:
        rows = connection.execute(
            select(table).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(_BATCH)
        ).mappings()
        batch = list(rows)
        if not batch:
            return Verification(count, previous)
        for row in batch:
            problem = _problem(row, expected_seq, previous)
            if problem is not None:
                seq = expected_seq if row["seq"] != expected_seq else int(row["seq"])
                return Verification(count, previous, seq, problem)
            count, expected_seq, previous = count + 1, expected_seq + 1, str(row["hash"])


def _problem(row: Any, seq: int, previous: str) -> str | None:
    if row["seq"] != seq:
        return f"record {seq} is missing (the next one is {row['seq']})"
    if row["prev_hash"] != previous:
        return f"record {seq} does not follow record {seq - 1} (its prev_hash differs)"
    if record_hash(row) != row["hash"]:
        return f"record {seq} was changed after it was written (its hash does not match)"
    return None


def _lock(connection: Connection, table: Table) -> None:
    if connection.dialect.name == "postgresql":
        key = zlib.crc32(f"tandem-audit:{table.name}".encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _changes_text(record: PendingRecord) -> str:
    changes: Iterable[dict[str, Any]] = (change.as_json() for change in record.changes)
    return json.dumps(list(changes), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
