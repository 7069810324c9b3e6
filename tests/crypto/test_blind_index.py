"""Blind indexes: equal values give equal tokens, per field and per key; nothing else leaks."""

from __future__ import annotations

import pytest

from tandem_shared.crypto import BlindIndex, index_form

KEY = BlindIndex(b"i" * 32)


def test_equal_values_give_equal_tokens() -> None:
    first = KEY.token("Employee.idCardNumber", index_form("11010519491231002x"))
    again = KEY.token("Employee.idCardNumber", index_form(" 11010519491231002X "))
    assert first == again
    assert len(first) == 43 and "1101051949" not in first


def test_tokens_differ_per_value_field_and_key() -> None:
    base = KEY.token("Employee.idCardNumber", "11010519491231002X")
    assert base != KEY.token("Employee.idCardNumber", "110105194912310031")
    assert base != KEY.token("Customer.phone", "11010519491231002X")
    assert base != BlindIndex(b"j" * 32).token("Employee.idCardNumber", "11010519491231002X")


def test_the_coordinate_and_value_cannot_be_shifted() -> None:
    assert KEY.token("A.b", "cx") != KEY.token("A.bc", "x")


def test_the_key_is_256_bits() -> None:
    with pytest.raises(ValueError):
        BlindIndex(b"short")
