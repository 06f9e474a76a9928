"""Whom the assignee fields offer (hub/assignees.py), on SQLite and PostgreSQL: the first people by address in
code point order, whether that cut the list, what is suggested for what is typed, and whom a typed address names."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, text

from hub import assignees, groups
from hub.db import Database
from hub.errors import BadInput
from hub.models import Group, User, utcnow
from tests.plans import plan
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)


def add_people(db: Database, *people: tuple[str, str, bool]) -> None:
    with db.transaction() as session:
        session.add_all(User(email=e, password_hash="x", role=role, active=active) for e, role, active in people)


def test_the_first_people_are_agents_and_admins_by_address_and_say_when_more_are_left(db: Database) -> None:
    add_people(
        db, ("cy@example.com", "admin", True), ("bo@example.com", "agent", True), ("di@example.com", "agent", True)
    )
    add_people(db, ("al@example.com", "viewer", True), ("ab@example.com", "agent", False))  # neither can be assigned
    with db.read() as session:
        assert assignees.first_people(session.connection(), most=2) == assignees.Listed(
            ("bo@example.com", "cy@example.com"), more=True
        )
        assert not assignees.first_people(session.connection(), most=3).more


def test_what_is_typed_finds_people_by_the_start_of_their_address_then_groups_in_code_point_order(
    db: Database,
) -> None:
    add_people(db, ("db10@example.com", "agent", True), ("db-1@example.com", "agent", True))
    with db.transaction() as session:
        groups.save_group(session, "db-team", [])
        groups.save_group(session, "dbx", [])
    with db.read() as session:
        conn = session.connection()
        # Under a language's collation "db-" would also hold db10: in code point order it does not.
        assert assignees.starting(conn, "db-") == ["db-1@example.com", "db-team"]
        assert assignees.starting(conn, "DB-1") == ["db-1@example.com"]  # addresses in any case; group names as named
        assert assignees.starting(conn, "db") == ["db-1@example.com", "db10@example.com", "db-team", "dbx"]
        assert assignees.starting(conn, "db", groups=False) == ["db-1@example.com", "db10@example.com"]
        assert assignees.starting(conn, "db", most=1) == ["db-1@example.com", "db-team"]


def _person(db: Database, typed: str) -> str:
    with db.read() as session:
        return assignees.person(session.connection(), typed)


def test_a_typed_address_names_the_active_agent_or_admin_it_belongs_to(db: Database) -> None:
    add_people(db, ("bo@example.com", "agent", True), ("cy@example.com", "admin", True))
    assert _person(db, "  Bo@Example.com ") == "bo@example.com"
    assert _person(db, "cy@example.com") == "cy@example.com"


def test_a_typed_address_that_names_no_one_who_works_incidents_is_refused_saying_what_to_do(db: Database) -> None:
    add_people(db, ("old@example.com", "agent", False), ("viewer@example.com", "viewer", True))
    refusals = {
        "": "type the person's address, e.g. ann@example.com",
        "bo": "'bo' is not an email address; type the person's address",
        "nobody@example.com": "no one here has the address nobody@example.com; an admin adds them on the Users page",
        "old@example.com": "old@example.com is deactivated; an admin turns them back on on the Users page",
        "viewer@example.com": "viewer@example.com is a viewer, who works no incidents; pick an agent or admin",
    }
    for typed, said in refusals.items():
        with pytest.raises(BadInput, match=re.escape(said)):
            _person(db, typed)


def test_group_names_starting_with_what_is_typed_are_read_through_an_index(db: Database) -> None:
    with db.transaction() as session:
        session.execute(insert(Group), [{"name": f"team{i:05d}", "created_at": utcnow()} for i in range(5000)])
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE groups"))
    with db.read() as session:
        assert list(session.scalars(assignees.groups_starting("team0004", most=3))) == [
            "team00040", "team00041", "team00042"
        ]  # fmt: skip
    found = plan(db, assignees.groups_starting("team0004"))
    if db.engine.dialect.name == "sqlite":  # the unique index on the name already sorts by code point
        assert "SEARCH groups USING" in found and "INDEX" in found and "TEMP B-TREE" not in found, found
    else:  # the unique index sorts by the database's collation and cannot serve it: migration 0034's can
        assert "ix_groups_name_c" in found and "Seq Scan" not in found and "Sort" not in found, found
