"""`/api/v1/oncall.ics`: the rota as a calendar feed people subscribe to, read back by a real iCalendar parser."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest
from flask.testing import FlaskClient

from hub import accounts, groups, oncall
from hub.db import Database
from hub.models import utcnow
from tests.docs import fenced


@pytest.fixture
def dba(db: Database) -> None:
    """Daily shifts at 09:00 UTC, ann and bob in turn, ann first from the latest 09:00."""
    with db.transaction() as s:
        groups.save_group(s, "dba", ["ann@example.com", "bob@example.com"])
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff="09:00", now=utcnow())


def events(client: FlaskClient, token: str, query: str = "") -> list[icalendar.Event]:
    """The feed as a calendar app fetches it: the token in the URL, no headers."""
    answer = client.get(f"/api/v1/oncall.ics?token={token}{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return list(icalendar.Calendar.from_ical(answer.get_data(as_text=True)).walk("VEVENT"))


def test_a_calendar_app_subscribes_with_the_token_in_the_url_and_sees_the_shifts_ahead(
    client: FlaskClient, api_token: str, dba: None
) -> None:
    found = events(client, api_token, "&days=14")
    now = utcnow()
    current = [e for e in found if e.decoded("DTSTART") <= now < e.decoded("DTEND")]
    assert [str(e["SUMMARY"]) for e in current] == ["On call: dba (ann@example.com)"]
    assert max(e.decoded("DTEND") for e in found) >= now + timedelta(days=13)
    assert min(e.decoded("DTSTART") for e in found) <= now - timedelta(days=7)  # last week stays visible
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") <= timedelta(days=1) for e in found)


def test_each_shift_keeps_its_uid_from_one_refresh_to_the_next(client: FlaskClient, api_token: str, dba: None) -> None:
    first = {str(e["UID"]) for e in events(client, api_token)}
    second = {str(e["UID"]) for e in events(client, api_token)}
    assert first == second and len(first) > 60


def test_who_narrows_the_feed_to_one_persons_shifts_overrides_included(
    client: FlaskClient, db: Database, api_token: str, dba: None
) -> None:
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0)  # iCalendar times are whole seconds
    with db.transaction() as s:
        oncall.add_override(s, "dba", "cy@example.com", starts, starts + timedelta(hours=6), by="test", now=utcnow())
    mine = events(client, api_token, "&who=Cy@Example.com")
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in mine] == [(starts, starts + timedelta(hours=6))]
    assert "covering, override 1" in str(mine[0]["DESCRIPTION"])
    assert {str(e["SUMMARY"]) for e in events(client, api_token, "&who=ann@example.com")} == {
        "On call: dba (ann@example.com)"
    }


def test_a_group_without_a_rotation_is_404_and_days_out_of_range_400(
    client: FlaskClient, api_token: str, dba: None
) -> None:
    missing = client.get(f"/api/v1/oncall.ics?token={api_token}&group=nope")
    assert missing.status_code == 404 and "no on-call rotation" in missing.json["error"]  # type: ignore[index]
    too_far = client.get(f"/api/v1/oncall.ics?token={api_token}&days=86")
    assert too_far.status_code == 400 and "from 1 to 85" in too_far.json["error"]  # type: ignore[index]


def test_a_wrong_token_in_the_url_is_401_and_the_bearer_header_works_too(
    client: FlaskClient, api_token: str, dba: None
) -> None:
    assert client.get("/api/v1/oncall.ics?token=sbt_wrong").status_code == 401
    by_header = client.get("/api/v1/oncall.ics", headers={"Authorization": f"Bearer {api_token}"})
    assert by_header.status_code == 200 and by_header.get_data(as_text=True).startswith("BEGIN:VCALENDAR\r\n")


def test_other_api_routes_do_not_take_a_token_in_the_url(client: FlaskClient, api_token: str) -> None:
    assert client.get(f"/api/v1/incidents?token={api_token}").status_code == 401


def test_the_documented_subscription_url_works_with_a_real_token(client: FlaskClient, db: Database, dba: None) -> None:
    [url] = [block.strip() for block in fenced("docs/notifications.md", "Shifts in your calendar", "text")]
    with db.transaction() as s:
        token = accounts.create_token(s, name="calendar", role="viewer")
    path = url.removeprefix("http://127.0.0.1:8000").replace("sbt_...", token)
    answer = client.get(path)
    assert answer.status_code == 200
    summaries = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(answer.get_data(as_text=True)).walk("VEVENT")}
    assert summaries == {"On call: dba (ann@example.com)"}
