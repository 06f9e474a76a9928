"""Saved replies: the desk's stock answers, kept once and offered beside each incident's reply box."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.audit import recent
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from tests.web.helpers import Login, csrf_token, log_in

VPN = "Please quit the VPN client, start it again and tell us if it still drops."


def add(client: FlaskClient, name: str, text: str) -> TestResponse:
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    return client.post("/replies", data={"csrf_token": token, "name": name, "text": text})


def emailed_incident(intake: Intake) -> str:
    event = InboundEvent(source="email", title="VPN drops", requester="ann@example.com", message_id="<v@example.com>")
    ref = intake.record(Raw("email", "message/rfc822", b"Subject: VPN drops\r\n\r\nhelp"), event).ref
    assert ref is not None
    return ref


def test_an_agent_saves_a_reply_and_it_is_listed(logged_in: FlaskClient, db: Database) -> None:
    response = add(logged_in, "VPN restart", VPN)
    assert response.status_code == 302
    page = logged_in.get("/replies").get_data(as_text=True)
    assert "Saved reply &#39;VPN restart&#39; added" in page and VPN in page
    with db.read() as session:
        assert [(e.action, e.target) for e in recent(session, action="reply.")] == [("reply.add", "VPN restart")]


def test_the_incident_page_offers_it_and_a_click_starts_the_reply_with_it(
    logged_in: FlaskClient, intake: Intake
) -> None:
    add(logged_in, "VPN restart", VPN)
    ref = emailed_incident(intake)
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert f'<a href="/incidents/{ref}?reply=1#reply-text">VPN restart</a>' in page
    chosen = logged_in.get(f"/incidents/{ref}?reply=1").get_data(as_text=True)
    assert f'maxlength="20000">{VPN}</textarea>' in chosen


def test_an_unknown_or_odd_reply_number_starts_an_empty_box(logged_in: FlaskClient, intake: Intake) -> None:
    ref = emailed_incident(intake)
    for odd in ("9", "x", "99999999999999999999"):
        page = logged_in.get(f"/incidents/{ref}?reply={odd}").get_data(as_text=True)
        assert 'maxlength="20000"></textarea>' in page


def test_a_name_used_already_is_refused(logged_in: FlaskClient) -> None:
    add(logged_in, "VPN restart", VPN)
    response = add(logged_in, "VPN restart", "Something else.")
    assert response.status_code == 200
    assert "there is a saved reply named &#39;VPN restart&#39; already" in response.get_data(as_text=True)


def test_a_reply_is_removed_with_its_button(logged_in: FlaskClient, db: Database) -> None:
    add(logged_in, "VPN restart", VPN)
    token = csrf_token(logged_in.get("/replies").get_data(as_text=True))
    assert logged_in.post("/replies/1/remove", data={"csrf_token": token}).status_code == 302
    page = logged_in.get("/replies").get_data(as_text=True)
    assert "Saved reply &#39;VPN restart&#39; removed." in page and "No saved replies yet." in page


def test_hostile_text_is_shown_inert(logged_in: FlaskClient, intake: Intake) -> None:
    add(logged_in, "<b>x</b>", "</textarea><script>alert(1)</script>")
    ref = emailed_incident(intake)
    for page in (logged_in.get("/replies"), logged_in.get(f"/incidents/{ref}?reply=1")):
        html = page.get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html


def test_viewers_may_not_manage_saved_replies(client: FlaskClient, make_user: Callable[..., Login]) -> None:
    log_in(client, make_user("viewer@example.com", role="viewer"))
    assert client.get("/replies").status_code == 403
