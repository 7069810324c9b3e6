"""Time: ISO 8601 with an offset, everywhere; naive datetimes are bugs, not values.

- Output: ``datetime.isoformat()`` of an aware datetime: ``2026-11-25T09:30:00+08:00``
  (microseconds only when non-zero).
- Input: ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` followed by ``Z`` or ``±HH:MM``; anything
  else (no offset, a space instead of ``T``, week dates) is ``BAD_USER_INPUT``.
- Storage: :class:`AwareDateTime` (``timestamptz`` on PostgreSQL, UTC text on SQLite),
  read back as aware UTC datetimes.
- GraphQL: :data:`DATETIME_SCALAR` replaces strawberry's ``DateTime`` so a naive value
  can neither come in nor go out (:data:`SCALAR_MAP` goes into ``StrawberryConfig``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from strawberry.types.scalar import ScalarDefinition

from subgraphs.common.errors import BadUserInput

__all__ = [
    "DATETIME_SCALAR",
    "SCALAR_MAP",
    "AwareDateTime",
    "format_datetime",
    "month_period",
    "parse_datetime",
    "require_aware",
    "utc_now",
]

_ISO_8601 = re.compile(
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


def parse_datetime(text: str, *, field: str) -> datetime:
    """ISO 8601 ``text`` with an offset as an aware datetime, else ``BAD_USER_INPUT``."""
    if not isinstance(text, str) or _ISO_8601.match(text) is None:
        raise BadUserInput(
            "Expected an ISO 8601 date-time with an offset, e.g. 2026-11-25T09:30:00+08:00.",
            field=field,
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadUserInput("Not a valid date-time.", field=field) from None


def month_period(moment: datetime) -> str:
    """The ``YYYYMM`` period of ``moment`` in its own offset (pass the business time zone)."""
    return require_aware(moment).strftime("%Y%m")


def _parse_scalar(value: object) -> datetime:
    if not isinstance(value, str) or _ISO_8601.match(value) is None:
        raise ValueError("expected an ISO 8601 date-time with an offset")
    return datetime.fromisoformat(value)


DATE_TIME_SPEC: Final = "https://scalars.graphql.org/andimarek/date-time"
"""The date-time scalar specification (an RFC 3339 profile) our values follow: named by
``@specifiedBy`` so that a gateway can check the format of what it passes on."""

DATETIME_SCALAR: Final = ScalarDefinition(
    name="DateTime",
    description="A date-time in ISO 8601 with an offset, e.g. 2026-11-25T09:30:00+08:00.",
    specified_by_url=DATE_TIME_SPEC,
    serialize=format_datetime,
    parse_value=_parse_scalar,
    parse_literal=None,
    origin=datetime,
)

SCALAR_MAP: Final[dict[object, ScalarDefinition]] = {datetime: DATETIME_SCALAR}
"""For ``StrawberryConfig(scalar_map=...)``: ``datetime`` fields use :data:`DATETIME_SCALAR`."""


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
