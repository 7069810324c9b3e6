"""Re-encrypting stored envelopes under the active key version, online, in batches.

For each encrypted column of each database (``tandem_shared.crypto_orm`` marks them), rows
whose envelope is not under the active key are read a batch at a time in key order, opened
(:class:`~gateway.crypto.keyring.FieldKeyring`) and sealed again to the active key, and written
back with a compare-and-set (``UPDATE ... WHERE key = :key AND column = :old``), one
transaction per batch: a value a subgraph changed meanwhile is left as the subgraph wrote it
(a newer envelope, under the active key unless the writer has not seen the rotation yet, in
which case a later run takes it). Readers are never blocked and always see a whole envelope,
old or new, which the gateway opens either way (both key versions are in the keyring until
the old one is retired).

Resumable: after each batch its last key is saved in the state file (atomically), so a run
killed half-way starts again after the last committed batch; and a row already under the
active key is skipped anyway, so running again is always safe. A value that does not open is
counted and left alone (never overwritten); a plain value found in a marked column (written
around the ORM) is sealed.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tandem_shared.crypto import BlindIndex, Sealer, parse_envelope
from tandem_shared.crypto_keys import PublicKeyring
from tandem_shared.crypto_orm import EncryptedColumn, encrypted_columns
from tandem_shared.db import create_engine

from .errors import DecryptionFailed
from .keyring import FieldKeyring

__all__ = ["ColumnReport", "Rewrapper", "count_by_key"]

AfterBatch = Callable[[str, int], Awaitable[None] | None]
"""Called after each committed batch with the column's name and the rows it rewrapped."""


@dataclass
class ColumnReport:
    column: str
    rewrapped: int = 0
    sealed: int = 0
    changed_meanwhile: int = 0
    failed: int = 0


@dataclass
class _State:
    path: Path | None
    target: str
    done: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, target: str) -> _State:
        if path is None or not path.exists():
            return cls(path, target)
        saved = json.loads(path.read_text(encoding="utf-8"))
        after = saved.get("after", {}) if saved.get("target") == target else {}
        return cls(path, target, dict(after))

    def save(self) -> None:
        if self.path is None:
            return
        text = json.dumps({"target": self.target, "after": self.done}, indent=2)
        descriptor, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(name, self.path)


class Rewrapper:
    def __init__(
        self,
        keyring: FieldKeyring,
        *,
        index: BlindIndex | None = None,
        batch: int = 200,
        pause: float = 0.0,
        state_path: Path | None = None,
        after_batch: AfterBatch | None = None,
    ) -> None:
        self.keyring = keyring
        self.public = PublicKeyring(keyring.path)
        self.sealer = Sealer(self.public)
        self.index = index
        self.batch = batch
        self.pause = pause
        self.state_path = state_path
        self.after_batch = after_batch

    async def run(self, databases: Mapping[str, tuple[str, sa.MetaData]]) -> list[ColumnReport]:
        """Rewrap every encrypted column of ``databases`` (name -> (URL, metadata))."""
        target, _ = self.public.active()
        self.keyring.reload()
        state = _State.load(self.state_path, target)
        reports = []
        for name, (url, metadata) in databases.items():
            engine = create_engine(url)
            try:
                for table, column, spec in encrypted_columns(metadata):
                    label = f"{name}:{table.name}.{column.name}"
                    report = ColumnReport(label)
                    await self._column(engine, table, column, spec, state, report)
                    reports.append(report)
            finally:
                await engine.dispose()
        return reports

    async def _column(
        self,
        engine: Any,
        table: sa.Table,
        column: sa.Column[Any],
        spec: EncryptedColumn,
        state: _State,
        report: ColumnReport,
    ) -> None:
        key = table.c[spec.key]
        value = table.c[column.name]
        index = table.c[spec.index] if spec.index else None
        prefix = f"t1.{state.target}.%"
        while True:
            after = state.done.get(report.column)
            statement = (
                sa.select(key, value)
                .where(value.is_not(None), sa.not_(value.like(prefix)))
                .order_by(key)
                .limit(self.batch)
            )
            if after is not None:
                statement = statement.where(key > after)
            async with engine.begin() as connection:
                rows = (await connection.execute(statement)).all()
                if not rows:
                    return
                for entity_id, old in rows:
                    new, extra = self._reseal(spec, str(entity_id), old, report)
                    if new is None:
                        continue
                    changes: dict[str, Any] = {column.name: new}
                    if extra is not None and index is not None:
                        changes[index.name] = extra
                    update = (
                        sa.update(table).where(key == entity_id, value == old).values(**changes)
                    )
                    result = await connection.execute(update)
                    if result.rowcount == 0:
                        report.changed_meanwhile += 1
            state.done[report.column] = rows[-1][0]
            state.save()
            if self.after_batch is not None:
                outcome = self.after_batch(report.column, len(rows))
                if outcome is not None:
                    await outcome
            if self.pause:
                await asyncio.sleep(self.pause)

    def _reseal(
        self, spec: EncryptedColumn, entity_id: str, old: str, report: ColumnReport
    ) -> tuple[str | None, str | None]:
        """The new envelope (and blind index, for a plain value found), or None to skip."""
        if parse_envelope(old) is None:
            report.sealed += 1
            token = None
            if self.index is not None and spec.index is not None:
                token = self.index.token(spec.coordinate, spec.normalize(old))
            return self.sealer.seal(spec.entity, entity_id, spec.field, old), token
        try:
            opened = self.keyring.open(old, spec.entity, entity_id, spec.field)
        except DecryptionFailed:
            report.failed += 1
            return None, None
        report.rewrapped += 1
        return self.sealer.seal(spec.entity, entity_id, spec.field, opened.plaintext), None


async def count_by_key(databases: Mapping[str, tuple[str, sa.MetaData]]) -> dict[str, int]:
    """How many stored values each key version encrypts, over every encrypted column."""
    counts: dict[str, int] = {}
    for url, metadata in databases.values():
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                for table, column, _ in encrypted_columns(metadata):
                    value = table.c[column.name]
                    rows = await connection.execute(sa.select(value).where(value.is_not(None)))
                    for (text,) in rows:
                        envelope = parse_envelope(text)
                        kid = envelope.kid if envelope is not None else "(plain)"
                        counts[kid] = counts.get(kid, 0) + 1
        finally:
            await engine.dispose()
    return counts
