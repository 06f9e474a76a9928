"""The words of incidents' titles and descriptions, indexed for the list's search (hub/incident_words.py)

The list's `q` read every incident (ILIKE '%text%'): 130-650 ms on SQLite and ~420 ms on PostgreSQL for 200,000, and
as much again for its count. Each database now keeps an index of the words, beside incidents, not on them:
- SQLite: an FTS5 table over incidents' own title and description (external content), accents removed.
- PostgreSQL: a table (incident_id, words tsvector) with a GIN index. An index on incidents would take a new entry
  for each repeated event (each changes the indexed last_seen, so none is a HOT update).
No trigger on INSERT: a new incident costs the intake nothing. The words of incidents made since are added in
batches by the dispatcher (hub/incident_words.py `index_new`), which keeps how far it got in
`incident_words_progress`; this migration indexes the incidents already there and sets that mark. Triggers fire on
UPDATE OF title, description (an agent's correction: rare; the intake's repeat UPDATE sets neither) and, on SQLite,
on DELETE, each only for an incident already indexed.

PostgreSQL removes accents with the `unaccent` extension when it can create it (trusted since PostgreSQL 13: the
database's owner may); without it, words keep their accents. The downgrade leaves the extension, which other things
may use.

Note for later migrations: SQLite's batch "move and copy" of incidents drops its triggers; make them again.

Revision ID: 0044
Revises: 0043
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000  # incidents a statement of the backfill
#: The most of a description PostgreSQL indexes: a tsvector holds at most 1 MB, and a row failing to index would
#: fail the intake's INSERT. (SQLite's FTS5 has no such limit.)
POSTGRESQL_TEXT = 200_000

PROGRESS = (
    "CREATE TABLE incident_words_progress (id INTEGER NOT NULL, indexed_up_to INTEGER NOT NULL, "
    "CONSTRAINT pk_incident_words_progress PRIMARY KEY (id))"
)

#: Only an incident the indexer has reached is in the words' index (on SQLite, where writers take turns, ids below
#: the mark are all there): an external-content FTS5 table told to forget words it never held is corrupted.
INDEXED = "old.id <= (SELECT indexed_up_to FROM incident_words_progress)"

SQLITE = [
    "CREATE VIRTUAL TABLE incident_words USING fts5(title, description, content='incidents', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    # An external-content FTS5 table forgets a row by being told the values it indexed: the old ones.
    "CREATE TRIGGER incident_words_update AFTER UPDATE OF title, description ON incidents "
    f"WHEN (old.title IS NOT new.title OR old.description IS NOT new.description) AND {INDEXED} BEGIN "
    "INSERT INTO incident_words (incident_words, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO incident_words (rowid, title, description) VALUES (new.id, new.title, new.description); END",
    f"CREATE TRIGGER incident_words_delete AFTER DELETE ON incidents WHEN {INDEXED} BEGIN "
    "INSERT INTO incident_words (incident_words, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
]


def postgresql_objects(unaccent: str | None) -> list[str]:
    """The functions, table and triggers; `unaccent` is the schema holding the extension, if there is one."""
    folded = f"{unaccent}.unaccent('{unaccent}.unaccent', $1)" if unaccent else "$1"
    return [
        # Punctuation becomes spaces, so words are runs of letters and digits as on SQLite (the parser would keep
        # `host-01.example.com` whole); the query's words go through the same function (hub/incident_words.py).
        "CREATE FUNCTION incident_words_text(text) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS "
        f"$$ SELECT regexp_replace(lower({folded}), '[[:punct:]]+', ' ', 'g') $$",
        "CREATE FUNCTION incident_words_of(title text, description text) RETURNS tsvector LANGUAGE sql STABLE "
        "PARALLEL SAFE AS $$ SELECT to_tsvector('simple', incident_words_text(coalesce(title, '') || ' ' || "
        f"left(coalesce(description, ''), {POSTGRESQL_TEXT}))) $$",
        "CREATE TABLE incident_words (incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE, "
        "words TSVECTOR NOT NULL)",
        "CREATE INDEX ix_incident_words_words ON incident_words USING gin (words)",
        "CREATE FUNCTION incident_words_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO incident_words (incident_id, words) VALUES (NEW.id, incident_words_of(NEW.title, "
        "NEW.description)) ON CONFLICT (incident_id) DO UPDATE SET words = EXCLUDED.words; RETURN NULL; END $$",
        "CREATE TRIGGER incident_words_update AFTER UPDATE OF title, description ON incidents FOR EACH ROW "
        "WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.description IS DISTINCT FROM NEW.description) "
        "EXECUTE FUNCTION incident_words_keep()",
    ]


def unaccent_schema(conn: sa.Connection) -> str | None:
    """The schema of the `unaccent` extension, created here if it can be (in a savepoint: a refusal, for want of
    the privilege or of the contrib files, must not end the migration's transaction)."""
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError:
        pass
    schema = conn.scalar(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension "
                                 "WHERE extname = 'unaccent'"))  # fmt: skip
    return str(schema) if schema else None


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    for statement in [PROGRESS, *(SQLITE if sqlite else postgresql_objects(unaccent_schema(conn)))]:
        conn.exec_driver_sql(statement)
    backfill = (
        "INSERT INTO incident_words (rowid, title, description) SELECT id, title, description FROM incidents "
        if sqlite
        else "INSERT INTO incident_words (incident_id, words) SELECT id, incident_words_of(title, description) "
        "FROM incidents "
    ) + "WHERE id > :low AND id <= :high"
    last = conn.scalar(sa.text("SELECT max(id) FROM incidents")) or 0
    for low in range(0, last, BATCH):
        conn.execute(sa.text(backfill), {"low": low, "high": low + BATCH})
    conn.execute(sa.text("INSERT INTO incident_words_progress (id, indexed_up_to) VALUES (1, :last)"), {"last": last})


def downgrade() -> None:
    conn = op.get_bind()
    for trigger in ("incident_words_update", "incident_words_delete"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}" + ("" if conn.dialect.name == "sqlite" else
                                                                    " ON incidents"))  # fmt: skip
    conn.exec_driver_sql("DROP TABLE incident_words")
    conn.exec_driver_sql("DROP TABLE incident_words_progress")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION incident_words_keep(), incident_words_of(text, text), "
                             "incident_words_text(text)")  # fmt: skip
