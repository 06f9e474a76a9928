"""The request catalogue's pages and API: admins add, edit, retire and restore request types; everyone who sees
the catalogue lists them; the API refuses what the pages refuse, naming the field."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask.testing import FlaskClient

from hub import accounts, request_types
from hub.db import Database
from hub.models import AuditEntry
from hub.request_questions import Question
from tests.docs import fenced
from tests.web.helpers import Login, bearer, csrf_token, log_in, token_headers


def as_admin(client: FlaskClient, make_user: Callable[..., Login]) -> str:
    log_in(client, make_user(email="admin@example.com", role="admin"))
    return csrf_token(client.get("/request-types/new").get_data(as_text=True))


def test_an_admin_adds_a_request_type_with_its_questions_one_a_line(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    token = as_admin(client, make_user)
    typed = {"csrf_token": token, "name": "New laptop", "summary": "A laptop for a new starter", "position": "0",
             "questions": "Model [choice: Mac, PC] *\r\nWhy? [text]"}  # fmt: skip
    sent = client.post("/request-types/new", data=typed)
    assert sent.status_code == 303, sent.get_data(as_text=True)
    with db.read() as session:
        added = request_types.named(session, "New laptop")
        assert session.query(AuditEntry).filter_by(action="request_type.add", target="New laptop").count() == 1
    assert added.questions == (Question("Model", True, "choice", ("Mac", "PC")), Question("Why?", False, "text"))
    assert "New laptop" in client.get("/request-types").get_data(as_text=True)


def test_a_question_that_cannot_be_asked_is_shown_beside_the_questions(
    client: FlaskClient, make_user: Callable[..., Login]
) -> None:
    token = as_admin(client, make_user)
    sent = client.post("/request-types/new", data={"csrf_token": token, "name": "VPN", "summary": "Remote access",
                                                   "questions": "Why\nwhy"})  # fmt: skip
    assert sent.status_code == 400 and "asks &#39;why&#39; again" in sent.get_data(as_text=True)


def test_the_edit_page_shows_the_questions_as_lines_and_saves_them(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        shown = request_types.add(session, name="VPN", summary="Remote access", questions=[Question("Why", True)])
    token = as_admin(client, make_user)
    assert "Why *</textarea>" in client.get(f"/request-types/{shown.id}/edit").get_data(as_text=True)
    sent = client.post(f"/request-types/{shown.id}/edit", data={"csrf_token": token, "name": "VPN access",
                                                               "summary": "Remote access", "questions": "Until when?",
                                                               "position": "3"})  # fmt: skip
    assert sent.status_code == 303
    with db.read() as session:
        changed = request_types.get(session, shown.id)
    assert (changed.name, changed.questions, changed.position) == ("VPN access", (Question("Until when?"),), 3)


def test_retiring_and_restoring_are_buttons_that_say_what_they_did(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        shown = request_types.add(session, name="Fax line", summary="A fax")
    token = as_admin(client, make_user)
    retired = client.post(f"/request-types/{shown.id}/retire", data={"csrf_token": token}, follow_redirects=True)
    assert "no longer offers it" in retired.get_data(as_text=True)
    with db.read() as session:
        assert not request_types.get(session, shown.id).active
    client.post(f"/request-types/{shown.id}/restore", data={"csrf_token": token})
    with db.read() as session:
        assert request_types.get(session, shown.id).active


def test_restoring_an_offered_type_flashes_that_it_already_is_and_audits_nothing(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    with db.transaction() as session:
        shown = request_types.add(session, name="VPN access", summary="Remote access")
    token = as_admin(client, make_user)
    page = client.post(f"/request-types/{shown.id}/restore", data={"csrf_token": token}, follow_redirects=True)
    assert 'flash-info" role="status">VPN access is already offered' in page.get_data(as_text=True)
    with db.read() as session:
        assert session.query(AuditEntry).filter(AuditEntry.action.like("request_type.%")).count() == 0


def test_the_api_retiring_a_retired_type_answers_it_unchanged_and_audits_nothing(
    client: FlaskClient, db: Database
) -> None:
    with db.transaction() as session:
        shown = request_types.add(session, name="VPN access", summary="Remote access")
        request_types.set_active(session, "VPN access", active=False)
        headers = bearer(accounts.create_token(session, name="sync", role="admin"))
    again = client.patch(f"/api/v1/request-types/{shown.id}", headers=headers, json={"active": False})
    assert again.status_code == 200 and again.json["active"] is False
    with db.read() as session:
        assert session.query(AuditEntry).filter(AuditEntry.action.like("request_type.%")).count() == 0


def test_the_api_adds_lists_and_retires_a_request_type(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="sync", role="admin")
    added = client.post("/api/v1/request-types", headers=headers,
                        json={"name": "VPN access", "summary": "Remote access", "category": "network",
                              "questions": [{"label": "Why?", "required": True, "kind": "text"}]})  # fmt: skip
    assert added.status_code == 201, added.json
    retired = client.patch(f"/api/v1/request-types/{added.json['id']}", headers=headers, json={"active": False})
    assert retired.status_code == 200 and retired.json["active"] is False
    [listed] = client.get("/api/v1/request-types", headers=headers).json
    assert listed["questions"] == [{"label": "Why?", "required": True, "kind": "text", "choices": []}]


def test_the_api_names_the_field_it_refuses(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="sync", role="admin")
    refused = client.post("/api/v1/request-types", headers=headers,
                          json={"name": "VPN", "summary": "Remote", "group": "nobody"})  # fmt: skip
    assert refused.status_code == 400 and refused.json["field"] == "group"


def test_a_viewer_token_reads_but_cannot_add(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="reader", role="viewer")
    assert client.get("/api/v1/request-types", headers=headers).status_code == 200
    assert client.post("/api/v1/request-types", headers=headers, json={"name": "x", "summary": "y"}).status_code == 403


def test_the_documented_api_calls_do_what_the_docs_say(client: FlaskClient, db: Database) -> None:
    headers = token_headers(db, name="sync", role="admin")
    [block] = fenced("docs/requests.md", "Through the API", "sh")
    added_body, retired_body = (json.loads(body) for body in re.findall(r"-d '([^']+)'", block))
    added = client.post("/api/v1/request-types", headers=headers, json=added_body)
    assert added.status_code == 201 and added.json["id"] == 1, added.json  # the id the PATCH names
    retired = client.patch("/api/v1/request-types/1", headers=headers, json=retired_body)
    assert retired.status_code == 200 and retired.json["active"] is False
