"""Suggestions as one types (CI names, colleagues to mention) and the CMDB search's name prefix: what is offered,
in which order, and that the database finds them through an index; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from hub import accounts, cis, incident_notes, mentions
from hub.db import Database
from hub.models import ConfigurationItem, User, utcnow
from hub.prefix_match import in_code_point_order, starting_with, upper_bound
from tests.cmdb_rows import add_cis
from tests.plans import plan


@pytest.fixture
def db(database: Database) -> Database:
    """A migrated database of either kind: prefixes are matched the same way on both."""
    return database


def _suggested(db: Database, typed: str, limit: int = cis.SUGGESTED_AS_TYPED) -> list[str]:
    with db.read() as session:
        return cis.suggested_names(session, typed, limit)


def test_names_starting_with_what_is_typed_come_before_those_holding_it(db: Database) -> None:
    add_cis(db, "prod-db2", "db1", "DB3.example.com", "web1", "adb")
    assert _suggested(db, "Db") == ["db1", "DB3.example.com", "adb", "prod-db2"]


def test_at_most_the_limit_is_suggested_and_the_first_by_name(db: Database) -> None:
    add_cis(db, *(f"srv{i:02d}" for i in range(30)))
    assert _suggested(db, "srv") == [f"srv{i:02d}" for i in range(20)]
    assert _suggested(db, "srv", limit=3) == ["srv00", "srv01", "srv02"]


def test_percent_and_underscore_are_taken_literally(db: Database) -> None:
    add_cis(db, "db_1", "dbx1", "50%-full", "500-full")
    assert _suggested(db, "db_") == ["db_1"]
    assert _suggested(db, "50%") == ["50%-full"]
    assert _suggested(db, "_") == ["db_1"]


def test_retired_cis_are_not_suggested(db: Database) -> None:
    add_cis(db, "db1")
    add_cis(db, "db2", "old-db3", status="retired")
    assert _suggested(db, "db") == ["db1"]


def test_nothing_typed_suggests_the_first_names(db: Database) -> None:
    add_cis(db, "b", "a", "c")
    assert _suggested(db, "  ") == ["a", "b", "c"]


def test_a_one_word_search_lists_names_starting_with_it_first(db: Database) -> None:
    add_cis(db, "app-mail", "mail1", "mx1")
    with db.transaction() as session:
        cis.get(session, "mx1").description = "the mail relay"
    with db.read() as session:
        found = [row.name for row in cis.listing(session, cis.CiFilter(query="MAIL"))]
        several = [row.name for row in cis.listing(session, cis.CiFilter(query="mail relay"))]
    assert found == ["mail1", "app-mail", "mx1"]
    assert several == ["mx1"]  # several words: each anywhere, by name


def test_a_one_word_search_keeps_its_filters_and_limit(db: Database) -> None:
    add_cis(db, "db1", "db2", "db3", "x-db4")
    add_cis(db, "db0", status="retired")
    with db.read() as session:
        found = [row.name for row in cis.listing(session, cis.CiFilter(query="db", limit=2))]
        retired = [row.name for row in cis.listing(session, cis.CiFilter(query="db", status="retired"))]
    assert found == ["db1", "db2"]
    assert retired == ["db0"]


def test_a_bound_after_a_prefix_is_its_last_character_moved_on() -> None:
    assert upper_bound("db") == "dc"
    assert upper_bound("db-") == "db."
    assert upper_bound("a\ud7ff") == "a\ue000"  # past the surrogates, which no text holds alone
    assert upper_bound("a\U0010ffff") == "b"
    assert upper_bound("\U0010ffff") is None


def _plan(db: Database, typed: str) -> str:
    """The database's plan for the suggestions' first statement, on a table big enough to be worth an index."""
    query = (
        select(ConfigurationItem.name)
        .where(ConfigurationItem.status == "active", starting_with(ConfigurationItem.name_key, typed))
        .order_by(in_code_point_order(ConfigurationItem.name_key))
        .limit(cis.SUGGESTED_AS_TYPED)
    )
    with db.read() as session:
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE configuration_items"))
    return plan(db, query)


def test_names_starting_with_what_is_typed_are_read_through_the_index(db: Database) -> None:
    add_cis(db, *(f"srv{i:05d}.example.com" for i in range(5000)))
    plan = _plan(db, "srv0001")
    if db.engine.dialect.name == "sqlite":
        assert "SEARCH configuration_items USING INDEX" in plan and "name_key>? AND name_key<?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # in the index's order: no sort
    else:
        assert "ix_configuration_items_name_key_c" in plan and "Seq Scan" not in plan, plan


def _add_users(db: Database, *emails: str, active: bool = True) -> None:
    with db.transaction() as session:
        for email in emails:
            accounts.create_user(session, email=email, password="correct horse battery", role="agent")
        if not active:
            for email in emails:
                accounts.change_user(session, email, active=False)


def _offered(db: Database, typed: str, most: int = 20) -> list[tuple[str, str]]:
    with db.read() as session:
        found = incident_notes.mentionable_starting(session.connection(), typed, most)
    return [(s.address, s.handle) for s in found]


def test_colleagues_are_offered_by_the_name_that_reaches_them_alone(db: Database) -> None:
    _add_users(db, "bob@example.com", "ann@a.example", "ann@b.example", "bonnie@example.com")
    assert _offered(db, "BO") == [("bob@example.com", "bob"), ("bonnie@example.com", "bonnie")]
    # Two anns: the whole address, even when what is typed names one domain.
    assert _offered(db, "ann@b") == [("ann@b.example", "ann@b.example")]


def test_inactive_colleagues_are_not_offered_and_do_not_share_a_name(db: Database) -> None:
    _add_users(db, "bob@example.com")
    _add_users(db, "bob@old.example", "bobby@example.com", active=False)
    assert _offered(db, "bob") == [("bob@example.com", "bob")]


def test_at_most_so_many_colleagues_are_offered_with_wildcards_taken_literally(db: Database) -> None:
    _add_users(db, *(f"user{i:02d}@example.com" for i in range(25)), "a_b@example.com", "axb@example.com")
    assert [address for address, _ in _offered(db, "user", most=20)] == [f"user{i:02d}@example.com" for i in range(20)]
    assert _offered(db, "a_") == [("a_b@example.com", "a_b")]


def test_addresses_are_read_through_their_index(db: Database) -> None:
    with db.transaction() as session:
        session.execute(insert(User), [{"email": f"user{i:05d}@example.com", "password_hash": "x", "role": "agent",
                                        "active": True, "created_at": utcnow()} for i in range(5000)])  # fmt: skip
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE users"))
    by_address = in_code_point_order(User.email)
    query = select(User.email).where(User.active.is_(True), starting_with(User.email, "user0001")).order_by(by_address)
    found = plan(db, query.limit(20))
    assert ("SEARCH users USING INDEX" in found) if _on_sqlite(db) else ("using ix_users_email_c" in found), found
    assert "Seq Scan" not in found and "TEMP B-TREE" not in found, found
    # The page's first few hundred: the index in order, stopped after them, not every user read and sorted.
    first = plan(db, incident_notes.FIRST_BY_ADDRESS.params(most=mentions.SUGGESTED + 1))
    assert ("SCAN users USING INDEX" in first) if _on_sqlite(db) else ("Index Scan using ix_users_email_c" in first)
    assert "Seq Scan" not in first and "TEMP B-TREE" not in first and "Sort" not in first, first


def _on_sqlite(db: Database) -> bool:
    return db.engine.dialect.name == "sqlite"


def _first(db: Database, most: int) -> tuple[list[tuple[str, str]], bool]:
    with db.read() as session:
        offered, more = incident_notes.first_mentionable(session.connection(), most)
    return [(s.address, s.handle) for s in offered], more


def test_the_first_colleagues_are_offered_by_address_and_whether_there_are_more(db: Database) -> None:
    _add_users(db, "carl@example.com", "ann@example.com", "bob@example.com")
    _add_users(db, "aaron@example.com", active=False)
    assert _first(db, 2) == ([("ann@example.com", "ann"), ("bob@example.com", "bob")], True)
    assert _first(db, 3) == ([("ann@example.com", "ann"), ("bob@example.com", "bob"), ("carl@example.com", "carl")],
                             False)  # fmt: skip


def test_the_last_colleague_offered_keeps_the_whole_address_when_a_namesake_is_past_the_list(db: Database) -> None:
    _add_users(db, "ann@example.com", "bob@a.example", "bob@b.example", "bob.smith@example.com", "bobby@example.com")
    # By code point: ann@, bob.smith@ ('.' before '@'), bob@a, bob@b, bobby@: the two bobs sort together.
    assert _first(db, 3) == (
        [("ann@example.com", "ann"), ("bob.smith@example.com", "bob.smith"), ("bob@a.example", "bob@a.example")],
        True,
    )
    assert _first(db, 4)[0][2:] == [("bob@a.example", "bob@a.example"), ("bob@b.example", "bob@b.example")]


def test_colleagues_are_offered_with_their_display_names_before_and_as_they_type(db: Database) -> None:
    _add_users(db, "ann@example.com", "bob@example.com")
    with db.transaction() as session:
        accounts.set_display_name(session, "bob@example.com", "Bob Stone")
    with db.read() as session:
        first, _more = incident_notes.first_mentionable(session.connection())
        typed = incident_notes.mentionable_starting(session.connection(), "b")
    assert [(s.address, s.name) for s in first] == [("ann@example.com", None), ("bob@example.com", "Bob Stone")]
    assert [(s.handle, s.name) for s in typed] == [("bob", "Bob Stone")]


def test_a_note_resolves_its_names_against_the_colleagues_they_could_mean(db: Database) -> None:
    _add_users(db, "bob@a.example", "bob@b.example", "bonnie@example.com", "carl@example.com")
    _add_users(db, "dave@old.example", active=False)
    with db.read() as session:
        people = incident_notes.mentionable_as(session.connection(), ("bob", "bonnie", "carl@example.com", "dave"))
    assert sorted(people) == ["bob@a.example", "bob@b.example", "bonnie@example.com", "carl@example.com"]
    said = mentions.resolve(("bob", "bonnie", "carl@example.com", "dave"), people)
    assert said == mentions.Mentions(("bonnie@example.com", "carl@example.com"), ("dave",), ("bob",))
