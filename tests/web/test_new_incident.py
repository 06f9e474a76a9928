"""Logging an incident by hand, from the new-incident page and through `POST /api/v1/incidents`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import accounts
from hub.db import Database
from hub.models import Event, Incident, OutboxMessage
from tests.conftest import make_settings, migrated_database
from tests.web.helpers import Login, count, csrf_token, log_in
from web import create_app


def submit(client: FlaskClient, **fields: str) -> TestResponse:
    """Fill in the new-incident form as a browser does: its CSRF token, and the boxes ticked by default."""
    token = csrf_token(client.get("/incidents/new").get_data(as_text=True))
    return client.post("/incidents/new", data={"csrf_token": token, "acknowledge_requester": "on", **fields})


def stored(db: Database) -> list[Incident]:
    with db.read() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def token(db: Database, role: str) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'{role}-script', role=role)}"}


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_incident_list_offers_agents_a_new_incident_button(logged_in: FlaskClient) -> None:
    assert 'href="/incidents/new"' in logged_in.get("/incidents").get_data(as_text=True)


def test_viewers_see_no_button_and_may_not_open_the_page(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user("viewer@example.com", role="viewer"))
    assert 'href="/incidents/new"' not in client.get("/incidents").get_data(as_text=True)
    assert client.get("/incidents/new").status_code == 403


def test_logging_one_opens_it_and_lands_on_its_page(logged_in: FlaskClient, db: Database) -> None:
    response = submit(logged_in, title="Cannot print on floor 3", description="Since 9:00.\nJammed.",
                      requester="ann@example.com", channel="walk-in", priority="2")  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/incidents/INC-1"
    page = logged_in.get("/incidents/INC-1").get_data(as_text=True)
    assert "INC-1 logged. ann@example.com is mailed its reference." in page
    assert "Logged by agent@example.com (walk-in) as P2" in page
    (incident,) = stored(db)
    assert (incident.title, incident.description, incident.requester, incident.priority, incident.source) == (
        "Cannot print on floor 3", "Since 9:00.\nJammed.", "ann@example.com", 2, "desk"
    )  # fmt: skip
    assert incident.labels == {"channel": "walk-in", "organisation": "example.com"}  # the caller's, by domain


def test_an_unticked_acknowledgement_box_means_the_requester_is_not_mailed(
    logged_in: FlaskClient, db: Database
) -> None:
    token_ = csrf_token(logged_in.get("/incidents/new").get_data(as_text=True))
    response = logged_in.post("/incidents/new", data={"csrf_token": token_, "title": "Printer", "requester":
                                                      "ann@example.com", "assignee": "agent@example.com"})  # fmt: skip
    assert response.status_code == 303
    assert stored(db)[0].requester == "ann@example.com" and count(db, OutboxMessage) == 0


def test_a_requester_who_is_the_desk_itself_is_not_said_to_be_mailed(logged_in: FlaskClient, db: Database) -> None:
    response = submit(logged_in, title="Cannot print", requester="helpdesk@localhost", assignee="agent@example.com")
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "INC-1 logged." in page and "is mailed its reference" not in page
    assert count(db, OutboxMessage) == 0


def test_a_wrong_field_is_shown_beside_it_with_what_was_typed_kept(logged_in: FlaskClient, db: Database) -> None:
    response = submit(logged_in, title="Cannot print", requester="ann at example.com", category="printing")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="requester-error">&#39;requester&#39; must be the reporter&#39;s email address' in page
    assert 'value="Cannot print"' in page and 'value="printing"' in page and 'value="ann at example.com"' in page
    assert count(db, Event) == 0 and count(db, Incident) == 0


def test_an_assignee_who_is_no_user_is_refused_beside_the_assignee_box(logged_in: FlaskClient, db: Database) -> None:
    response = submit(logged_in, title="Cannot print", assignee="nobody@example.com")
    assert response.status_code == 400
    assert 'id="assignee-error">nobody@example.com is not an active user' in response.get_data(as_text=True)
    assert count(db, Incident) == 0


def test_the_form_is_refused_without_its_csrf_token(logged_in: FlaskClient, db: Database) -> None:
    assert logged_in.post("/incidents/new", data={"title": "Cannot print"}).status_code == 400
    assert count(db, Incident) == 0


def test_what_was_typed_is_escaped_when_shown_again(logged_in: FlaskClient) -> None:
    response = submit(logged_in, title='<script>alert("x")</script>', requester="<b>")
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_the_page_lists_people_groups_and_services_to_choose_from(logged_in: FlaskClient, db: Database) -> None:
    from hub.catalogue import add_service
    from hub.groups import save_group

    with db.transaction() as session:
        save_group(session, "printing-team", ["agent@example.com"])
        add_service(session, name="Printing")
    page = logged_in.get("/incidents/new").get_data(as_text=True)
    assert '<option value="agent@example.com">' in page and '<option value="printing-team">' in page
    assert '<option value="Printing">' in page


# --- the API ------------------------------------------------------------------------------------------------------


def post(client: FlaskClient, headers: dict[str, str], body: Any) -> TestResponse:
    return client.post("/api/v1/incidents", json=body, headers=headers)


def test_the_api_logs_one_and_answers_201_with_the_incident(client: FlaskClient, db: Database) -> None:
    response = post(client, token(db, "agent"), {"title": "VPN down for sales", "channel": "chat", "priority": 1,
                                                 "service": "VPN", "requester": "ann@example.com"})  # fmt: skip
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Location"] == "/api/v1/incidents/INC-1"
    body = response.json
    assert body is not None
    assert (body["ref"], body["title"], body["priority"], body["source"], body["labels"]) == (
        "INC-1", "VPN down for sales", 1, "desk", {"channel": "chat", "service": "VPN", "organisation": "example.com"}
    )  # fmt: skip
    assert body["timeline"][0]["summary"].startswith("Logged by token:agent-script (chat) as P1")


def test_the_api_stores_the_body_as_it_was_sent(client: FlaskClient, db: Database) -> None:
    sent = b'{"title":  "VPN down"}'
    response = client.post("/api/v1/incidents", data=sent, headers={**token(db, "agent"),
                                                                     "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 201
    with db.read() as session:
        (event,) = session.scalars(select(Event)).all()
    assert event.raw == sent


def test_the_api_names_the_wrong_field(client: FlaskClient, db: Database) -> None:
    response = post(client, token(db, "agent"), {"title": "VPN down", "priority": "urgent"})
    assert response.status_code == 400
    assert response.json == {"error": "'priority' must be 1 (highest) to 5, or left out for the rules; not 'urgent'"}


def test_the_api_refuses_a_body_that_is_no_json_object(client: FlaskClient, db: Database) -> None:
    response = post(client, token(db, "agent"), ["VPN down"])
    assert response.status_code == 400 and "send a JSON object" in response.json["error"]  # type: ignore[index]


def test_a_viewer_token_may_not_log_incidents(client: FlaskClient, db: Database) -> None:
    response = post(client, token(db, "viewer"), {"title": "VPN down"})
    assert response.status_code == 403 and count(db, Incident) == 0


def test_the_api_without_a_token_is_401(client: FlaskClient, db: Database) -> None:
    assert post(client, {}, {"title": "VPN down"}).status_code == 401 and count(db, Incident) == 0


def test_with_the_database_locked_the_api_answers_503_and_the_form_keeps_what_was_typed(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    settings = make_settings(tmp_path / "locked", db_timeout=0.2)
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    with db.transaction() as session:
        accounts.create_user(session, email="agent@example.com", password="long enough", role="agent")
    headers = token(db, "agent")
    client = create_app(settings, db=db).test_client()
    log_in(client, Login("agent@example.com", "long enough"))
    form_token = csrf_token(client.get("/incidents/new").get_data(as_text=True))
    # A second connection holds SQLite's write lock, as a long transaction in another process would.
    holder = sqlite3.connect(settings.home / "switchboard.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        api = post(client, headers, {"title": "VPN down"})
        page = client.post("/incidents/new", data={"csrf_token": form_token, "title": "VPN down for sales"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "The database is busy; nothing was saved. Try again in a moment." in html
    assert 'value="VPN down for sales"' in html
    assert count(db, Event) == 0 and count(db, Incident) == 0
    db.dispose()
