"""Whole numbers read from text that people and senders type: query strings, form fields, headers, payloads."""

from __future__ import annotations

import re

#: ASCII digits only, and few enough to fit a database's 64-bit integer.
_WHOLE = re.compile(r"[0-9]{1,18}")


def whole_number(text: str) -> int | None:
    """`text` (surrounding spaces ignored) as a whole number, or None when it is not one.

    Never raises: `str.isdigit()` accepts `²` and `①`, which int() refuses, and int() also refuses thousands of
    digits, while a number past 64 bits overflows the database. Each of those was a 500.
    """
    text = text.strip()
    return int(text) if _WHOLE.fullmatch(text) else None
