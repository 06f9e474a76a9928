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


#: The largest id a row can have: PostgreSQL's INTEGER (SQLite's are wider, but no row is given a larger one).
MAX_ID = 2**31 - 1
#: Events, one per inbound item, have 64-bit ids (hub/models.py: EventId).
MAX_EVENT_ID = 2**63 - 1


def row_id(text: str, *, limit: int = MAX_ID) -> int | None:
    """`text` as a row id (1 to `limit`), or None. A larger number names no row, and PostgreSQL refuses to compare
    an id with it rather than finding nothing: looked up, it was a 500."""
    number = whole_number(text)
    return number if number is not None and 0 < number <= limit else None


def reference(prefix: str, text: str) -> int | None:
    """The row id in a whole reference like `INC-7` (`prefix` "INC", any case, spaces around ignored), or None:
    `INC-7x` is not INC-7."""
    head, dash, number = text.strip().partition("-")
    return row_id(number) if dash and head.upper() == prefix and number.strip() == number else None
