"""Input checks shared by the store modules; each failure is ``BAD_USER_INPUT`` naming its field.

Field names are the GraphQL argument paths a client sent (``input.items.0.quantity``), so a
form can put the message next to the right box.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from subgraphs.common.company_time import in_company_zone
from subgraphs.common.errors import BadUserInput

__all__ = [
    "MAX_IDS",
    "check_id",
    "check_ids",
    "check_kind",
    "check_period",
    "check_role",
    "check_tags",
    "check_text",
    "current_period",
]

MAX_IDS: Final = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SINGLE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KIND = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TAG = re.compile(r"^[^\x00-\x1f\x7f,]{1,50}$")


def check_text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """``value`` stripped; non-empty when ``required``, at most ``max_length`` characters."""
    text = (value or "").strip()
    if required and not text:
        raise BadUserInput("This field must not be empty.", field=field)
    if len(text) > max_length:
        raise BadUserInput(f"At most {max_length} characters.", field=field)
    pattern = _CONTROL if multiline else _SINGLE_LINE_CONTROL
    if pattern.search(text):
        raise BadUserInput("Control characters are not allowed.", field=field)
    return text


def check_id(value: str, *, field: str) -> str:
    """An id argument: 1-64 visible characters (whether it exists is the caller's question)."""
    if not isinstance(value, str) or not 0 < len(value) <= 64 or _SINGLE_LINE_CONTROL.search(value):
        raise BadUserInput("Not a valid id.", field=field)
    return value


def check_ids(
    values: Iterable[str], *, field: str, min_items: int = 0, max_items: int = MAX_IDS
) -> list[str]:
    """Distinct ids in the order given (duplicates dropped), between the bounds."""
    ids: list[str] = []
    for index, value in enumerate(values):
        check_id(value, field=f"{field}.{index}")
        if value not in ids:
            ids.append(value)
    if len(ids) < min_items:
        raise BadUserInput(f"Give at least {min_items}.", field=field)
    if len(ids) > max_items:
        raise BadUserInput(f"At most {max_items} are allowed.", field=field)
    return ids


def check_kind(value: str, *, field: str = "kind") -> str:
    """An approval kind: ``PURCHASE``, ``EXPENSE``, ``LEAVE``, ``CONTRACT`` or a custom one
    in the same style (2-40 of ``A-Z 0-9 _``, starting with a letter)."""
    if not isinstance(value, str) or _KIND.match(value) is None:
        raise BadUserInput(
            "A kind is 2-40 capital letters, digits or _ (e.g. PURCHASE).", field=field
        )
    return value


def check_role(value: str | None, *, field: str) -> str:
    """A role name as tokens carry it: ``finance``, ``security_admin``."""
    if not isinstance(value, str) or _ROLE.match(value) is None:
        raise BadUserInput("A role is a lower-case name such as finance.", field=field)
    return value


def check_period(value: str, *, field: str) -> str:
    """A ``YYYY-MM`` period (a month), the one format of both subgraphs."""
    if not isinstance(value, str) or _PERIOD.match(value) is None:
        raise BadUserInput("A period is a month written YYYY-MM, e.g. 2026-11.", field=field)
    return value


def current_period(now: datetime) -> str:
    """The ``YYYY-MM`` period ``now`` falls in on the company's clock."""
    return in_company_zone(now).strftime("%Y-%m")


def check_tags(values: Iterable[str], *, field: str, max_items: int = 20) -> list[str]:
    """Distinct tags (1-50 characters, no commas), trimmed, in the order given."""
    tags: list[str] = []
    for index, value in enumerate(values):
        tag = value.strip() if isinstance(value, str) else ""
        if _TAG.match(tag) is None:
            raise BadUserInput("A tag is 1-50 characters without commas.", field=f"{field}.{index}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > max_items:
        raise BadUserInput(f"At most {max_items} tags.", field=field)
    return tags
