"""Money: exact decimal strings in, exact decimal strings out, currencies checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from subgraphs.common.errors import BadUserInput
from subgraphs.common.money import (
    Money,
    MoneyInput,
    format_amount,
    parse_amount,
    parse_money,
    round_amount,
    validate_currency,
)


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("123.45", "CNY", Decimal("123.45")),
        ("0", "CNY", Decimal("0")),
        ("1234.5", "CNY", Decimal("1234.5")),
        ("007.10", "CNY", Decimal("7.10")),
        ("500", "JPY", Decimal("500")),
        ("99999999999999.99", "CNY", Decimal("99999999999999.99")),
    ],
)
def test_valid_amounts_parse_exactly(text: str, currency: str, expected: Decimal) -> None:
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("12.345", "CNY", "at most 2 decimal places"),
        ("1.5", "JPY", "at most 0 decimal places"),
        ("1e3", "CNY", "decimal string"),
        ("+1", "CNY", "decimal string"),
        (" 1", "CNY", "decimal string"),
        ("1.", "CNY", "decimal string"),
        (".5", "CNY", "decimal string"),
        ("NaN", "CNY", "decimal string"),
        ("Infinity", "CNY", "decimal string"),
        ("1,000.00", "CNY", "decimal string"),
        ("", "CNY", "decimal string"),
        ("-1.00", "CNY", "must not be negative"),
        ("123456789012345", "CNY", "too large"),
        ("1.00", "XXX", "Unknown currency"),
    ],
)
def test_invalid_amounts_are_bad_user_input(text: str, currency: str, message: str) -> None:
    with pytest.raises(BadUserInput, match=message) as caught:
        parse_amount(text, currency, field="input.total.amount")

    assert caught.value.extensions == {"code": "BAD_USER_INPUT", "field": "input.total.amount"}


def test_floats_are_not_amounts() -> None:
    with pytest.raises(BadUserInput, match="decimal string"):
        parse_amount(12.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_amount(12.5, "CNY")  # type: ignore[arg-type]


def test_negative_amounts_only_when_allowed() -> None:
    assert parse_amount("-10.50", allow_negative=True) == Decimal("-10.50")
    assert format_amount(parse_amount("-0.00", allow_negative=True)) == "0.00"


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("5"), "CNY", "5.00"),
        (Decimal("1234.5"), "CNY", "1234.50"),
        (Decimal("1234.5000"), "CNY", "1234.50"),
        (Decimal("500"), "JPY", "500"),
        (Decimal("1E+3"), "CNY", "1000.00"),
    ],
)
def test_outputs_show_the_currency_places(value: Decimal, currency: str, text: str) -> None:
    assert format_amount(value, currency) == text
    assert Money.of(value, currency) == Money(amount=text, currency=currency)


def test_formatting_never_rounds_silently() -> None:
    with pytest.raises(ValueError, match="round_amount"):
        format_amount(Decimal("1.005"), "CNY")
    assert format_amount(round_amount(Decimal("1.005"), "CNY"), "CNY") == "1.01"
    assert round_amount(Decimal("2.5"), "JPY") == Decimal("3")


def test_money_input_errors_name_the_field() -> None:
    assert parse_money(MoneyInput(amount="10.00", currency="USD"), field="input.price.amount") == (
        Decimal("10.00"),
        "USD",
    )
    with pytest.raises(BadUserInput) as caught:
        parse_money(MoneyInput(amount="10.00", currency="ABC"), field="input.price.amount")
    assert caught.value.field == "input.price.currency"
    with pytest.raises(BadUserInput) as caught:
        parse_money(MoneyInput(amount="10.001"), field="input.price.amount")
    assert caught.value.field == "input.price.amount"


def test_money_round_trips_through_decimal() -> None:
    assert Money.of(Decimal("0.10")).to_decimal() == Decimal("0.10")
    assert validate_currency("CNY") == "CNY"
