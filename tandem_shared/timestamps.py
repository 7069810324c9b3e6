"""Time: ISO 8601 with an offset, everywhere; naive datetimes are bugs, not values.

- Output: ``datetime.isoformat()`` of an aware datetime: ``2026-11-25T09:30:00+08:00``
  (microseconds only when non-zero).
- Input: ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` followed by ``Z`` or ``±HH:MM``
  (:func:`parse_iso8601`); anything else (no offset, a space instead of ``T``, week dates)
  is a ``ValueError``. Subgraphs turn it into ``BAD_USER_INPUT``
  (``subgraphs.common.timestamps``, which also holds the GraphQL ``DateTime`` scalar).
- Storage: :class:`AwareDateTime` (``timestamptz`` on PostgreSQL, UTC text on SQLite),
  read back as aware UTC datetimes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ISO_8601",
    "AwareDateTime",
    "format_datetime",
    "month_period",
    "parse_iso8601",
    "require_aware",
    "utc_now",
]

ISO_8601: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$"
)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def require_aware(moment: datetime) -> datetime:
    """``moment`` if it carries an offset; ValueError for a naive datetime (a bug)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: every time needs an offset")
    return moment


def format_datetime(moment: datetime) -> str:
    """``moment`` as ISO 8601 with its offset: ``2026-11-25T09:30:00+08:00``."""
    return require_aware(moment).isoformat()


def parse_iso8601(text: object) -> datetime:
    """ISO 8601 ``text`` with an offset as an aware datetime; ValueError for anything else."""
    if not isinstance(text, str) or ISO_8601.match(text) is None:
        raise ValueError("expected an ISO 8601 date-time with an offset")
    return datetime.fromisoformat(text)


def month_period(moment: datetime) -> str:
    """The ``YYYYMM`` period of ``moment`` in its own offset (pass the business time zone)."""
    return require_aware(moment).strftime("%Y%m")


class AwareDateTime(TypeDecorator[datetime]):
    """A column of aware datetimes: stored in UTC, read back aware in UTC; naive ones refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        utc = require_aware(value).astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
