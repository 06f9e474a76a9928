"""Whom the assignee fields offer (hub/assignees.py), on SQLite and PostgreSQL: the first people by address in
code point order, whether that cut the list, and what is suggested for what is typed."""

from __future__ import annotations

from hub import assignees, groups
from hub.db import Database
from hub.models import User
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
