"""Finding incidents by the words of their title and description, through an index of those words each database keeps.

Migration 0044 made it: on SQLite an FTS5 table `incident_words` over incidents' own title and description
(external content: the words' index only); on PostgreSQL a table `incident_words` (incident_id, words tsvector) with
a GIN index. Not an index on incidents: every repeated event changes their indexed `last_seen`, so no update of an
incident is HOT and each index on incidents takes a new entry per repeat.

Nothing on the intake's path writes to it: the webhook path commits once per event, and indexing each new incident
there (a trigger on INSERT; FTS5 writes a segment at every commit) cost new incidents a second. Instead `index_new`
adds the words of the incidents made since it last ran, a batch to a transaction, run by the dispatcher every few
seconds (`Indexer`) and once the migration has indexed the incidents already there; `incident_words_progress` holds
how far it got (the mark). Until then a search tests those few incidents above the mark the old way (LIKE on each
word), so an incident is found the moment it is made. Triggers keep the words when an agent corrects a title or
description (rare; a repeat's UPDATE sets neither column, hub/statements.py COUNT_REPEAT).

What a search finds: incidents holding every word asked for, in any order, each as the start of a word ("certif"
finds "certificate"), whatever its case or accents (PostgreSQL: accents as far as the `unaccent` extension was
available to migration 0044: see its docstring); words in double quotes must come together, in that order. An
incident not indexed yet (seconds old) is found by each word anywhere in its text, whatever its ASCII case.

The person's text is never handed to either database as query syntax: it is cut into words (runs of letters and
digits) and each is quoted in the query built here, so `NEAR`, `*`, `-`, `OR` or a stray `"` are words or nothing,
never an error.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FunctionElement,
    Integer,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import Boolean

from hub.db import Database
from hub.errors import StorageUnavailable
from hub.prefix_match import escape_like

log = logging.getLogger("switchboard.incident_words")

#: The table migration 0044 made (SQLite adds its own `incident_words_*` tables beside it), and the one row of
#: `incident_words_progress`; not in hub/models.py, since the first is a different thing on each database and the
#: second is part of it.
TABLE = "incident_words"
PROGRESS = table("incident_words_progress", column("id", Integer), column("indexed_up_to", Integer))
INCIDENTS = table("incidents", column("id", Integer), column("title"), column("description"))
#: Runs of letters and digits: what SQLite's unicode61 tokenizer and the PostgreSQL side's text (which turns
#: punctuation into spaces) both take for words.
WORD = re.compile(r"[^\W_]+")
#: The most words a search asks for (the list's `q` holds 200 characters at most; this keeps the query small).
MAX_WORDS = 24
#: Incidents a transaction of the indexer: a few tenths of a second of holding SQLite's write lock at most.
BATCH = 5_000
#: How far below the mark the indexer looks again, and a search tests the old way, on PostgreSQL. There an id is
#: drawn by the INSERT and becomes visible at COMMIT, so an incident can commit after the indexer passed its id. The
#: intake draws the id in the transaction's last steps and commits at once (one event, one transaction): for it to
#: be passed, this many incidents would have to be made and committed in between, ~0.5 s of the fastest ingest
#: measured (~2,000 new incidents a second), where the intake's transaction takes milliseconds. (One that took
#: longer would be found by its words only once its title or description changed.) Looking again costs an
#: anti-join over LATE ids of the primary keys. On SQLite writers take turns, so ids commit in order.
LATE = 1_000
#: Seconds between the dispatcher's runs of the indexer.
EVERY = 2.0

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
    (`incident_words_text`, migration 0044), then quoted and a prefix."""

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


class words_id(ColumnElement[int]):
    """The incident's id in the words' table: its rowid on SQLite, `incident_id` on PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(words_id, "sqlite")
def _rowid(element: words_id, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{TABLE}.rowid"


@compiles(words_id, "postgresql")
def _incident_id(element: words_id, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{TABLE}.incident_id"


class holds(FunctionElement[bool]):
    """The words' row holds the query: FTS5's MATCH (the first clause) or the tsvector's @@ (the second)."""

    name = "holds"
    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition as it is (SQLite would be asked `MATCH ... = 1`)


@compiles(holds, "sqlite")
def _match(element: holds, compiler: SQLCompiler, **kw: Any) -> str:
    query, _ = element.clauses  # only what is written: each written value is a parameter (positional on SQLite)
    return f"{TABLE} MATCH {compiler.process(query, **kw)}"


@compiles(holds, "postgresql")
def _at_at(element: holds, compiler: SQLCompiler, **kw: Any) -> str:
    _, query = element.clauses
    return f"{TABLE}.words @@ ({compiler.process(query, **kw)})"


class not_indexed_yet(FunctionElement[bool]):
    """Incidents the indexer has not given words yet: above its mark (SQLite, where ids commit in order), or on
    PostgreSQL above the mark less LATE and without words (so that all the others are searched one way only)."""

    name = "not_indexed_yet"
    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True


@compiles(not_indexed_yet, "sqlite")
def _above_the_mark(element: not_indexed_yet, compiler: SQLCompiler, **kw: Any) -> str:
    return "incidents.id > (SELECT indexed_up_to FROM incident_words_progress)"


@compiles(not_indexed_yet, "postgresql")
def _without_words(element: not_indexed_yet, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"incidents.id > (SELECT indexed_up_to - {LATE} FROM incident_words_progress) "
        f"AND NOT EXISTS (SELECT 1 FROM {TABLE} WHERE {TABLE}.incident_id = incidents.id)"
    )


def matching(
    incident_id: ColumnElement[int] | InstrumentedAttribute[int], text: str, also: int | None = None
) -> ColumnElement[bool]:
    """The incidents whose title or description hold `text`'s words (module docstring), or whose id is `also`;
    none when `text` holds no word and no `also`.

    One `id IN (...)` of the index's matches, the incidents not indexed yet that hold each word (LIKE: a few rows
    through the primary key) and the reference: inside the subquery, since PostgreSQL plans `id IN (...) OR ...`
    as a scan of every incident, and SQLite then starts from the matches rather than walking every incident by
    id in search of them (a word nothing holds read the whole table)."""
    wanted = phrases(text)
    if not wanted:
        return incident_id == also if also is not None else literal_column("1") == literal_column("0")
    indexed = (
        select(words_id()).select_from(table(TABLE)).where(holds(bindparam(None, fts5_query(wanted)), tsquery(wanted)))
    )
    every_word = [
        (INCIDENTS.c.title + " " + func.coalesce(INCIDENTS.c.description, "")).ilike(
            f"%{escape_like(word)}%", escape="\\"
        )
        for phrase in wanted
        for word in phrase
    ]
    recent = select(INCIDENTS.c.id).where(not_indexed_yet(), *every_word).correlate(None)
    parts = [indexed, recent]
    if also is not None:
        parts.append(select(bindparam(None, also, type_=Integer)))
    return incident_id.in_(union_all(*parts))


@dataclass(frozen=True)
class Progress:
    """What a transaction of the indexer did: how many incidents it gave words, and whether it reached the last."""

    indexed: int
    caught_up: bool


def index_batch(conn: Connection, batch: int = BATCH) -> Progress:
    """Give words to the next `batch` incidents above the mark (and, on PostgreSQL, to any of the LATE below it that
    committed after the mark passed them), then move the mark, in `conn`'s transaction. When another process holds
    the mark (PostgreSQL: several dispatchers), nothing: it is at work."""
    postgresql = conn.dialect.name == "postgresql"
    mark_query = select(PROGRESS.c.indexed_up_to).where(PROGRESS.c.id == 1)
    mark = conn.scalar(mark_query.with_for_update(skip_locked=True) if postgresql else mark_query)
    if mark is None:
        return Progress(0, True)
    next_ids = select(INCIDENTS.c.id).where(INCIDENTS.c.id > mark).order_by(INCIDENTS.c.id).limit(batch).subquery()
    high, taken = conn.execute(select(func.max(next_ids.c.id), func.count())).one()
    if postgresql:
        added = conn.execute(
            text(
                f"INSERT INTO {TABLE} (incident_id, words) SELECT id, incident_words_of(title, description) "
                "FROM incidents WHERE id > :low AND id <= :high AND NOT EXISTS "
                f"(SELECT 1 FROM {TABLE} WHERE incident_id = incidents.id) ON CONFLICT (incident_id) DO NOTHING"
            ),
            {"low": mark - LATE, "high": high if high is not None else mark},
        ).rowcount
    elif high is not None:
        added = conn.execute(
            text(
                f"INSERT INTO {TABLE} (rowid, title, description) SELECT id, title, description FROM incidents "
                "WHERE id > :low AND id <= :high"
            ),
            {"low": mark, "high": high},
        ).rowcount
    else:
        added = 0
    if high is not None:
        conn.execute(PROGRESS.update().where(PROGRESS.c.id == 1).values(indexed_up_to=high))
    return Progress(max(added, 0), taken < batch)


def index_new(db: Database, batch: int = BATCH) -> int:
    """Give words to every incident made since the last run, `batch` to a transaction (so SQLite's write lock is
    never held long, and the intake's writes go between them). Returns how many incidents it indexed."""
    indexed = 0
    while True:
        with db.write() as conn:
            done = index_batch(conn, batch)
        indexed += done.indexed
        if done.caught_up:
            return indexed


class Indexer:
    """`index_new` at most every `every` seconds, for a loop that turns much faster (the dispatcher's rounds). A
    failure is logged and tried again next time; only a database that is away goes up to the loop."""

    def __init__(self, db: Database, every: float = EVERY) -> None:
        self.db, self.every, self.due = db, every, 0.0

    def __call__(self) -> int:
        if time.monotonic() < self.due:
            return 0
        self.due = time.monotonic() + self.every
        try:
            return index_new(self.db)
        except StorageUnavailable:
            raise
        except Exception:  # the search still finds what is not indexed (the LIKE part): the dispatcher goes on
            log.exception("indexing incidents' words failed")
            return 0
