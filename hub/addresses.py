"""What counts as an email address where people give one (users, desks, channels, group members)."""

from __future__ import annotations

import re

#: The longest address there can be (RFC 5321's 64-character local part, @, 255-character domain): the width of
#: every address column, which PostgreSQL enforces.
ADDRESS_WIDTH = 320
_ADDRESS = re.compile(r"[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+")


def is_address(text: str) -> bool:
    """Whether `text` (already stripped) is one address: something@somewhere, no spaces, angle brackets or
    control characters, and no longer than an address can be."""
    return len(text) <= ADDRESS_WIDTH and _ADDRESS.fullmatch(text) is not None
