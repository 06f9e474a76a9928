"""Durations as people type them: what a form to change a target starts from reads back as the same span."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.durations import parse_duration, typed_duration
from hub.errors import BadInput


@pytest.mark.parametrize(
    ("span", "typed"),
    [
        (timedelta(weeks=2), "2w"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=4), "4h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(hours=36), "36h"),
    ],
)
def test_a_span_is_written_in_the_largest_unit_that_measures_it_and_reads_back(span: timedelta, typed: str) -> None:
    assert typed_duration(span) == typed
    assert parse_duration(typed) == span


def test_a_duration_longer_than_a_timedelta_holds_is_bad_input_not_a_crash() -> None:
    with pytest.raises(BadInput, match="longer than any duration"):
        parse_duration("99999999999999999999w")
