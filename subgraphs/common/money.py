"""Money: ``{amount: "123.45", currency: "CNY"}``; amounts are decimal strings, never floats.

Rules (DOMAIN.md, "Standards"):

- ``amount`` matches ``-?[0-9]+(\\.[0-9]+)?``: no exponent, sign ``+``, spaces, NaN or
  infinity; at most 14 integer digits and at most the currency's minor-unit places
  (``CNY`` 2, ``JPY`` 0, ...). Inputs with more places are refused, never rounded.
- ``currency`` is an ISO 4217 code from :data:`CURRENCY_SCALES`.
- Outputs always show the currency's places: ``Decimal("5")`` in CNY is ``"5.00"``.
- Stored as :class:`DecimalAmount`: ``NUMERIC(24, 4)`` on PostgreSQL; on SQLite, whose
  NUMERIC is a float, an integer count of 1/10000 units (sum and compare in SQL;
  multiply in Python).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final, Self

import strawberry
from sqlalchemy import BigInteger, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from subgraphs.common.errors import BadUserInput

__all__ = [
    "CURRENCY_SCALES",
    "DEFAULT_CURRENCY",
    "STORAGE_SCALE",
    "DecimalAmount",
    "Money",
    "MoneyInput",
    "format_amount",
    "parse_amount",
    "parse_money",
    "round_amount",
    "validate_currency",
]

DEFAULT_CURRENCY: Final = "CNY"
CURRENCY_SCALES: Final[dict[str, int]] = {
    "CNY": 2,
    "HKD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "JPY": 0,
    "KRW": 0,
    "SGD": 2,
}
"""Accepted currencies and their ISO 4217 minor-unit places."""

STORAGE_SCALE: Final = 4
"""Places kept in the database: enough for every currency above and for unit prices."""

_MAX_INTEGER_DIGITS = 14
_AMOUNT = re.compile(r"^-?(?P<integer>[0-9]+)(?:\.(?P<fraction>[0-9]+))?$")
_STORAGE_QUANTUM = Decimal(1).scaleb(-STORAGE_SCALE)


@strawberry.federation.type(shareable=True, description="An amount of money, exactly.")
class Money:
    amount: str = strawberry.field(description='A decimal string, e.g. "1234.50"; never a float.')
    currency: str = strawberry.field(description='An ISO 4217 code, e.g. "CNY".')

    @classmethod
    def of(cls, value: Decimal, currency: str = DEFAULT_CURRENCY) -> Self:
        """``value`` in ``currency``, shown with the currency's places (exact, else ValueError)."""
        return cls(amount=format_amount(value, currency), currency=currency)

    def to_decimal(self) -> Decimal:
        """The amount as a ``Decimal``."""
        return Decimal(self.amount)


@strawberry.input(description="An amount of money, exactly.")
class MoneyInput:
    amount: str = strawberry.field(description='A decimal string, e.g. "1234.50".')
    currency: str = strawberry.field(default=DEFAULT_CURRENCY, description="ISO 4217 code.")


def validate_currency(code: str, *, field: str = "currency") -> str:
    """``code`` if it is an accepted currency, else ``BAD_USER_INPUT`` naming ``field``."""
    if code not in CURRENCY_SCALES:
        raise BadUserInput(f"Unknown currency {code!r}.", field=field)
    return code


def parse_amount(
    text: str,
    currency: str = DEFAULT_CURRENCY,
    *,
    field: str = "amount",
    allow_negative: bool = False,
) -> Decimal:
    """The exact ``Decimal`` an amount string stands for, or ``BAD_USER_INPUT`` naming ``field``."""
    scale = CURRENCY_SCALES.get(currency)
    if scale is None:
        raise BadUserInput(f"Unknown currency {currency!r}.", field=field)
    if not isinstance(text, str):
        raise BadUserInput("An amount must be a decimal string.", field=field)
    match = _AMOUNT.match(text)
    if match is None:
        raise BadUserInput('An amount must be a decimal string such as "123.45".', field=field)
    if len(match["integer"].lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise BadUserInput("The amount is too large.", field=field)
    if len(match["fraction"] or "") > scale:
        raise BadUserInput(f"{currency} amounts have at most {scale} decimal places.", field=field)
    value = Decimal(text)
    if value < 0 and not allow_negative:
        raise BadUserInput("The amount must not be negative.", field=field)
    return value + 0  # normalizes "-0" to "0"


def parse_money(
    value: MoneyInput, *, field: str = "amount", allow_negative: bool = False
) -> tuple[Decimal, str]:
    """``(amount, currency)`` of a ``MoneyInput``; errors name ``field`` or its ``currency``."""
    parent = field.rpartition(".")[0]
    currency_field = f"{parent}.currency" if parent else "currency"
    currency = validate_currency(value.currency, field=currency_field)
    amount = parse_amount(value.amount, currency, field=field, allow_negative=allow_negative)
    return amount, currency


def format_amount(value: Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """``value`` with exactly the currency's places; ValueError if that would round it."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"money amounts are finite Decimals, not {value!r}")
    quantum = Decimal(1).scaleb(-CURRENCY_SCALES[currency])
    shown = value.quantize(quantum)
    if shown != value:
        raise ValueError(f"{value} has more places than {currency} allows; round_amount() first")
    return f"{shown + 0:f}"


def round_amount(value: Decimal, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """``value`` rounded half-up to the currency's places (for computed amounts: tax, shares)."""
    return value.quantize(Decimal(1).scaleb(-CURRENCY_SCALES[currency]), rounding=ROUND_HALF_UP)


class DecimalAmount(TypeDecorator[Decimal]):
    """A column type holding an exact ``Decimal`` with up to 4 places on SQLite and PostgreSQL."""

    impl = Numeric(24, STORAGE_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(24, STORAGE_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"DecimalAmount takes Decimal, not {type(value).__name__}")
        try:
            exact = value.quantize(_STORAGE_QUANTUM)
        except InvalidOperation:
            raise ValueError(f"{value} does not fit a DecimalAmount") from None
        if exact != value:
            raise ValueError(f"{value} has more than {STORAGE_SCALE} places")
        return int(exact.scaleb(STORAGE_SCALE)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-STORAGE_SCALE)
        return Decimal(value)
