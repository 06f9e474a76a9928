"""What counts as an email address where people give one."""

from __future__ import annotations

import pytest

from hub.addresses import ADDRESS_WIDTH, is_address


@pytest.mark.parametrize("text", ["ann@example.com", "a.b+tag@sub.example.org", "x@localhost"])
def test_an_address_is_something_at_somewhere(text: str) -> None:
    assert is_address(text)


@pytest.mark.parametrize(
    "text",
    ["ann", "@example.com", "ann@", "a@b@c", "ann @example.com", "<ann@example.com>", "ann\x00@example.com",
     "ann@example.com\r\nBcc: all@example.com", "ann\x7f@example.com"],
)  # fmt: skip
def test_spaces_brackets_and_control_characters_make_no_address(text: str) -> None:
    assert not is_address(text)


def test_no_address_is_longer_than_an_address_can_be() -> None:
    local = "a" * 64
    assert is_address(f"{local}@{'b' * (ADDRESS_WIDTH - 65)}")
    assert not is_address(f"{local}@{'b' * (ADDRESS_WIDTH - 64)}")
