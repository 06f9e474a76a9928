"""The list's search (`q`) by the words of incidents' titles and descriptions (hub/incident_words.py), on SQLite and
on PostgreSQL: what it finds, what it never raises on, that it goes through the words' index, and that a repeated
event does not touch that index."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, text, update

from hub.db import Database
from hub.models import Incident, Integration
from hub.statements import COUNT_REPEAT
from tests.plans import plan
from web.incident_search import IncidentFilter, page_query, search

DESK = {
    "cert": ("Certificate expired on Hôst-01.example.com", "The quick brown fox"),
    "disk": ("Disk full on db-02", "Café printer said NEAR the end -- AND NOT again"),
    "login": ("Login failing", "users cannot log in: 'invalid_grant'"),
}


@pytest.fixture
def desk(database: Database) -> dict[str, int]:
    """The incidents of DESK, by name -> id."""
    ids = {}
    with database.write() as conn:
        for name, (title, description) in DESK.items():
            made = conn.execute(insert(Incident).values(title=title, description=description, source="email"))
            ids[name] = int(made.inserted_primary_key[0])
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
