"""The list's search (`q`) by the words of incidents' titles and descriptions (hub/incident_words.py), on SQLite and
on PostgreSQL: what it finds, what it never raises on, that it goes through the words' index, that neither a new
incident nor a repeated event writes to that index, and how the indexer catches up (batches, its mark, the
incidents PostgreSQL commits after the mark passed them, and the search finding them all meanwhile)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text, update

from hub import incident_words
from hub.db import Database
from hub.incident_search import IncidentFilter, page_query, search
from hub.models import Incident, Integration
from hub.statements import COUNT_REPEAT
from tests.plans import plan
from tests.servers import PostgresCluster

DESK = {
    "cert": ("Certificate expired on Hôst-01.example.com", "The quick brown fox"),
    "disk": ("Disk full on db-02", "Café printer said NEAR the end -- AND NOT again"),
    "login": ("Login failing", "users cannot log in: 'invalid_grant'"),
}


def made(database: Database, *titles: str, description: str = "") -> list[int]:
    """New incidents of these titles, their ids."""
    with database.write() as conn:
        return [
            int(conn.execute(insert(Incident).values(title=title, description=description, source="email"))
                .inserted_primary_key[0])
            for title in titles
        ]  # fmt: skip


def mark(database: Database) -> int:
    with database.reader() as conn:
        return int(conn.scalar(select(incident_words.PROGRESS.c.indexed_up_to)))


def indexed(database: Database) -> set[int]:
    """The ids of incidents with words in the index (SQLite: FTS5's own table of the rows it holds)."""
    sqlite = database.engine.dialect.name == "sqlite"
    with database.reader() as conn:
        return set(conn.scalars(text("SELECT id FROM incident_words_docsize" if sqlite else
                                     "SELECT incident_id FROM incident_words")))  # fmt: skip


@pytest.fixture
def desk(database: Database) -> dict[str, int]:
    """The incidents of DESK, by name -> id, indexed."""
    ids = {}
    with database.write() as conn:
        for name, (title, description) in DESK.items():
            made = conn.execute(insert(Incident).values(title=title, description=description, source="email"))
            ids[name] = int(made.inserted_primary_key[0])
    assert incident_words.index_new(database) == len(DESK)
    return ids


def found(database: Database, q: str, **args: str) -> list[int]:
    with database.read() as session:
        page = search(session, IncidentFilter.from_args({"q": q, **args}))
    assert page.total == len(page.incidents)  # the count counts what the page lists
    return [incident.id for incident in page.incidents]


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("certificate", ["cert"]),
        ("certif", ["cert"]),  # a word's start
        ("tificate", []),  # not its middle
        ("CERTIFICATE", ["cert"]),  # any case
        ("expired certificate", ["cert"]),  # words in any order
        ("certificate disk", []),  # every word
        ("hôst", ["cert"]),
        ("host", ["cert"]),  # without its accent
        ("CAFÉ", ["disk"]),
        ("example", ["cert"]),  # punctuation separates words
        ("host 01", ["cert"]),
        ("quick", ["cert"]),  # the description too
        ('"quick brown"', ["cert"]),  # a phrase
        ('"brown quick"', []),  # in its order
        ('"quick bro', ["cert"]),  # an unclosed quote runs to the end
        ("invalid_grant", ["login"]),
        ("on", ["disk", "cert"]),  # newest first, as the list's default sort
    ],
)
def test_search_finds_incidents_by_the_starts_of_their_words(
    database: Database, desk: dict[str, int], q: str, names: list[str]
) -> None:
    assert found(database, q) == [desk[name] for name in names]


def test_search_finds_an_incident_by_its_reference_as_well_as_by_words(
    database: Database, desk: dict[str, int]
) -> None:
    login = desk["login"]
    assert found(database, f"INC-{login}") == [login]
    assert found(database, f"inc-{login}") == [login]
    assert found(database, str(desk["cert"])) == [desk["cert"]]


def test_search_keeps_the_lists_sort_and_other_filters(database: Database, desk: dict[str, int]) -> None:
    assert found(database, "on", sort="oldest") == [desk["cert"], desk["disk"]]
    assert found(database, "on", sort="last_seen") == [desk["disk"], desk["cert"]]
    assert found(database, "on", sort="priority", status="open") == [desk["disk"], desk["cert"]]


@pytest.mark.parametrize(
    "q",
    ['"', '""', "*", "-x", 'a"b', "NEAR", "NEAR(a b)", "a OR b", "NOT disk", "AND", "^disk", "disk:*", "col:disk",
     "' OR 1=1 --", "%", "_", "\\", "(", ")", "{}", "\u02bca", "½", "ß", "x" * 200, "é " * 100, "a&b|c!d", "<->", "'"],
)  # fmt: skip
def test_hostile_text_is_only_ever_words(database: Database, desk: dict[str, int], q: str) -> None:
    assert set(found(database, q)) <= set(desk.values())  # and the count agrees (`found`)


def test_near_and_not_are_words_not_operators(database: Database, desk: dict[str, int]) -> None:
    assert found(database, "NEAR") == found(database, "not") == [desk["disk"]]


def test_search_goes_through_the_words_index(database: Database, desk: dict[str, int]) -> None:
    query = page_query(IncidentFilter.from_args({"q": "certif expired"}))
    steps = plan(database, query)
    if database.engine.dialect.name == "sqlite":
        assert "SCAN incident_words VIRTUAL TABLE INDEX 0:M" in steps, steps  # M: MATCH, answered by FTS5's index
    else:
        with database.write() as conn:  # a desk of three would be read whole: ask the planner not to
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            steps = "\n".join(str(row[0]) for row in conn.execute(text("EXPLAIN " + str(query.compile(
                database.engine, compile_kwargs={"literal_binds": True})))))  # fmt: skip
        assert "ix_incident_words_words" in steps, steps


def test_a_new_title_or_description_is_found_by_its_words_and_not_the_old_ones(
    database: Database, desk: dict[str, int]
) -> None:
    with database.write() as conn:
        conn.execute(update(Incident).where(Incident.id == desk["login"]).values(title="Password reset"))
        conn.execute(update(Incident).where(Incident.id == desk["cert"]).values(description="slow"))
    assert found(database, "password") == [desk["login"]]
    assert found(database, "login") == []
    assert found(database, "users") == [desk["login"]]  # its description kept its words
    assert found(database, "quick") == []
    assert found(database, "slow certificate") == [desk["cert"]]


def test_a_removed_incident_leaves_no_words(database: Database, desk: dict[str, int]) -> None:
    with database.write() as conn:
        conn.execute(Incident.__table__.delete().where(Incident.id == desk["disk"]))
        words = conn.scalar(text("SELECT count(*) FROM incident_words"))
    assert found(database, "disk") == []
    assert words == 2


def words_written(conn: object, dialect: str) -> int:
    """Rows this transaction has written anywhere (SQLite: by its triggers too) / to incident_words (PostgreSQL)."""
    if dialect == "sqlite":
        return int(conn.scalar(text("SELECT total_changes()")))  # type: ignore[attr-defined]
    sql = "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables WHERE relname = 'incident_words'"
    return int(conn.scalar(text(sql)))  # type: ignore[attr-defined]


def test_a_repeated_event_does_not_touch_the_words(database: Database) -> None:
    """The intake's repeat UPDATE (occurrences, last_seen) fires no trigger: it costs the words' index nothing."""
    dialect, now = database.engine.dialect.name, datetime.now(UTC)
    with database.write() as conn:
        storm = insert(Integration).values(name="storm", kind="generic", secret_hash="x", enabled=True, created_at=now)
        integration = conn.execute(storm).inserted_primary_key[0]
        conn.execute(insert(Incident).values(title="Disk full", source="generic", dedup_key="k", status="open",
                                             integration_id=integration))  # fmt: skip
    with database.write() as conn:
        before = words_written(conn, dialect)
        assert COUNT_REPEAT.first(conn, {"key": "k", "integration": integration, "now": now}) is not None
        assert words_written(conn, dialect) - before == (1 if dialect == "sqlite" else 0)  # the incident's row only
    with database.read() as session:
        assert session.scalar(select(Incident.occurrences)) == 2


def test_a_new_incident_writes_no_words(database: Database) -> None:
    """No trigger on INSERT: the intake's new incident costs the words' index nothing (the indexer adds it later)."""
    dialect = database.engine.dialect.name
    with database.write() as conn:
        before = words_written(conn, dialect)
        conn.execute(insert(Incident).values(title="Disk full", source="generic"))
        assert words_written(conn, dialect) - before == (1 if dialect == "sqlite" else 0)  # the incident's row only


def test_a_just_made_incident_is_found_before_it_is_indexed_and_after(database: Database) -> None:
    [new] = made(database, "Certificate expired on web-01")
    assert indexed(database) == set()
    assert found(database, "expired certificate") == [new]  # each word, in any order, before the indexer ran
    assert incident_words.index_new(database) == 1
    assert indexed(database) == {new}
    assert mark(database) == new
    assert found(database, "expired certificate") == [new]
    assert found(database, "certif web") == [new]


def test_the_indexer_takes_a_batch_a_transaction_and_keeps_its_mark(database: Database) -> None:
    ids = made(database, *(f"Disk full on db-{n}" for n in range(7)))
    with database.write() as conn:
        assert incident_words.index_batch(conn, batch=3) == incident_words.Progress(indexed=3, caught_up=False)
    assert mark(database) == ids[2]
    assert indexed(database) == set(ids[:3])
    assert found(database, "disk") == ids[::-1]  # the three indexed and the four not yet, each once
    assert incident_words.index_new(database, batch=3) == 4
    assert mark(database) == ids[-1]
    assert incident_words.index_new(database, batch=3) == 0  # nothing new: the mark stays
    assert mark(database) == ids[-1]
    assert indexed(database) == set(ids)


def test_a_title_corrected_before_the_indexer_came_is_indexed_as_corrected(database: Database) -> None:
    """The update trigger leaves incidents above the mark to the indexer (SQLite's index would be corrupted if told
    to forget words it never held)."""
    [new] = made(database, "Login failing")
    with database.write() as conn:
        conn.execute(update(Incident).where(Incident.id == new).values(title="Password reset"))
    incident_words.index_new(database)
    assert found(database, "password") == [new]
    assert found(database, "login") == []
    if database.engine.dialect.name == "sqlite":
        with database.write() as conn:  # raises if the index and incidents disagree
            conn.execute(text("INSERT INTO incident_words (incident_words, rank) VALUES ('integrity-check', 1)"))


def test_the_dispatchers_indexer_runs_at_most_every_so_often(database: Database) -> None:
    indexer = incident_words.Indexer(database, every=3600)
    [first] = made(database, "Disk full")
    assert indexer() == 1
    made(database, "Disk full again")
    assert indexer() == 0  # not due yet
    assert indexed(database) == {first}


_names = itertools.count()


@pytest.fixture
def postgresql(postgres: PostgresCluster, postgres_schema: str) -> Iterator[Database]:
    """A PostgreSQL database at the newest schema (where ids may commit out of order)."""
    db = Database.connect(postgres.create_database(f"words_{os.getpid()}_{next(_names)}", template=postgres_schema))
    yield db
    db.dispose()


@pytest.mark.postgres
def test_an_incident_committed_after_the_mark_passed_its_id_is_found_and_then_indexed(postgresql: Database) -> None:
    """PostgreSQL draws an id at INSERT and shows the row at COMMIT: a slow transaction's incident lies below the
    mark by then. The search tests it the old way, and the indexer's next run looks LATE ids back and indexes it."""
    with postgresql.engine.connect() as slow:
        slow.begin()
        late = slow.execute(insert(Incident).values(title="Certificate expired", source="email"))
        late_id = int(late.inserted_primary_key[0])
        [quick] = made(postgresql, "Certificate renewed")
        assert incident_words.index_new(postgresql) == 1
        assert mark(postgresql) == quick > late_id
        slow.commit()
    assert found(postgresql, "certificate expired") == [late_id]  # not indexed yet: found all the same
    assert indexed(postgresql) == {quick}
    assert incident_words.index_new(postgresql) == 1
    assert indexed(postgresql) == {quick, late_id}
    assert found(postgresql, "certificate") == [quick, late_id]


@pytest.mark.postgres
def test_two_indexers_at_once_index_each_incident_once(postgresql: Database) -> None:
    """Several dispatchers on PostgreSQL: the one holding the mark works, the other finds it taken and leaves."""
    ids = made(postgresql, "Disk full", "Disk full again")
    with postgresql.write() as first:
        assert incident_words.index_batch(first) == incident_words.Progress(2, True)
        with postgresql.write() as second:
            assert incident_words.index_batch(second) == incident_words.Progress(0, True)
    assert indexed(postgresql) == set(ids)


def test_sqlite_starts_from_the_words_matches_not_from_every_incident(database: Database) -> None:
    """A word nothing holds must cost nothing: the plan looks up the matches' ids (rowid=?), never walks incidents
    by id to test each (184 ms for no match on 200,000 incidents; 3 ms now)."""
    if database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's planner weighs the GIN index's estimate (test_search_goes_through_the_words_index)")
    steps = plan(database, page_query(IncidentFilter.from_args({"q": "zzzqqq"})))
    assert steps.splitlines()[0] == "SEARCH incidents USING INTEGER PRIMARY KEY (rowid=?)", steps
    assert "SCAN incidents" not in steps, steps
