"""The requester's "Follow your request" page: reached from a link in the desk's mail, without logging in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import request_links, satisfaction, triage
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, utcnow
from tests.web.helpers import Login

EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
HOSTILE = '<script>alert("req")</script>'


@pytest.fixture
def incident_id(intake: Intake) -> int:
    event = InboundEvent(source="email", title=f"Printer jams {HOSTILE}", requester="ann@example.org",
                         message_id="<p@x>")  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def link(settings: Settings, incident_id: int, **kw: object) -> str:
    return f"/requests/{request_links.LINKS.sign(settings.secret_key, incident_id, 'ann@example.org', **kw)}"  # type: ignore[arg-type]


def test_the_requester_sees_where_it_stands_and_nothing_of_the_desks_work(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("bob@example.com")
    mail = triage.Mail(settings.desk_address, settings.base_url)
    triage.add_note(db, incident_id, "Internal: the printer vendor is slow", triage.Actor("bob@example.com"))
    triage.assign(db, incident_id, "bob@example.com", triage.Actor("bob@example.com"), mail)
    triage.change_status(db, incident_id, "acknowledge", triage.Actor("bob@example.com"), mail)
    answer = client.get(link(settings, incident_id))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and '<strong id="state">In progress</strong>' in html
    assert "Someone at the desk is working on it." in html and f"INC-{incident_id}" in html
    assert "vendor" not in html and "bob@example.com" not in html and "P3" not in html
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_a_resolved_request_says_how(client: FlaskClient, db: Database, settings: Settings, incident_id: int) -> None:
    mail = triage.Mail(settings.desk_address, settings.base_url)
    triage.change_status(db, incident_id, "resolve", triage.Actor("bob@example.com"), mail,
                         resolution="Cleared the jam.")  # fmt: skip
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert '<strong id="state">Resolved</strong>' in html and "Cleared the jam." in html


def test_a_link_that_was_changed_or_made_for_another_page_is_400(
    client: FlaskClient, settings: Settings, incident_id: int
) -> None:
    assert client.get(link(settings, incident_id) + "x").status_code == 400
    survey = satisfaction.sign(settings.secret_key, incident_id, "ann@example.org")
    refused = client.get(f"/requests/{survey}")
    assert refused.status_code == 400 and "reply to one of our emails" in refused.get_data(as_text=True)


def test_an_expired_link_or_one_whose_request_changed_hands_is_410(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    assert client.get(link(settings, incident_id, now=utcnow() - timedelta(days=91))).status_code == 410
    with db.transaction() as session:
        session.scalars(select(Incident)).one().requester = "bea@example.org"
    assert client.get(link(settings, incident_id)).status_code == 410
