"""Finding text that starts with what someone typed, through a plain index, on SQLite and PostgreSQL alike.

`column LIKE 'db%'` reads the index only on SQLite with a case-insensitive (NOCASE) index, since its LIKE ignores
case, and on PostgreSQL with a `text_pattern_ops` index, since its indexes follow the database's collation. The
unique indexes on CI names and users' addresses are neither, but a range (`>= 'db' AND < 'dc'`) is what either
database reads them by. The LIKE kept beside it costs nothing on the rows the range found; it holds the answer
exact where a linguistic collation (a PostgreSQL database made with en_US.UTF-8, say) ranges wider than bytes do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true

#: Code points a str may not hold alone (UTF-16 surrogates): the bound after one skips them.
_SURROGATES = range(0xD800, 0xE000)


def escape_like(text: str) -> str:
    """`text` taken literally in a LIKE pattern whose escape character is a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def upper_bound(prefix: str) -> str | None:
    """The least text after every text starting with `prefix`, in code point order (SQLite's and PostgreSQL's C
    collation: UTF-8's byte order is the same), or None when nothing is (a prefix of only the last code point)."""
    kept = prefix.rstrip(chr(0x10FFFF))
    if not kept:
        return None
    after = ord(kept[-1]) + 1
    return kept[:-1] + chr(_SURROGATES.stop if after in _SURROGATES else after)


def starting_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """Rows whose `column` starts with `prefix`, exactly as typed (compare folded text with folded text): a range
    the column's index answers, and the LIKE that keeps the range honest."""
    if not prefix:
        return true()
    bound = upper_bound(prefix)
    in_range = column >= prefix if bound is None else and_(column >= prefix, column < bound)
    return and_(in_range, column.like(escape_like(prefix) + "%", escape="\\"))
