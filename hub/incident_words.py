"""Finding incidents by the words of their title and description, through an index of those words each database keeps.

Migration 0040 made it: on SQLite an FTS5 table `incident_words` over incidents' own title and description
(external content: the words' index only); on PostgreSQL a table `incident_words` (incident_id, words tsvector) with
a GIN index. Not an index on incidents: every repeated event changes their indexed `last_seen`, so no update of an
incident is HOT and each index on incidents takes a new entry per repeat. Triggers keep the words, firing only when an
incident is made or its title or description changes, so a repeat (hub/statements.py COUNT_REPEAT) costs nothing.

What a search finds: incidents holding every word asked for, in any order, each as the start of a word ("certif"
finds "certificate"), whatever its case or accents (PostgreSQL: accents as far as the `unaccent` extension was
available to migration 0040: see its docstring); words in double quotes must come together, in that order.

The person's text is never handed to either database as query syntax: it is cut into words (runs of letters and
digits) and each is quoted in the query built here, so `NEAR`, `*`, `-`, `OR` or a stray `"` are words or nothing,
never an error.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, FunctionElement, Integer, bindparam, func, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import Boolean

#: The table migration 0040 made (SQLite adds its own `incident_words_*` tables beside it); not in hub/models.py,
#: since it is a different thing on each database.
TABLE = "incident_words"
#: Runs of letters and digits: what SQLite's unicode61 tokenizer and the PostgreSQL side's text (which turns
#: punctuation into spaces) both take for words.
WORD = re.compile(r"[^\W_]+")
#: The most words a search asks for (the list's `q` holds 200 characters at most; this keeps the query small).
MAX_WORDS = 24

Phrase = tuple[str, ...]


def phrases(text: str) -> tuple[Phrase, ...]:
    """The phrases `text` asks for, in order: a quoted run of words is one phrase, any other word a phrase of its
    own; an unclosed quote runs to the end (as it is being typed). At most MAX_WORDS words in all."""
    found: list[Phrase] = []
    left = MAX_WORDS
    for n, part in enumerate(text.split('"')):
        words = WORD.findall(part)[:left]
        left -= len(words)
        if n % 2:
            found.extend([tuple(words)] if words else [])
        else:
            found.extend((word,) for word in words)
    return tuple(found)


def fts5_query(wanted: tuple[Phrase, ...]) -> str:
    """SQLite FTS5's query for `wanted`: each word quoted (so it is only ever a word) and a prefix."""
    return " ".join(" + ".join(f'"{word}"*' for word in phrase) for phrase in wanted)


def tsquery(wanted: tuple[Phrase, ...]) -> ColumnElement[Any]:
    """PostgreSQL's tsquery for `wanted`, each word a bound value turned into text the way the words were
    (`incident_words_text`, migration 0040), then quoted and a prefix."""

    def word(text: str) -> ColumnElement[Any]:
        folded = func.incident_words_text(bindparam(None, text))
        quoted = func.concat(literal_column("''''"), folded, literal_column("''':*'"))
        return func.to_tsquery(literal_column("'simple'"), quoted)

    def together(phrase: Phrase) -> ColumnElement[Any]:
        joined = word(phrase[0])
        for following in phrase[1:]:
            joined = func.tsquery_phrase(joined, word(following))
        return joined

    query = together(wanted[0])
    for phrase in wanted[1:]:
        query = query.op("&&")(together(phrase))
    return query


class has_words(FunctionElement[bool]):
    """`incident_id` is among the incidents holding the words, or is `also` (an INC-n the text names): the
    reference goes inside the subquery, since PostgreSQL plans `id IN (...) OR id = n` as a scan of every incident."""

    name = "has_words"
    type = Boolean()
    inherit_cache = True


def matching(
    incident_id: ColumnElement[int] | InstrumentedAttribute[int], text: str, also: int | None = None
) -> ColumnElement[bool]:
    """The incidents whose title or description hold `text`'s words (module docstring), or whose id is `also`;
    none when `text` holds no word and no `also`."""
    wanted = phrases(text)
    if not wanted:
        return incident_id == also if also is not None else literal_column("1") == literal_column("0")
    reference = [bindparam(None, also, type_=Integer)] if also is not None else []
    return has_words(incident_id, bindparam(None, fts5_query(wanted)), tsquery(wanted), *reference)


@compiles(has_words, "sqlite")
def _on_sqlite(element: has_words, compiler: SQLCompiler, **kw: Any) -> str:
    incident_id, query, _, *also = element.clauses  # only what is written: each written value is a parameter
    return written(compiler, f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH {{}}", incident_id, query, also, **kw)


@compiles(has_words, "postgresql")
def _on_postgresql(element: has_words, compiler: SQLCompiler, **kw: Any) -> str:
    incident_id, _, query, *also = element.clauses
    return written(compiler, f"SELECT incident_id FROM {TABLE} WHERE words @@ ({{}})", incident_id, query, also, **kw)


def written(compiler: SQLCompiler, found: str, incident_id: Any, query: Any, also: list[Any], **kw: Any) -> str:
    """`incident_id IN (found, with the query written in, UNION ALL the reference)`, written in the order the
    statement reads (SQLite's parameters are positional)."""
    column = compiler.process(incident_id, **kw)
    ids = found.format(compiler.process(query, **kw))
    return f"{column} IN ({ids}{''.join(f' UNION ALL SELECT {compiler.process(one, **kw)}' for one in also)})"
