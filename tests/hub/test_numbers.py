"""Reading whole numbers people and senders type: anything but plain digits is None, never an exception."""

from __future__ import annotations

import pytest

from hub.domain import parse_ref
from hub.numbers import MAX_ID, reference, row_id, whole_number


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


def test_a_row_id_is_one_to_postgresqls_largest_integer() -> None:
    assert [row_id(text) for text in ("1", str(MAX_ID), str(MAX_ID + 1), "0", "9" * 12)] == [
        1,
        MAX_ID,
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [("INC-7", 7), ("inc-7", 7), (" INC-7 ", 7), ("INC-7x", None), ("INC- 7", None), ("CHG-7", None), ("INC7", None),
     (f"INC-{MAX_ID + 1}", None), ("INC-", None)],
)  # fmt: skip
def test_a_reference_is_its_prefix_a_dash_and_a_row_id(text: str, found: int | None) -> None:
    assert reference("INC", text) == found


def test_a_subject_tag_past_any_row_id_threads_nowhere() -> None:
    """On PostgreSQL looking it up failed the whole message, which its sender then retried for ever."""
    assert parse_ref("Re: [INC-99999999999] Printer on fire") is None and parse_ref("Re: [INC-12] x") == 12
