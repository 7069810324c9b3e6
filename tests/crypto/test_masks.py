"""Masks: what ``read_masked`` shows; never more than half a value."""

from __future__ import annotations

import pytest

from gateway.crypto.masks import MaskError, mask_function

CASES = {
    ("LAST4", "6222021000000101"): "************0101",
    ("LAST4", "+86 139 0001 7919"): "*************7919",
    ("LAST4", "310101197002020013"): "**************0013",
    ("LAST4", "12345"): "*****",  # 4 of 5 would be most of it
    ("LAST4", "12345678"): "****5678",
    ("FIRST1", "1234"): "1***",
    ("FIRST1", "123456789"): "1***",  # the length does not show
    ("FIRST1", "1"): "***",
    ("FIRST3LAST4", "6222021000000101"): "622*********0101",
    ("FIRST3LAST4", "1234567"): "*******",
    ("LAST4", ""): "",
    ("ALL", "6222021000000101"): "****",
    ("ALL", "1"): "****",
}


@pytest.mark.parametrize(("mask", "value"), sorted(CASES))
def test_masks(mask: str, value: str) -> None:
    function = mask_function(mask)
    assert function is not None
    assert function(value) == CASES[mask, value]


def test_none_has_no_masked_form() -> None:
    assert mask_function("NONE") is None


@pytest.mark.parametrize("name", ["", "LAST", "last4", "FIRST1X", "MIDDLE2", "LAST123"])
def test_unknown_masks_are_refused(name: str) -> None:
    with pytest.raises(MaskError):
        mask_function(name)
