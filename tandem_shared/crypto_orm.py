"""Encrypted columns in SQLAlchemy models: values are sealed as the row is written.

A model marks a column with :func:`encrypted` and its declarative base calls
:func:`seal_on_flush` once::

    id_card_number: Mapped[str | None] = mapped_column(
        Text, info=encrypted("Employee", "idCardNumber", index="id_card_number_bidx"))
    id_card_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)

Whatever code assigns a plain value (a resolver, the demo seed, a test) and flushes, the
INSERT or UPDATE carries its envelope instead, bound to the row's entity id, and the blind
index column (if any) the value's token: a plain value of a marked column cannot reach the
database through the ORM. A value that already is an envelope (returned by a read, written by
``tandem keys rewrap``) is stored as it is. The keys come from the environment
(:class:`FieldKeys`, see :mod:`tandem_shared.crypto_keys`).

:func:`encrypted_columns` lists a metadata's marked columns, for ``tandem keys``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Column, MetaData, Table, event
from sqlalchemy.orm import DeclarativeBase, Mapper

from tandem_shared.crypto import BlindIndex, Sealer, index_form, is_envelope
from tandem_shared.crypto_keys import PublicKeyring, blind_index_key, keyring_path

__all__ = [
    "INFO_KEY",
    "EncryptedColumn",
    "FieldKeys",
    "encrypted",
    "encrypted_columns",
    "field_keys",
    "seal_in_place",
    "seal_on_flush",
]

INFO_KEY: Final = "tandem.encrypted"
_ENVIRONMENT: Final = (
    "TANDEM_ENV",
    "TANDEM_DATA_DIR",
    "TANDEM_KEYRING_FILE",
    "TANDEM_BLIND_INDEX_KEY",
    "TANDEM_BLIND_INDEX_KEY_FILE",
)


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column holding envelopes of ``entity``'s ``field``; ``key`` is the attribute with the
    entity id, ``index`` the blind-index column's attribute (if the field is searchable)."""

    entity: str
    field: str
    key: str = "id"
    index: str | None = None
    normalize: Callable[[str], str] = index_form

    @property
    def coordinate(self) -> str:
        return f"{self.entity}.{self.field}"


def encrypted(
    entity: str, field: str, *, key: str = "id", index: str | None = None
) -> dict[str, Any]:
    """The ``info`` of a ``mapped_column`` that holds envelopes of ``entity.field``."""
    return {INFO_KEY: EncryptedColumn(entity, field, key, index)}


@dataclass(frozen=True, slots=True)
class FieldKeys:
    """What a writer needs: the sealer (public keys only) and the blind-index key."""

    sealer: Sealer
    index: BlindIndex

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FieldKeys:
        env = os.environ if environ is None else environ
        return cls(Sealer(PublicKeyring(keyring_path(env))), BlindIndex(blind_index_key(env)))


_cache: dict[tuple[str, ...], FieldKeys] = {}
_cache_lock = threading.Lock()


def field_keys(environ: Mapping[str, str] | None = None) -> FieldKeys:
    """The :class:`FieldKeys` of the environment (one per distinct setting, reused)."""
    env = os.environ if environ is None else environ
    signature = tuple(env.get(name, "") for name in _ENVIRONMENT)
    with _cache_lock:
        found = _cache.get(signature)
        if found is None:
            found = _cache[signature] = FieldKeys.from_environment(env)
        return found


def seal_on_flush(base: type[DeclarativeBase]) -> None:
    """Seal the marked columns of every model of ``base`` on INSERT and UPDATE."""
    if not event.contains(base, "before_insert", _seal_row):
        event.listen(base, "before_insert", _seal_row, propagate=True)
        event.listen(base, "before_update", _seal_row, propagate=True)


_specs_cache: dict[Mapper[Any], tuple[tuple[str, EncryptedColumn], ...]] = {}


def _specs(mapper: Mapper[Any]) -> tuple[tuple[str, EncryptedColumn], ...]:
    found = _specs_cache.get(mapper)
    if found is None:
        found = tuple(
            (prop.key, prop.columns[0].info[INFO_KEY])
            for prop in mapper.column_attrs
            if INFO_KEY in prop.columns[0].info
        )
        _specs_cache[mapper] = found
    return found


def _seal_row(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    specs = _specs(mapper)
    if not specs:
        return
    keys: FieldKeys | None = None
    for attribute, spec in specs:
        value = getattr(target, attribute)
        if value is None:
            if spec.index is not None:
                setattr(target, spec.index, None)
            continue
        if is_envelope(value):
            continue
        keys = keys or field_keys()
        entity_id = str(getattr(target, spec.key))
        setattr(target, attribute, keys.sealer.seal(spec.entity, entity_id, spec.field, value))
        if spec.index is not None:
            setattr(target, spec.index, keys.index.token(spec.coordinate, spec.normalize(value)))


def seal_in_place(
    table: str,
    column: str,
    spec: EncryptedColumn,
    *,
    widen: bool = False,
    nullable: bool = True,
    transform: Callable[[str], str] | None = None,
) -> int:
    """In a migration: make ``table.column`` hold envelopes, sealing the plain values already
    there (``transform`` first, if given) and filling the blind index; ``widen`` turns the
    column into ``TEXT`` first (envelopes are ~200 characters). Returns the rows sealed.

    SQLite cannot alter a column's type: the values move through a new column that takes the
    old one's name (``nullable=False`` needs the empty server default SQLite requires).
    """
    import sqlalchemy as sa
    from alembic import op

    bind = op.get_bind()
    if widen and bind.dialect.name == "sqlite":
        temporary = f"{column}_sealed"
        default = None if nullable else sa.text("''")
        op.add_column(
            table, sa.Column(temporary, sa.Text(), nullable=nullable, server_default=default)
        )
        bind.execute(sa.text(f'UPDATE "{table}" SET "{temporary}" = "{column}"'))
        op.drop_column(table, column)
        op.alter_column(table, temporary, new_column_name=column)
    elif widen:
        op.alter_column(table, column, type_=sa.Text(), existing_nullable=nullable)
    names = [spec.key, column] + ([spec.index] if spec.index else [])
    rows_table = sa.table(table, *(sa.column(name) for name in names))
    key, value = rows_table.c[spec.key], rows_table.c[column]
    rows = bind.execute(sa.select(key, value).where(value.is_not(None))).all()
    keys = field_keys() if rows else None
    sealed = 0
    for entity_id, plain in rows:
        if is_envelope(plain):
            continue
        assert keys is not None
        plain = transform(plain) if transform is not None else plain
        values = {column: keys.sealer.seal(spec.entity, str(entity_id), spec.field, plain)}
        if spec.index is not None:
            values[spec.index] = keys.index.token(spec.coordinate, spec.normalize(plain))
        bind.execute(sa.update(rows_table).where(key == entity_id).values(**values))
        sealed += 1
    return sealed


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column[Any], EncryptedColumn]]:
    """Every marked column of ``metadata``: (table, column, what it holds), in table order."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            spec = column.info.get(INFO_KEY)
            if isinstance(spec, EncryptedColumn):
                found.append((table, column, spec))
    return found
