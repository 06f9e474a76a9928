"""Admins' regular expressions (hub/regex.py): compiled by RE2, and refused with what to write instead."""

from __future__ import annotations

import pytest

from hub.regex import InvalidPattern, compile_pattern


def test_ignoring_case_matches_either_case() -> None:
    assert compile_pattern("DISK", ignore_case=True).search("disk full") is not None
    assert compile_pattern("DISK").search("disk full") is None


def test_a_refusal_quotes_only_what_the_admin_wrote() -> None:
    with pytest.raises(InvalidPattern) as refused:
        compile_pattern("disk(full", ignore_case=True)
    assert "(?i)" not in str(refused.value) and "'disk(full': missing )" in str(refused.value)


@pytest.mark.parametrize(
    ("pattern", "instead"),
    [("disk(full", "escape it with a backslash: \\("), ("(?<=db)01", "no lookahead or lookbehind"),
     ("(a)\\1", "no backreferences"), ("[z-a]", "from low to high")],
)  # fmt: skip
def test_a_refusal_says_what_to_write_instead(pattern: str, instead: str) -> None:
    with pytest.raises(InvalidPattern, match=r"; ") as refused:
        compile_pattern(pattern)
    assert instead in str(refused.value)


def test_a_refused_pattern_writes_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidPattern):
        compile_pattern("disk(full")
    assert capfd.readouterr().err == ""
