"""The sentence a hub's words become on a page (web/responses.py)."""

from __future__ import annotations

import pytest

from web.responses import sentence


def test_the_first_letter_is_raised_and_the_rest_kept_as_written() -> None:
    assert sentence("INC-42 is already merged into INC-7") == "INC-42 is already merged into INC-7."
    assert sentence("mail to bob@Example.com bounced") == "Mail to bob@Example.com bounced."
    assert sentence("there is no service 'Payroll EU'") == "There is no service 'Payroll EU'."


@pytest.mark.parametrize("end", [".", "!", "?"])
def test_words_that_end_a_sentence_get_no_second_full_stop(end: str) -> None:
    assert sentence(f"saved{end}") == f"Saved{end}"


def test_nothing_to_say_stays_nothing() -> None:
    assert sentence("  ") == ""
