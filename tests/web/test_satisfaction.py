"""The requester's "How did we do?" page: reached from the resolution mail's links, without logging in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import satisfaction, triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import OutboxMessage, SatisfactionAnswer, TimelineEntry
from tests.conftest import make_settings
from tests.web.helpers import csrf_token
from web import create_app
from web.ratelimit import SURVEY_ANSWERS

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")


@pytest.fixture
def incident_id(intake: Intake) -> int:
    event = InboundEvent(source="email", title="Printer is broken", requester="ann@example.org",
                         message_id="<m1@example.org>")  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


@pytest.fixture
def links(db: Database, settings: Settings, incident_id: int) -> dict[str, str]:
    """rating -> the path of its link in the mail the requester got when an agent resolved the incident."""
    mail = Mail(settings.desk_address, settings.base_url, secret_key=settings.secret_key)
    triage.change_status(db, incident_id, "resolve", Actor("agent@example.com"), mail)
    with db.read() as session:
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resolved")).one()
    assert sent.facts is not None
    return {c["rating"]: _path(c["url"]) for c in sent.facts["survey"]}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _form_path(link: str) -> str:
    return link.partition("?")[0]


def answers(db: Database) -> list[SatisfactionAnswer]:
    with db.read() as session:
        return list(session.scalars(select(SatisfactionAnswer)))


def send(client: FlaskClient, link: str, rating: str, comment: str = "") -> tuple[int, str]:
    """Open the link, then send its form as a browser would; (status, page after any redirect)."""
    page = client.get(link).get_data(as_text=True)
    response = client.post(_form_path(link), data={"csrf_token": csrf_token(page), "rating": rating,
                                                   "comment": comment}, follow_redirects=True)  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def checked_rating(html: str) -> list[str]:
    return re.findall(r'value="(\w+)" required\s+checked', html)


def test_following_a_mail_link_shows_its_rating_chosen_and_records_nothing(
    client: FlaskClient, db: Database, links: dict[str, str]
) -> None:
    response = client.get(links["bad"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "How did we do?" in html and "Printer is broken" in html
    assert checked_rating(html) == ["bad"]
    client.get(links["good"])
    assert answers(db) == []


def test_sending_the_form_records_the_answer_and_thanks_the_requester(
    client: FlaskClient, db: Database, links: dict[str, str], incident_id: int
) -> None:
    status, html = send(client, links["good"], "good", "Fixed within the hour, thanks")
    assert status == 200 and "your answer was recorded" in html
    assert checked_rating(html) == ["good"]
    [answer] = answers(db)
    assert (answer.incident_id, answer.rating, answer.comment) == (incident_id, "good", "Fixed within the hour, thanks")


def test_the_page_links_to_the_requesters_own_page_about_the_request(
    client: FlaskClient, links: dict[str, str], incident_id: int
) -> None:
    html = client.get(links["good"]).get_data(as_text=True)
    [path] = re.findall(r'<a href="([^"]+)" id="your-request">', html)
    request_page = client.get(path)
    assert path.startswith("/requests/") and request_page.status_code == 200
    assert f"Your request INC-{incident_id}" in request_page.get_data(as_text=True)


def test_sending_again_changes_the_answer(client: FlaskClient, db: Database, links: dict[str, str]) -> None:
    send(client, links["good"], "good")
    send(client, links["good"], "bad", "It jams again")
    [answer] = answers(db)
    assert (answer.rating, answer.comment) == ("bad", "It jams again")
    with db.read() as session:
        kinds = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "satisfaction")).all()
    assert kinds == ["ann@example.org rated the resolution Good", "ann@example.org changed their rating to Bad"]


def test_a_post_without_the_forms_csrf_token_records_nothing(
    client: FlaskClient, db: Database, links: dict[str, str]
) -> None:
    client.get(links["good"])
    response = client.post(_form_path(links["good"]), data={"rating": "good"})
    assert response.status_code == 400
    assert "Open the link in the email again" in response.get_data(as_text=True)
    assert answers(db) == []


def test_a_post_without_a_rating_records_nothing_and_asks_for_one(
    client: FlaskClient, db: Database, links: dict[str, str]
) -> None:
    status, html = send(client, links["good"], "", "no choice made")
    assert status == 400 and "choose Good or Bad" in html and "no choice made" in html
    assert answers(db) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_link_answers_400_and_says_to_reply_to_the_email(
    client: FlaskClient, db: Database, links: dict[str, str], method: str
) -> None:
    path = _form_path(links["good"])
    forged = path[:-3] + ("xyz" if not path.endswith("xyz") else "abc")
    response = client.open(forged, method=method, data={"rating": "good"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not one of ours" in html and "reply to the email we sent you" in html
    assert answers(db) == []


def test_an_expired_link_answers_410_and_records_nothing(
    client: FlaskClient, db: Database, settings: Settings, incident_id: int
) -> None:
    issued = datetime.now(UTC) - timedelta(days=31)
    token = satisfaction.sign(settings.secret_key, incident_id, "ann@example.org", now=issued)
    assert client.get(f"/satisfaction/{token}?rating=good").status_code == 410
    response = client.post(f"/satisfaction/{token}", data={"rating": "good"})
    assert response.status_code == 410 and "has expired" in response.get_data(as_text=True)
    assert answers(db) == []


def test_a_hostile_comment_is_shown_as_text_wherever_it_appears(
    client: FlaskClient, logged_in: FlaskClient, links: dict[str, str], incident_id: int
) -> None:
    requester = client.application.test_client()  # the requester's own browser, not the agent's
    status, html = send(requester, links["bad"], "bad", HOSTILE)
    assert status == 200
    for page in (html, logged_in.get(f"/incidents/INC-{incident_id}").get_data(as_text=True),
                 logged_in.get("/dashboard").get_data(as_text=True)):  # fmt: skip
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_the_incident_page_shows_the_answer_and_its_timeline_entry(
    client: FlaskClient, logged_in: FlaskClient, links: dict[str, str], incident_id: int
) -> None:
    send(client.application.test_client(), links["good"], "good", "Very quick")
    html = logged_in.get(f"/incidents/INC-{incident_id}").get_data(as_text=True)
    answer = html[html.index('id="satisfaction"') :]
    assert "Good" in answer[:400] and "ann@example.org" in answer[:400] and "Very quick" in answer[:600]
    assert "ann@example.org rated the resolution Good" in html


def test_the_api_incident_carries_the_requesters_answer(
    client: FlaskClient, api_token: str, links: dict[str, str], incident_id: int
) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    assert client.get(f"/api/v1/incidents/INC-{incident_id}", headers=headers).json["satisfaction"] is None  # type: ignore[index]
    send(client, links["bad"], "bad", "Slow")
    found = client.get(f"/api/v1/incidents/INC-{incident_id}", headers=headers).json["satisfaction"]  # type: ignore[index]
    assert (found["rating"], found["comment"]) == ("bad", "Slow")
    assert datetime.fromisoformat(found["answered_at"]) <= datetime.now(UTC)


def test_the_dashboard_shows_csat_of_the_last_thirty_days(
    client: FlaskClient, logged_in: FlaskClient, links: dict[str, str]
) -> None:
    send(client.application.test_client(), links["good"], "good", "Spot on")
    html = logged_in.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="csat">100% good<', html)
    assert re.search(r'id="csat-answers">1 answer<', html)
    assert "Spot on" in html[html.index('id="csat-comments"') :]


def test_answers_past_the_hourly_limit_get_429_and_leave_the_timeline_alone(
    settings: Settings, db: Database, redis_url: str, links: dict[str, str], steady_limit_clock: None
) -> None:
    client = create_app(make_settings(settings.home, redis_url=redis_url), db=db).test_client()
    for turn in range(SURVEY_ANSWERS):
        status, _ = send(client, links["good"], ("good", "bad")[turn % 2])
        assert status == 200
    page = client.get(links["good"]).get_data(as_text=True)
    refused = client.post(_form_path(links["good"]), data={"csrf_token": csrf_token(page), "rating": "good"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "Please wait a little" in html and "Please send it again in" in html
    with db.read() as session:
        entries = session.scalars(select(TimelineEntry.id).where(TimelineEntry.kind == "satisfaction")).all()
    assert len(entries) == SURVEY_ANSWERS and answers(db)[0].rating == "bad"
