"""The suggestions as one types find colleagues by a word of their display name too (web/suggest.py,
hub/name_words.py): `/suggest/people` for the @mention box, `/suggest/assignees` for the assignee fields, after those
found by address; what they fill in stays the address or the handle. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from hub import accounts, name_words
from hub.db import Database
from hub.models import User
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.conftest import PASSWORD


def _hire(db: Database, *people: tuple[str, str]) -> None:
    with db.transaction() as session:
        for email, name in people:
            accounts.create_user(session, email=email, password=PASSWORD, role="agent", display_name=name)


def test_the_note_box_is_offered_a_colleague_by_a_word_of_their_name_with_the_handle_to_write(
    logged_in: FlaskClient, db: Database
) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"), ("rob@example.com", ""))
    assert logged_in.get("/suggest/people?q=sto").get_json() == [
        {"address": "bob@example.com", "handle": "bob", "name": "Robert Stone"}
    ]
    assert logged_in.get("/suggest/people?q=RO").get_json() == [
        {"address": "rob@example.com", "handle": "rob"},  # by address first
        {"address": "bob@example.com", "handle": "bob", "name": "Robert Stone"},
    ]


def test_the_assignee_fields_are_offered_a_person_by_their_name_filling_in_their_address(
    logged_in: FlaskClient, db: Database
) -> None:
    _hire(db, ("bob@example.com", "Robert Stöne"))
    expected = [{"value": "bob@example.com", "label": "Robert Stöne"}]
    assert logged_in.get("/suggest/assignees?q=stone").get_json() == expected
    assert logged_in.get("/suggest/assignees", query_string={"q": "Robert St", "groups": "no"}).get_json() == expected


def test_the_writer_and_a_disabled_colleague_are_not_offered_by_name(logged_in: FlaskClient, db: Database) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"))
    with db.transaction() as session:
        accounts.set_display_name(session, "agent@example.com", "Agnes Stone")  # the one logged in
        accounts.change_user(session, "bob@example.com", active=False)
    assert logged_in.get("/suggest/people?q=stone").get_json() == []
    assert logged_in.get("/suggest/assignees?q=stone").get_json() == [
        {"value": "agent@example.com", "label": "Agnes Stone"}  # one may give an incident to oneself
    ]


def test_a_renamed_colleague_is_found_by_their_new_name_only(logged_in: FlaskClient, db: Database) -> None:
    _hire(db, ("bob@example.com", "Robert Stone"))
    with db.transaction() as session:
        accounts.set_display_name(session, "bob@example.com", "Bobby Tables")
    assert logged_in.get("/suggest/people?q=stone").get_json() == []
    assert logged_in.get("/suggest/assignees?q=tab").get_json() == [{"value": "bob@example.com",
                                                                      "label": "Bobby Tables"}]  # fmt: skip


def test_a_hostile_name_comes_back_as_json_text_not_markup(logged_in: FlaskClient, db: Database) -> None:
    """The accounts refuse < and > in a name; one written before that rule, or by hand, still reaches the page's
    script as JSON data, which it puts in as text (web/static/mentions.js, web/static/suggest.js)."""
    hostile = "Mallory \"</script><img src=x onerror=alert(1)>\" & 'co'"
    _hire(db, ("mal@example.com", ""))
    with db.transaction() as session:
        mallory = session.execute(update(User).where(User.email == "mal@example.com").values(display_name=hostile)
                                  .returning(User.id)).scalar_one()  # fmt: skip
        name_words.keep(session.connection(), mallory, hostile)
    for path, named in (("/suggest/people?q=mallory", "name"), ("/suggest/assignees?q=onerror", "label")):
        response = logged_in.get(path)
        assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
        assert [found[named] for found in response.get_json()] == [hostile], path


def test_the_note_box_lists_colleagues_found_by_name_as_names_are_read_accents_aside(
    logged_in: FlaskClient, db: Database
) -> None:
    _hire(db, ("a@example.com", "Erik Lund"), ("b@example.com", "Émile Lund"), ("c@example.com", "Emil Lund"))
    found = logged_in.get("/suggest/people?q=lund").get_json()
    assert [person["name"] for person in found] == ["Emil Lund", "Émile Lund", "Erik Lund"]


def test_the_assignee_fields_list_namesakes_by_their_address(logged_in: FlaskClient, db: Database) -> None:
    _hire(db, ("zed@example.com", "Kim Lee"), ("kim@example.com", "Kim Lee"))
    assert logged_in.get("/suggest/assignees?q=lee").get_json() == [
        {"value": "kim@example.com", "label": "Kim Lee"},
        {"value": "zed@example.com", "label": "Kim Lee"},
    ]


@pytest.mark.parametrize(
    ("typed", "name"),
    [("obrien", "Seán O'Brien"), ("o'brien", "Seán O'Brien"), ("o\u2019bri", "Seán O'Brien"), ("brien", "Seán O'Brien"),
     ("dangelo", "Dina D\u2019Angelo"), ("d'angelo", "Dina D\u2019Angelo"), ("angelo", "Dina D\u2019Angelo"),
     ("jeanluc", "Jean-Luc Picard"), ("jean-luc", "Jean-Luc Picard"), ("luc", "Jean-Luc Picard"),
     ("annemarie", "Anne-Marie Roy"), ("anne-m", "Anne-Marie Roy"), ("marie", "Anne-Marie Roy")],
)  # fmt: skip
def test_a_name_joined_by_an_apostrophe_or_a_hyphen_is_found_whole_or_by_a_part_in_the_note_box_and_assignee_fields(
    logged_in: FlaskClient, db: Database, typed: str, name: str
) -> None:
    _hire(db, ("ob@example.com", "Seán O'Brien"), ("da@example.com", "Dina D\u2019Angelo"),
          ("jl@example.com", "Jean-Luc Picard"), ("am@example.com", "Anne-Marie Roy"))  # fmt: skip
    people = logged_in.get("/suggest/people", query_string={"q": typed}).get_json()
    assignees = logged_in.get("/suggest/assignees", query_string={"q": typed, "groups": "no"}).get_json()
    assert [person["name"] for person in people] == [name]
    assert [person["label"] for person in assignees] == [name]
