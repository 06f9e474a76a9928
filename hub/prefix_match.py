"""Finding text that starts with what someone typed, through an index, on SQLite and PostgreSQL alike, under any
collation.

`column LIKE 'db%'` reads an index only on SQLite with a case-insensitive (NOCASE) index, since its LIKE ignores
case, and on PostgreSQL with a `text_pattern_ops` index. A range (`>= 'db' AND < 'dc'`) is what either database
reads a plain index by, and it is exactly "starts with" when text sorts by code point: SQLite's BINARY collation
does, and PostgreSQL's "C" does (UTF-8's byte order is code point order). A PostgreSQL database made with a
language's collation (en_US.UTF-8, the common default, or ICU's) does not: it weighs letters before punctuation and
case, so `db-` ... `db.` there holds `db-1` but also `db10`, and misses nothing only by luck. So on PostgreSQL the
range compares the column COLLATE "C" (`in_code_point_order`), which indexes on that same expression serve
(migration 0033); the result is then the same on both databases, in the same order, and no LIKE is needed beside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: Code points a str may not hold alone (UTF-16 surrogates): the bound after one skips them.
_SURROGATES = range(0xD800, 0xE000)


class in_code_point_order(FunctionElement[str]):
    """A text column compared and sorted by code point: COLLATE "C" on PostgreSQL, the column itself on SQLite,
    whose default collation already is. An index serves it only when it is on the same expression."""

    name = "in_code_point_order"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(in_code_point_order)
def _as_is(element: in_code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(in_code_point_order, "postgresql")
def _collate_c(element: in_code_point_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def escape_like(text: str) -> str:
    """`text` taken literally in a LIKE pattern whose escape character is a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def upper_bound(prefix: str) -> str | None:
    """The least text after every text starting with `prefix`, in code point order, or None when nothing is (a
    prefix of only the last code point)."""
    kept = prefix.rstrip(chr(0x10FFFF))
    if not kept:
        return None
    after = ord(kept[-1]) + 1
    return kept[:-1] + chr(_SURROGATES.stop if after in _SURROGATES else after)


def in_range(column: Any, low: Any, high: Any) -> ColumnElement[bool]:
    """`low <= column < high` in code point order (values, or bind parameters for a statement compiled once: give
    them `prefix` and `upper_bound(prefix)` and it is `starting_with`); `high` None: no upper end."""
    ordered = in_code_point_order(column)
    return ordered >= low if high is None else and_(ordered >= low, ordered < high)


def starting_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """Rows whose `column` starts with `prefix`, exactly as typed (compare folded text with folded text), read
    through an index on `in_code_point_order(column)` (on SQLite, one on the column); order them by that too, and
    the index gives them in order."""
    return in_range(column, prefix, upper_bound(prefix)) if prefix else true()
