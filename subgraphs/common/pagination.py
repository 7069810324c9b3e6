"""Cursor pagination: ``first``/``after``, opaque cursors, ``Connection[T]`` and keyset paging.

A list field looks like ``employees(first: Int = 20, after: String): EmployeeConnection!``
and answers ``{ edges { cursor node { ... } } pageInfo { hasNextPage endCursor } }``.

:func:`paginate` pages a SQLAlchemy ``select`` by a stable order (keyset, not offset):
the order's last column must be unique (an id) and no order column may be NULL.

A cursor carries the row's order values, which are field values (a customer number, an entry
number, a creation time) the caller may not be allowed to read: so it is sealed, not encoded.
It is the base64url of a random nonce and the AES-256-GCM encryption of the tagged values
(padded to a multiple of :data:`PAD` bytes, so its length says little either), with the
ordering as associated data. The key is derived (HKDF-SHA256) from the subgraph's blind-index
key, a secret only subgraphs hold, required in production and generated under the data
directory in development; so no new key needs provisioning, and the gateway, which never holds
it, cannot read cursors either. A cursor from another list, another key or a tampered one is
``BAD_USER_INPUT`` on ``after`` (issue 10, item 4).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Generic, TypeVar
from uuid import UUID

import strawberry
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from subgraphs.common.errors import BadUserInput
from tandem_shared.crypto_keys import blind_index_key

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PAD",
    "Connection",
    "Edge",
    "Page",
    "PageInfo",
    "decode_cursor",
    "encode_cursor",
    "page_size",
    "paginate",
]

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
PAD: Final = 32
"""Sealed cursors are padded to a multiple of this many bytes (lengths of values hidden)."""
_NONCE: Final = 12
_KEY_INFO: Final = b"tandem pagination cursor v1"

NodeT = TypeVar("NodeT")
ItemT = TypeVar("ItemT")


@strawberry.federation.type(shareable=True, description="Where a page ends, for the next request.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.federation.type(shareable=True, description="One item of a page, with its cursor.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.federation.type(shareable=True, description="One page of a list.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo


@dataclass(frozen=True, slots=True)
class Page(Generic[ItemT]):
    """Rows of one page with their cursors; ``to_connection`` turns them into GraphQL."""

    items: list[ItemT]
    cursors: list[str]
    has_next_page: bool

    def to_connection(self, node: Callable[[ItemT], NodeT]) -> Connection[NodeT]:
        """A ``Connection`` whose nodes are ``node(item)``."""
        pairs = zip(self.items, self.cursors, strict=True)
        edges = [Edge(cursor=cursor, node=node(item)) for item, cursor in pairs]
        end = self.cursors[-1] if self.cursors else None
        page_info = PageInfo(has_next_page=self.has_next_page, end_cursor=end)
        return Connection(edges=edges, page_info=page_info)


def page_size(
    first: int | None,
    *,
    default: int = DEFAULT_PAGE_SIZE,
    maximum: int = MAX_PAGE_SIZE,
    field: str = "first",
) -> int:
    """``first`` checked (0..maximum) or ``default``; ``BAD_USER_INPUT`` naming ``field``."""
    if first is None:
        return default
    if first < 0:
        raise BadUserInput("`first` must not be negative.", field=field)
    if first > maximum:
        raise BadUserInput(f"`first` must be at most {maximum}.", field=field)
    return first


def encode_cursor(values: Sequence[Any], order: str = "") -> str:
    """A sealed cursor for the order ``values`` of a row (``order`` names the ordering)."""
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":")).encode()
    padded = raw + b" " * (-len(raw) % PAD)  # JSON ignores trailing blanks
    nonce = os.urandom(_NONCE)
    sealed = _cipher().encrypt(nonce, padded, order.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def decode_cursor(
    cursor: str, order: str = "", *, arity: int | None = None, field: str = "after"
) -> tuple[Any, ...]:
    """The values inside ``cursor``; ``BAD_USER_INPUT`` naming ``field`` if it is not ours."""
    try:
        data = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        raw = _cipher().decrypt(data[:_NONCE], data[_NONCE:], order.encode())
        values = tuple(_untag(v) for v in json.loads(raw))
    except (
        ValueError,
        KeyError,
        TypeError,
        binascii.Error,
        InvalidOperation,
        UnicodeDecodeError,
        InvalidTag,
    ):
        raise BadUserInput("Invalid cursor.", field=field) from None
    if arity is not None and len(values) != arity:
        raise BadUserInput("Invalid cursor.", field=field)
    return values


_ciphers: dict[tuple[str, ...], AESGCM] = {}
_ciphers_lock = threading.Lock()
_ENVIRONMENT: Final = (
    "TANDEM_ENV",
    "TANDEM_DATA_DIR",
    "TANDEM_BLIND_INDEX_KEY",
    "TANDEM_BLIND_INDEX_KEY_FILE",
)


def _cipher() -> AESGCM:
    """The cursor cipher of this process's settings (derived once per distinct setting)."""
    signature = tuple(os.environ.get(name, "") for name in _ENVIRONMENT)
    with _ciphers_lock:
        found = _ciphers.get(signature)
        if found is None:
            secret = blind_index_key(os.environ)
            derived = HKDF(hashes.SHA256(), 32, salt=None, info=_KEY_INFO).derive(secret)
            found = _ciphers[signature] = AESGCM(derived)
        return found


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    order_by: Sequence[ColumnElement[Any] | Any],
    *,
    first: int | None,
    after: str | None,
    default_size: int = DEFAULT_PAGE_SIZE,
    max_size: int = MAX_PAGE_SIZE,
) -> Page[Any]:
    """One page of ``statement`` (selecting one entity or column) ordered by ``order_by``.

    ``order_by`` holds columns or ORM attributes, each optionally ``.desc()``/``.asc()``;
    the last one must be unique. The statement's own ORDER BY is replaced.
    """
    size = page_size(first, default=default_size, maximum=max_size)
    keys = [_sort_key(item) for item in order_by]
    if not keys:
        raise ValueError("paginate needs at least one order column")
    order = ";".join(f"{column}:{'d' if descending else 'a'}" for column, descending in keys)
    paged = statement.order_by(None).order_by(*order_by)
    if after is not None:
        values = decode_cursor(after, order, arity=len(keys))
        paged = paged.where(_after(keys, values))
    labels = [column.label(f"_cursor_{i}") for i, (column, _) in enumerate(keys)]
    rows = (await session.execute(paged.add_columns(*labels).limit(size + 1))).all()
    page = rows[:size]
    return Page(
        items=[row[0] for row in page],
        cursors=[encode_cursor(tuple(row[1:]), order) for row in page],
        has_next_page=len(rows) > size,
    )


def _sort_key(item: Any) -> tuple[ColumnElement[Any], bool]:
    if isinstance(item, UnaryExpression) and item.modifier in (operators.desc_op, operators.asc_op):
        return item.element, item.modifier is operators.desc_op
    if isinstance(item, UnaryExpression):
        raise ValueError("paginate supports asc() and desc() only (no NULLS FIRST/LAST)")
    return item, False


def _after(
    keys: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after ``values``: (a > x) OR (a = x AND b > y) OR ..., per direction."""
    alternatives = []
    for i, (column, descending) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        beyond = column < values[i] if descending else column > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def _tag(value: Any) -> list[Any]:
    match value:
        case bool():
            return ["b", value]
        case int():
            return ["i", value]
        case str():
            return ["s", value]
        case Decimal():
            return ["n", str(value)]
        case datetime():
            return ["t", value.isoformat()]
        case date():
            return ["d", value.isoformat()]
        case UUID():
            return ["u", str(value)]
    raise TypeError(f"cannot page by a value of type {type(value).__name__}")


def _untag(tagged: Any) -> Any:
    tag, value = tagged
    match tag:
        case "b" if isinstance(value, bool):
            return value
        case "i" if isinstance(value, int) and not isinstance(value, bool):
            return value
        case "s" if isinstance(value, str):
            return value
        case "n" if isinstance(value, str) and Decimal(value).is_finite():
            return Decimal(value)
        case "t":
            return datetime.fromisoformat(value)
        case "d":
            return date.fromisoformat(value)
        case "u":
            return UUID(value)
    raise ValueError("unknown cursor value")
