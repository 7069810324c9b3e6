"""Data standards shared by the demo subgraphs: codes, money, federation version."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "CURRENCY",
    "EMPLOYEE_COUNT",
    "FEDERATION_VERSION",
    "ITEM_COUNT",
    "employee_id",
    "employee_no",
    "item_sku",
    "money_amount",
    "order_no",
]

FEDERATION_VERSION: Final = "2.9"
"""The Federation spec version the subgraphs link (the newest our composer knows)."""

CURRENCY = "CNY"
EMPLOYEE_COUNT = 50
ITEM_COUNT = 40

_CENT = Decimal("0.01")


def employee_id(n: int) -> str:
    """The stable ID of the ``n``-th employee (1-based), known to every subgraph."""
    return f"emp-{n:03d}"


def employee_no(n: int) -> str:
    """The business code of the ``n``-th employee: ``EMP-000123``."""
    return f"EMP-{n:06d}"


def item_sku(n: int) -> str:
    """The SKU of the ``n``-th item (1-based), known to every subgraph: ``SKU-00042``."""
    return f"SKU-{n:05d}"


def order_no(year_month: str, sequence: int) -> str:
    """A purchase order number: ``PO-202611-0001`` (month, then sequence in that month)."""
    return f"PO-{year_month}-{sequence:04d}"


def money_amount(value: Decimal) -> str:
    """A money amount as a decimal string with two places, never a float: ``"123.45"``."""
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))
