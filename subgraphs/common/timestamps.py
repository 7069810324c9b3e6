"""Date-times in the subgraphs' GraphQL: the ``DateTime`` scalar and input checking.

The format itself (ISO 8601 with an offset; naive datetimes are bugs, not values), the
storage column type and the clock live in ``tandem_shared.timestamps``, shared with the
gateway. Here:

- Input: :func:`parse_datetime` turns anything but ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]``
  followed by ``Z`` or ``±HH:MM`` into ``BAD_USER_INPUT`` naming the field.
- GraphQL: :data:`DATETIME_SCALAR` replaces strawberry's ``DateTime`` so a naive value can
  neither come in nor go out, and every value goes out in the company's time zone
  (:mod:`subgraphs.common.company_time`); :data:`SCALAR_MAP` goes into ``StrawberryConfig``;
  it names its specification with ``@specifiedBy`` so that a gateway can check what it
  passes on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from strawberry.types.scalar import ScalarDefinition

from subgraphs.common.company_time import in_company_zone
from subgraphs.common.errors import BadUserInput
from tandem_shared.timestamps import ISO_8601, format_datetime, parse_iso8601

__all__ = [
    "DATETIME_SCALAR",
    "DATE_TIME_SPEC",
    "SCALAR_MAP",
    "parse_datetime",
    "serialize_datetime",
]


def parse_datetime(text: str, *, field: str) -> datetime:
    """ISO 8601 ``text`` with an offset as an aware datetime, else ``BAD_USER_INPUT``."""
    if not isinstance(text, str) or ISO_8601.match(text) is None:
        raise BadUserInput(
            "Expected an ISO 8601 date-time with an offset, e.g. 2026-11-25T09:30:00+08:00.",
            field=field,
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadUserInput("Not a valid date-time.", field=field) from None


def serialize_datetime(moment: datetime) -> str:
    """``moment`` as ISO 8601 with the company zone's offset: ``2026-11-25T09:30:00+08:00``."""
    return format_datetime(in_company_zone(moment))


DATE_TIME_SPEC: Final = "https://scalars.graphql.org/andimarek/date-time"
"""The date-time scalar specification (an RFC 3339 profile) our values follow."""

DATETIME_SCALAR: Final = ScalarDefinition(
    name="DateTime",
    description="A date-time in ISO 8601 with an offset, e.g. 2026-11-25T09:30:00+08:00; "
    "answered in the company's time zone.",
    specified_by_url=DATE_TIME_SPEC,
    serialize=serialize_datetime,
    parse_value=parse_iso8601,
    parse_literal=None,
    origin=datetime,
)

SCALAR_MAP: Final[dict[object, ScalarDefinition]] = {datetime: DATETIME_SCALAR}
"""For ``StrawberryConfig(scalar_map=...)``: ``datetime`` fields use :data:`DATETIME_SCALAR`."""
