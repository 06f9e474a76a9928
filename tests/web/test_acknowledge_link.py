"""The page an "Acknowledge" link in an agent's mail opens: no login, the signed link names who acts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, ack_links, satisfaction, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, TimelineEntry, utcnow
from tests.web.helpers import Login, csrf_token

ALERT = Raw(source="generic", content_type="application/json", body=b"{}")
HOSTILE = '<script>alert("ack")</script>'


@pytest.fixture
def incident_id(intake: Intake) -> int:
    outcome = intake.record(ALERT, InboundEvent(source="generic", title="Disk full on db1", dedup_key="disk"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def link(settings: Settings, incident_id: int, person: str = "ann@example.com", **kw: object) -> str:
    """The path of the link a mail to `person` carries."""
    return f"/ack/{ack_links.LINKS.sign(settings.secret_key, incident_id, person, **kw)}"  # type: ignore[arg-type]


def status(db: Database, incident_id: int) -> str:
    with db.read() as session:
        return session.get_one(Incident, incident_id).status


def press(client: FlaskClient, path: str) -> tuple[int, str]:
    """Open the link, then press its button as a browser would; (status, page after any redirect)."""
    page = client.get(path).get_data(as_text=True)
    answer = client.post(path, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def test_following_the_link_shows_the_incident_and_a_button_and_changes_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    page = client.get(link(settings, incident_id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Disk full on db1" in html and "Acknowledge as ann@example.com" in html
    assert status(db, incident_id) == "open"


def test_the_page_names_the_assignee_by_their_display_name(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    make_user("bob@example.com")
    with db.transaction() as session:
        accounts.set_display_name(session, "bob@example.com", "Bob Stone")
    triage.assign(db, incident_id, "bob@example.com", Actor("ann@example.com"), Mail("helpdesk@localhost", "http://x"))
    html = client.get(link(settings, incident_id)).get_data(as_text=True)
    assert 'assigned to <span class="person" title="bob@example.com">Bob Stone</span>' in html


def test_pressing_the_button_acknowledges_as_the_person_the_link_names(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    code, html = press(client, link(settings, incident_id))
    assert code == 200 and "Acknowledged as ann@example.com" in html
    assert status(db, incident_id) == "acknowledged"
    with db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id))
        assert any("ann@example.com" in s and "acknowledged" in s.lower() for s in summaries)


def test_an_incident_acknowledged_already_offers_no_button_and_a_second_press_changes_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    path = link(settings, incident_id)
    page = client.get(path).get_data(as_text=True)
    triage.change_status(db, incident_id, "acknowledge", Actor("bob@example.com"),
                         Mail("desk@example.com", settings.base_url))  # fmt: skip
    late = client.post(path, data={"csrf_token": csrf_token(page)})
    assert late.status_code == 409 and "Nothing changed" in late.get_data(as_text=True)
    shown = client.get(path).get_data(as_text=True)
    assert "nothing to acknowledge: it is acknowledged already" in shown and "<button" not in shown


def test_a_post_without_the_pages_csrf_token_changes_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    answer = client.post(link(settings, incident_id), data={})
    assert answer.status_code == 400 and "press the button again" in answer.get_data(as_text=True)
    assert status(db, incident_id) == "open"


def test_a_viewer_named_by_a_link_cannot_acknowledge(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("vic@example.com", role="viewer")
    path = link(settings, incident_id, "vic@example.com")
    page = client.get(path)
    assert page.status_code == 403 and "cannot acknowledge incidents" in page.get_data(as_text=True)
    token = csrf_token(client.get("/login").get_data(as_text=True))  # the page offers no form; post one anyway
    answer = client.post(path, data={"csrf_token": token})
    assert answer.status_code == 403 and status(db, incident_id) == "open"


def test_a_link_for_a_deactivated_account_no_longer_works(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    make_user("root@example.com", role="admin")
    with db.transaction() as session:
        accounts.change_user(session, "ann@example.com", active=False)
    answer = client.get(link(settings, incident_id))
    assert answer.status_code == 410 and "no active account" in answer.get_data(as_text=True)


def test_an_expired_link_answers_410_and_a_survey_link_400(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    expired = client.get(link(settings, incident_id, now=utcnow() - timedelta(days=7, minutes=1)))
    assert expired.status_code == 410 and "links work for 7 days" in expired.get_data(as_text=True)
    survey = satisfaction.sign(settings.secret_key, incident_id, "ann@example.com")
    refused = client.post(f"/ack/{survey}", data={})
    assert refused.status_code == 400 and "not one of ours" in refused.get_data(as_text=True)
    assert status(db, incident_id) == "open"


def test_a_hostile_title_is_shown_as_text(
    client: FlaskClient, settings: Settings, intake: Intake, make_user: Callable[..., Login]
) -> None:
    make_user("ann@example.com")
    outcome = intake.record(ALERT, InboundEvent(source="generic", title=HOSTILE, dedup_key="x"))
    assert outcome.incident_id is not None
    html = client.get(link(settings, outcome.incident_id)).get_data(as_text=True)
    assert HOSTILE not in html and "&lt;script&gt;alert(&#34;ack&#34;)&lt;/script&gt;" in html
