"""The fields' suggestions as one types (web/suggest.py): what the CI fields and the note box's @mentions are
offered for what is typed, the assignee fields too (hub/assignees.py), to whom, and when the pages point their
scripts at them."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import insert

from hub import assignees, cis, groups, mentions
from hub.db import Database
from hub.models import User, utcnow
from tests.cmdb_rows import add_cis
from tests.web.helpers import Login, log_in, statements


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


def add_agents(db: Database, count: int, start: int = 0) -> None:
    """`count` more agents, `user000@example.com` (or from `start`) on, in address order."""
    emails = [f"user{i:03d}@example.com" for i in range(start, start + count)]
    rows = [{"email": e, "password_hash": "x", "role": "agent", "active": True, "created_at": utcnow()} for e in emails]
    with db.transaction() as session:
        session.execute(insert(User), rows)


def datalist(page: str, list_id: str) -> str:
    found = re.search(rf'<datalist id="{list_id}"[^>]*>.*?</datalist>', page, re.S)
    assert found, list_id
    return found.group(0)


ASSIGNEE_LISTS = (("/incidents/new", "assignees"), ("/incidents", "people"), ("{ref}", "people"))


def test_the_assignee_fields_list_the_first_people_and_ask_for_more_only_when_cut(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    add_agents(db, assignees.SUGGESTED - 1)  # with agent@example.com: exactly as many as a page lists
    for path, list_id in ASSIGNEE_LISTS:
        page = logged_in.get(path.format(ref=f"/incidents/{ref}")).get_data(as_text=True)
        assert "data-suggest" not in datalist(page, list_id) and "suggest.js" not in page, path
    add_agents(db, 5, start=assignees.SUGGESTED - 1)  # user299 ... user303: five past what a page lists
    for path, list_id in ASSIGNEE_LISTS:
        page = logged_in.get(path.format(ref=f"/incidents/{ref}")).get_data(as_text=True)
        listed = datalist(page, list_id)
        assert listed.count("@example.com") == assignees.SUGGESTED, path
        assert "user303@example.com" not in listed and "/static/suggest.js" in page, path
    new_page = logged_in.get("/incidents/new").get_data(as_text=True)
    assert 'data-suggest="/suggest/assignees"' in datalist(new_page, "assignees")  # people and groups
    incident_page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert 'data-suggest="/suggest/assignees?groups=no"' in datalist(incident_page, "people")  # and coordinators


def test_the_incident_page_reads_no_more_people_than_it_lists(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    add_agents(db, assignees.SUGGESTED + 5)
    with statements(db) as sent:
        assert logged_in.get(f"/incidents/{ref}").status_code == 200
    # the login's own row; whether someone holds the assignee (hub/queues.py::unheld_among, by name)
    by_key = ("WHERE users.id = ", "WHERE held.name IN (")
    read = [s for s in sent if "FROM users" in s and not any(key in s for key in by_key)]
    assert read and all("LIMIT" in s for s in read), read  # the assignees' list and the note box's, each cut


def test_assignees_are_suggested_beyond_the_pages_list_with_groups_but_no_viewer_or_inactive(
    logged_in: FlaskClient, db: Database
) -> None:
    add_agents(db, assignees.SUGGESTED + 5)
    with db.transaction() as session:
        session.add(User(email="userx@example.com", password_hash="x", role="viewer", active=True))
        session.add(User(email="usery@example.com", password_hash="x", role="agent", active=False))
        groups.save_group(session, "user-support", [])
        groups.save_group(session, "dba", [])
    beyond = [f"user{i:03d}@example.com" for i in range(300, 305)]  # past the first 300 a page lists
    assert logged_in.get("/suggest/assignees?q=User30").get_json() == beyond
    assert logged_in.get("/suggest/assignees?q=user-").get_json() == ["user-support"]
    assert logged_in.get("/suggest/assignees?q=user-&groups=no").get_json() == []
    assert logged_in.get("/suggest/assignees?q=usery").get_json() == []
    assert logged_in.get("/suggest/assignees?q=userx").get_json() == []
    assert len(logged_in.get("/suggest/assignees?q=user").get_json()) == 20 + 1  # at most 20 people, then groups
