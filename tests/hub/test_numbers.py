"""Reading whole numbers people and senders type: anything but plain digits is None, never an exception."""

from __future__ import annotations

import pytest

from hub.numbers import whole_number


@pytest.mark.parametrize(("text", "number"), [("7", 7), (" 42 ", 42), ("007", 7), ("9" * 18, int("9" * 18))])
def test_plain_digits_are_read(text: str, number: int) -> None:
    assert whole_number(text) == number


#: Signs, decimals, exponents, spaces; digits int() refuses or reads though they are not ASCII (superscript two,
#: circled one, Arabic-Indic three, double-struck one); more digits than 64 bits or int() allow.
NOT_WHOLE = ["", " ", "-1", "+1", "1.5", "1e3", "1 000", "0x10", "\x00", "\u00b2", "\u2460", "\u0663", "\U0001d7d9",
             "9" * 19, "1" * 5000]  # fmt: skip


@pytest.mark.parametrize("text", NOT_WHOLE)
def test_anything_else_is_none(text: str) -> None:
    assert whole_number(text) is None
