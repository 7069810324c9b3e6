"""Small input checks shared by the store functions; each failure names its field."""

from __future__ import annotations

from decimal import Decimal

from subgraphs.common.errors import BadUserInput

__all__ = ["MAX_QUANTITY", "require_id", "require_positive", "require_text"]

MAX_QUANTITY = 1_000_000_000
"""The largest quantity of one line or movement (beyond it: a typo, not an order)."""


def require_text(value: str | None, field: str, *, max_length: int = 200) -> str:
    """``value`` stripped, if it is not blank and at most ``max_length`` characters."""
    text = (value or "").strip()
    if not text:
        raise BadUserInput("Must not be blank.", field=field)
    if len(text) > max_length:
        raise BadUserInput(f"At most {max_length} characters.", field=field)
    return text


def require_id(value: str | None, field: str) -> str:
    """An id: not blank, at most 64 characters, no whitespace."""
    text = require_text(value, field, max_length=64)
    if any(character.isspace() for character in text):
        raise BadUserInput("An id contains no spaces.", field=field)
    return text


def require_positive(value: int | Decimal, field: str, *, maximum: int = MAX_QUANTITY) -> int:
    """``value`` if it is a whole number from 1 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise BadUserInput("Must be a whole number.", field=field)
    if not 0 < value <= maximum:
        raise BadUserInput(f"Must be between 1 and {maximum}.", field=field)
    return int(value)
