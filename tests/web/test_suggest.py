"""The fields' suggestions as one types (web/suggest.py): what the CI fields and the note box's @mentions are
offered for what is typed, to whom, and when the pages point their scripts at them."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import insert

from hub import cis, mentions
from hub.db import Database
from hub.models import User, utcnow
from tests.cmdb_rows import add_cis
from tests.web.helpers import Login, log_in


def test_ci_names_starting_with_what_is_typed_come_first(logged_in: FlaskClient, db: Database) -> None:
    add_cis(db, "prod-db2", "DB1", "web1")
    add_cis(db, "db0", status="retired")
    response = logged_in.get("/suggest/cis?q=db")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == ["DB1", "prod-db2"]


def test_ci_names_are_at_most_twenty(logged_in: FlaskClient, db: Database) -> None:
    add_cis(db, *(f"srv{i:03d}" for i in range(400)))
    assert logged_in.get("/suggest/cis?q=srv3").get_json() == [f"srv{i:03d}" for i in range(300, 320)]


def test_wildcards_typed_are_taken_literally(logged_in: FlaskClient, db: Database) -> None:
    add_cis(db, "db_1", "dbx1")
    assert logged_in.get("/suggest/cis", query_string={"q": "db_"}).get_json() == ["db_1"]
    assert logged_in.get("/suggest/cis", query_string={"q": "%"}).get_json() == []


def test_colleagues_are_suggested_with_their_handle_but_not_the_writer_or_the_inactive(
    logged_in: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    make_user(email="agnes@example.com")
    make_user(email="agatha@example.com")
    with db.transaction() as session:
        session.execute(insert(User).values(email="agent2@example.com", password_hash="x", role="agent", active=False))
    assert logged_in.get("/suggest/people?q=ag").get_json() == [
        {"address": "agatha@example.com", "handle": "agatha"},
        {"address": "agnes@example.com", "handle": "agnes"},
    ]  # not agent@example.com, who is writing


def test_a_viewer_is_refused_both(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    assert client.get("/suggest/cis?q=db").status_code == 403
    assert client.get("/suggest/people?q=bo").status_code == 403


def test_the_pages_ask_for_more_ci_names_only_when_their_list_was_cut(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    add_cis(db, *(f"srv{i:03d}" for i in range(cis.SUGGESTED_NAMES - 1)))
    ref = raise_incident()
    for path in ("/incidents/new", f"/incidents/{ref}"):
        assert "data-suggest" not in logged_in.get(path).get_data(as_text=True)
    add_cis(db, "srv998", "srv999")
    for path in ("/incidents/new", f"/incidents/{ref}"):
        page = logged_in.get(path).get_data(as_text=True)
        assert 'data-suggest="/suggest/cis"' in page and "/static/suggest.js" in page
        assert "srv999" not in page  # the 301st by name: left to the script


def test_the_note_box_asks_for_more_colleagues_only_when_its_list_was_cut(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    assert "data-mention-more" not in logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    people = [{"email": f"user{i:03d}@example.com", "password_hash": "x", "role": "agent", "active": True,
               "created_at": utcnow()} for i in range(mentions.SUGGESTED)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(User), people)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert 'data-mention-more="/suggest/people"' in page
