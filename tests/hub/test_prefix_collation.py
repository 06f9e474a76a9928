"""Prefix lookups on a PostgreSQL database made with a language's collation, as most are (en_US.UTF-8 is the common
default), where the test cluster's own sorts by code point: what starts with a prefix ending in `-`, `.` or `@` is
found, exactly, and still through an index.

The database sorts by the ICU locale `en-US-u-ka-shifted`, ICU's spelling of what glibc's en_US.UTF-8 does
(punctuation weighs nothing until letters and digits tie: `db-1` sorts between `db1` and `db10`), because ICU comes
with PostgreSQL while the machine need not have any language's locale generated.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from hub import accounts, ci_links, cis, incident_notes, mentions
from hub.db import Database
from hub.migrate import upgrade
from hub.prefix_match import upper_bound
from tests.cmdb_rows import add_cis
from tests.plans import plan
from tests.servers import PostgresCluster, missing

pytestmark = pytest.mark.postgres

LINGUISTIC = "en-US-u-ka-shifted"
_names = itertools.count(1)


@pytest.fixture
def db(postgres: PostgresCluster) -> Iterator[Database]:
    """A PostgreSQL database migrated to the newest schema, its text sorted by LINGUISTIC."""
    if not postgres.sorts_by_icu():
        missing("PostgreSQL 15 or later with ICU collations", "the Debian package postgresql")
    database = Database.connect(postgres.create_database(f"icu_{os.getpid()}_{next(_names)}", icu_locale=LINGUISTIC))
    upgrade(database.engine)
    yield database
    database.dispose()


def _add_users(db: Database, *emails: str) -> None:
    with db.transaction() as session:
        for email in emails:
            accounts.create_user(session, email=email, password="correct horse battery", role="agent")


def test_the_database_sorts_punctuation_as_a_language_does(db: Database) -> None:
    """What the other tests stand on: here a plain range on the column would miss `db-1` for `db-` (the range up
    to `db.`), `db1.example.com` for `db1.` (up to `db1/`), and `bob@b.example` past `bob.anne@...`."""
    with db.read() as session:
        assert session.scalar(text("SELECT 'db-1' > 'db.' AND 'db1.example.com' > 'db1/'"))
        assert session.scalar(text("SELECT 'bob@a.example' < 'bob.anne@example.com' AND "
                                   "'bob.anne@example.com' < 'bob@b.example'"))  # fmt: skip


def test_ci_names_starting_with_a_prefix_ending_in_punctuation_are_found(db: Database) -> None:
    add_cis(db, "db1", "db10", "db-1", "db-a.example", "db.x", "db,x", "db_1", "dba")
    with db.read() as session:
        assert cis.suggested_names(session, "DB-") == ["db-1", "db-a.example"]
        assert cis.suggested_names(session, "db.") == ["db.x"]
        assert cis.suggested_names(session, "db-1") == ["db-1"]
        # Those starting with it, then those holding it: the same order on every database, by code point.
        assert cis.suggested_names(session, "db") == ["db,x", "db-1", "db-a.example", "db.x", "db1", "db10", "db_1",
                                                      "dba"]  # fmt: skip


def test_an_alerts_short_name_finds_its_ci_in_a_domain(db: Database) -> None:
    add_cis(db, "db1.example.com", "db10", "db1-old", "db1x")
    with db.read() as session:
        found = ci_links.lookup(session.connection(), "db1")
    assert found is not None and found.name == "db1.example.com"


def test_namesakes_keep_their_whole_addresses(db: Database) -> None:
    """`bob@a` and `bob@b` are found as those starting `bob@`, though the collation sorts `bob.anne@` between
    them: `@bob` would reach either, so neither is offered as plain `bob`, and a note's `@bob` reaches no one."""
    _add_users(db, "bob@a.example", "bob.anne@example.com", "bobby@example.com", "bob@b.example", "zed@example.com")
    with db.read() as session:
        conn = session.connection()
        typed = [(s.address, s.handle) for s in incident_notes.mentionable_starting(conn, "bob@")]
        first, _more = incident_notes.first_mentionable(conn, most=3)
        said = mentions.resolve(["bob"], incident_notes.mentionable_as(conn, ["bob"]))
    assert typed == [("bob@a.example", "bob@a.example"), ("bob@b.example", "bob@b.example")]
    assert [(s.address, s.handle) for s in first] == [
        ("bob.anne@example.com", "bob.anne"), ("bob@a.example", "bob@a.example"), ("bob@b.example", "bob@b.example")
    ]  # fmt: skip
    assert said.ambiguous == ("bob",)


def test_the_lookups_still_go_through_an_index(db: Database) -> None:
    add_cis(db, *(f"srv{i:05d}.example.com" for i in range(5000)))
    with db.transaction() as session:
        session.execute(text("ANALYZE configuration_items"))
    statement = ci_links.UNDER_A_DOMAIN.params(prefix="srv00042.", after=upper_bound("srv00042."))
    found = plan(db, statement)
    # The code point index: the unique one on the column sorts by this database's collation, and cannot serve it.
    assert "ix_configuration_items_name_key_c" in found and "Seq Scan" not in found, found
