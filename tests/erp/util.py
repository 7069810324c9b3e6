"""Small helpers for the ERP tests: fresh names and entity queries."""

from __future__ import annotations

import uuid
from typing import Any

__all__ = ["ENTITIES", "fresh", "money"]

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename %s }
}
"""


def fresh(prefix: str = "t") -> str:
    """A name no other test uses: ``prefix-3f2a9c01``."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def money(amount: str, currency: str = "CNY") -> dict[str, Any]:
    """A ``Money``/``MoneyInput`` value."""
    return {"amount": amount, "currency": currency}
