"""The formats of the encrypted fields' inputs, checked before a value is sealed.

Each check returns the value as it is stored (surrounding whitespace removed) or raises
``BAD_USER_INPUT`` naming the input field; no message repeats the value, so a mistyped ID-card
number never reaches a log or an error. :func:`index_form` is the normalization a blind index
hashes (so ``"11010119900101123x"`` and ``"11010119900101123X "`` find the same row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from subgraphs.common.errors import BadUserInput
from tandem_shared.crypto import index_form

__all__ = [
    "FORMATS",
    "bank_account",
    "check",
    "cn_resident_id",
    "phone_number",
]

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK: Final = "10X98765432"
_PHONE: Final = re.compile(r"^\+?[0-9][0-9 ()-]{4,30}$")
_ACCOUNT: Final = re.compile(r"^[A-Z0-9][A-Z0-9 ]{6,40}$")


def cn_resident_id(value: str, field: str) -> str:
    """An 18-character resident identity card number (GB 11643): 17 digits and an ISO 7064
    MOD 11-2 check character (a digit or ``X``)."""
    text = index_form(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        raise BadUserInput("Not an 18-character ID card number.", field=field)
    if _CHECK[sum(int(d) * w for d, w in zip(text, _WEIGHTS, strict=False)) % 11] != text[-1]:
        raise BadUserInput("The ID card number's check character is wrong.", field=field)
    return text


def phone_number(value: str, field: str) -> str:
    """A telephone number: digits with optional ``+``, spaces, dashes, parentheses; 5-20
    digits."""
    text = value.strip()
    digits = sum(c.isdigit() for c in text)
    if not _PHONE.match(text) or not 5 <= digits <= 20:
        raise BadUserInput("Not a telephone number.", field=field)
    return text


def bank_account(value: str, field: str) -> str:
    """A bank account or card number, or an IBAN: 8-34 letters and digits, spaces allowed."""
    text = " ".join(value.upper().split())
    compact = text.replace(" ", "")
    if not _ACCOUNT.match(text) or not 8 <= len(compact) <= 34:
        raise BadUserInput("Not a bank account number.", field=field)
    return text


FORMATS: Final[dict[str, Callable[[str, str], str]]] = {
    "cn_resident_id": cn_resident_id,
    "phone": phone_number,
    "bank_account": bank_account,
}


def check(format_name: str, value: str, field: str) -> str:
    """``value`` checked as ``format_name`` (a key of :data:`FORMATS`)."""
    return FORMATS[format_name](value, field)
