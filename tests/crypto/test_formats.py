"""Inputs of encrypted fields are checked before they are sealed; errors never repeat them."""

from __future__ import annotations

import pytest

from subgraphs.common.crypto_formats import bank_account, cn_resident_id, phone_number
from subgraphs.common.errors import BadUserInput
from tandem_shared.crypto import index_form
from tests.crypto.stack import seeded_id_card


def test_resident_ids_with_the_right_check_character_pass() -> None:
    for n in (1, 2, 17, 50):
        assert cn_resident_id(seeded_id_card(n), "f") == seeded_id_card(n)
    assert cn_resident_id(" 11010519491231002x ", "f") == "11010519491231002X"


@pytest.mark.parametrize(
    "value", ["310101197002020014", "31010119700202001", "3101011970020200133", "ABCDEF"]
)
def test_bad_resident_ids_are_refused_without_repeating_them(value: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        cn_resident_id(value, "idCardNumber")
    assert value not in str(caught.value) and value not in repr(caught.value.extensions)
    assert caught.value.extensions["field"] == "idCardNumber"


def test_phones_and_accounts() -> None:
    assert phone_number(" +86 139 0001 7919 ", "f") == "+86 139 0001 7919"
    assert phone_number("021-5555-0101", "f") == "021-5555-0101"
    assert bank_account("6222 0210  0000 0101", "f") == "6222 0210 0000 0101"
    assert bank_account("de89370400440532013000", "f") == "DE89370400440532013000"
    for bad in ("call me", "12", "+86 139 0001 7919 ext. 3"):
        with pytest.raises(BadUserInput):
            phone_number(bad, "f")
    for bad in ("1234", "6222-0210", "x" * 40):
        with pytest.raises(BadUserInput):
            bank_account(bad, "f")


def test_the_index_form_ignores_spaces_and_case() -> None:
    assert index_form(" 11010519491231002x") == index_form("110105 19491231 002X")
