"""A requester's reply typed on their request's page: applied as their emailed reply is."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import request_links, requester_replies, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Attachment, Event, Incident, OutboxMessage, TimelineEntry, utcnow
from hub.outbox import body_of
from tests.conftest import make_settings
from tests.web.helpers import Login, csrf_token, log_in
from web import create_app
from web.ratelimit import REPLIES_PER_REQUEST
from web.services import services

EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
HOSTILE = '<script>alert("reply")</script>'


@pytest.fixture
def incident_id(intake: Intake, db: Database, settings: Settings, make_user: Callable[..., Login]) -> int:
    """Ann's request, assigned to Bob."""
    make_user("bob@example.com")
    event = InboundEvent(source="email", title="Printer jams", requester="ann@example.org", message_id="<p@x>",
                         description="The printer on floor 2 jams on every page.")  # fmt: skip
    found = intake.record(EMAIL, event).incident_id
    assert found is not None
    triage.assign(db, found, "bob@example.com", Actor("bob@example.com"), mail(settings))
    return found


def mail(settings: Settings) -> Mail:
    return Mail(settings.desk_address, settings.base_url)


def link(settings: Settings, incident_id: int, person: str = "ann@example.org") -> str:
    return f"/requests/{request_links.LINKS.sign(settings.secret_key, incident_id, person)}"


def send(client: FlaskClient, path: str, text: str) -> tuple[int, str]:
    """Open the page and send `text` in its reply box, as a browser would; (status, page after any redirect)."""
    page = client.get(path).get_data(as_text=True)
    answer = client.post(f"{path}/reply", data={"csrf_token": csrf_token(page), "text": text}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def timeline(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)))


def resolve(db: Database, settings: Settings, incident_id: int, *, ago: timedelta = timedelta(0)) -> None:
    triage.change_status(db, incident_id, "resolve", Actor("bob@example.com"), mail(settings), resolution="Cleared.")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == incident_id).values(resolved_at=utcnow() - ago))


def test_a_reply_lands_on_the_timeline_in_the_conversation_and_tells_the_assignee(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    code, html = send(client, link(settings, incident_id), "Still jams after the restart.")
    assert code == 200 and 'id="replied" tabindex="-1" autofocus>Your reply is added' in html
    conversation = html.split('<ol class="conversation">', 1)[1].split("</ol>", 1)[0]
    assert "Still jams after the restart." in conversation
    assert "Reply from ann@example.org: Printer jams" in timeline(db, incident_id)
    with db.read() as session:
        told = session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "requester_replied"))
        assert list(told) == ["bob@example.com"]
        assert session.scalar(select(Event.source).where(Event.incident_id == incident_id).order_by(Event.id.desc()))\
            == requester_replies.SOURCE  # fmt: skip


def test_the_reply_answers_303_to_the_page_so_a_reload_sends_nothing_again(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    answer = client.post(f"{path}/reply", data={"csrf_token": token, "text": "Any news?"})
    assert answer.status_code == 303 and answer.headers["Location"] == f"{path}?replied=add#replied"


def test_a_link_made_for_someone_else_cannot_reply(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id, "mallory@example.org")
    token = csrf_token(client.get(link(settings, incident_id)).get_data(as_text=True))
    answer = client.post(f"{path}/reply", data={"csrf_token": token, "text": "Close it."})
    assert answer.status_code == 410
    assert not [said for said in timeline(db, incident_id) if said.startswith("Reply from")]


def test_a_reply_needs_the_pages_csrf_token(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    answer = client.post(f"{link(settings, incident_id)}/reply", data={"text": "Hello?"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "send your reply again" in html and ">Hello?</textarea>" in html
    assert not [said for said in timeline(db, incident_id) if said.startswith("Reply from")]


def test_a_reply_within_the_reopen_window_reopens_the_resolved_request(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    resolve(db, settings, incident_id)
    code, html = send(client, link(settings, incident_id), "It jams again.")
    assert code == 200 and "we have reopened your request" in html and '<strong id="state">Open</strong>' in html
    assert "Reopened by a reply from ann@example.org" in timeline(db, incident_id)


def test_a_reply_after_the_reopen_window_is_refused_saying_how_to_ask_again(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    resolve(db, settings, incident_id, ago=timedelta(seconds=settings.reply_reopen_window + 60))
    page = client.get(path).get_data(as_text=True)
    assert 'id="reply-text"' not in page and "This request is closed, so it takes no more replies." in page
    answer = client.post(f"{path}/reply", data={"csrf_token": token, "text": "It jams again."})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and f"send us a new request and mention INC-{incident_id}" in html
    with db.read() as session:
        assert session.get_one(Incident, incident_id).status == "resolved"
        assert session.scalar(select(Incident.id).where(Incident.id != incident_id)) is None


def test_a_reply_that_only_thanks_leaves_the_resolved_request_resolved(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    resolve(db, settings, incident_id)
    code, html = send(client, link(settings, incident_id), "Thanks!")
    assert code == 200 and "Your request stays resolved." in html
    with db.read() as session:
        assert session.get_one(Incident, incident_id).status == "resolved"


def test_a_hostile_reply_is_text_on_the_agents_page_and_in_the_assignees_mail(
    app_client_pair: tuple[FlaskClient, FlaskClient],
    db: Database,
    settings: Settings,
    incident_id: int,
    make_user: Callable[..., Login],
) -> None:
    requester, agent = app_client_pair
    bob = make_user("bob2@example.com")
    send(requester, link(settings, incident_id), f"Look: {HOSTILE}")
    log_in(agent, bob)
    html = agent.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    with db.read() as session:
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "requester_replied"))
        text, html_part = body_of(row)
    assert HOSTILE in text  # plain text carries it as typed
    assert html_part is not None and HOSTILE not in html_part and "&lt;script&gt;" in html_part


def test_a_reply_with_a_file_lists_it_with_the_reply_as_an_emails_files_are(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    path = link(settings, incident_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, "text": "The error.", "files": (io.BytesIO(b"PNG bytes"), "error.png")}
    answer = client.post(f"{path}/reply", data=data, content_type="multipart/form-data", follow_redirects=True)
    assert "Attached to the mail: error.png" in answer.get_data(as_text=True)
    with db.read() as session:
        [(name, event_source)] = session.execute(
            select(Attachment.filename, Event.source).join(Event, Event.id == Attachment.event_id)
        ).all()
    assert (name, event_source) == ("error.png", requester_replies.SOURCE)


def test_a_file_over_the_limit_is_refused_saying_the_limit_and_nothing_is_added(
    settings: Settings, db: Database, incident_id: int
) -> None:
    app = create_app(replace(settings, attachment_max_bytes=1000, attachments_max_message_bytes=1500), db=db)
    client = app.test_client()
    path = link(settings, incident_id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, "text": "The log.", "files": (io.BytesIO(b"x" * 1001), "big.log")}
    answer = client.post(f"{path}/reply", data=data, content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "big.log is larger than 1000 bytes" in html and ">The log.</textarea>" in html
    assert not [said for said in timeline(db, incident_id) if said.startswith("Reply from")]
    with app.app_context():
        services().close()


def test_replies_past_the_hourly_limit_get_429_keep_what_was_typed_and_add_nothing(
    settings: Settings, db: Database, redis_url: str, incident_id: int, steady_limit_clock: None
) -> None:
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    path = link(settings, incident_id)
    for turn in range(REPLIES_PER_REQUEST):
        assert send(client, path, f"Still jamming, try {turn}")[0] == 200
    page = client.get(path).get_data(as_text=True)
    refused = client.post(f"{path}/reply", data={"csrf_token": csrf_token(page), "text": "One more thing"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "send this one again in" in html and "One more thing" in html
    assert sum("One more thing" in line for line in timeline(db, incident_id)) == 0
