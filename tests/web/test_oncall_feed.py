"""The rota as calendar feeds, read back by a real iCalendar parser: each person's own (`/oncall/calendar/<token>.ics`,
no login) and the API's (`/api/v1/oncall.ics`, a token)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
from flask.testing import FlaskClient

from hub import accounts, groups, oncall, satisfaction
from hub.config import Settings
from hub.db import Database
from hub.models import utcnow
from tests.docs import fenced
from tests.staff import agents
from tests.web.helpers import Login, csrf_token, log_in


@pytest.fixture
def dba(db: Database, make_user: Callable[..., Login]) -> dict[str, Login]:
    """Daily shifts at 09:00 UTC, ann and bob (agents who log in) in turn, ann first from the latest 09:00."""
    people = {email: make_user(email) for email in ("ann@example.com", "bob@example.com")}
    with db.transaction() as s:
        groups.save_group(s, "dba", list(people))
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff="09:00", now=utcnow())
    return people


def events(client: FlaskClient, token: str, query: str = "") -> list[icalendar.Event]:
    """The API's feed, as a script fetches it."""
    answer = client.get(f"/api/v1/oncall.ics?{query.lstrip('&')}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return list(icalendar.Calendar.from_ical(answer.get_data(as_text=True)).walk("VEVENT"))


def test_the_api_feed_has_every_shift_from_a_week_back_to_the_days_ahead(
    client: FlaskClient, api_token: str, dba: dict[str, Login]
) -> None:
    found = events(client, api_token, "&days=14")
    now = utcnow()
    current = [e for e in found if e.decoded("DTSTART") <= now < e.decoded("DTEND")]
    assert [str(e["SUMMARY"]) for e in current] == ["On call: dba (ann@example.com)"]
    assert max(e.decoded("DTEND") for e in found) >= now + timedelta(days=13)
    assert min(e.decoded("DTSTART") for e in found) <= now - timedelta(days=7)  # last week stays visible
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") <= timedelta(days=1) for e in found)


def test_each_shift_keeps_its_uid_from_one_refresh_to_the_next(
    client: FlaskClient, api_token: str, dba: dict[str, Login]
) -> None:
    first = {str(e["UID"]) for e in events(client, api_token)}
    second = {str(e["UID"]) for e in events(client, api_token)}
    assert first == second and len(first) > 60


def test_who_narrows_the_feed_to_one_persons_shifts_overrides_included(
    client: FlaskClient, db: Database, api_token: str, dba: dict[str, Login]
) -> None:
    starts = (utcnow() + timedelta(days=3)).replace(microsecond=0)  # iCalendar times are whole seconds
    with db.transaction() as s:
        agents(s, "cy@example.com")
        oncall.add_override(s, "dba", "cy@example.com", starts, starts + timedelta(hours=6), by="test", now=utcnow())
    mine = events(client, api_token, "&who=Cy@Example.com")
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in mine] == [(starts, starts + timedelta(hours=6))]
    assert "covering, override 1" in str(mine[0]["DESCRIPTION"])
    assert {str(e["SUMMARY"]) for e in events(client, api_token, "&who=ann@example.com")} == {
        "On call: dba (ann@example.com)"
    }


def test_a_group_without_a_rotation_is_404_and_days_out_of_range_400(
    client: FlaskClient, api_token: str, dba: dict[str, Login]
) -> None:
    headers = {"Authorization": f"Bearer {api_token}"}
    missing = client.get("/api/v1/oncall.ics?group=nope", headers=headers)
    assert missing.status_code == 404 and "no on-call rotation" in missing.json["error"]  # type: ignore[index]
    too_far = client.get("/api/v1/oncall.ics?days=86", headers=headers)
    assert too_far.status_code == 400 and "from 1 to 85" in too_far.json["error"]  # type: ignore[index]


def test_the_api_feed_needs_a_token_in_the_header(client: FlaskClient, api_token: str, dba: dict[str, Login]) -> None:
    assert client.get(f"/api/v1/oncall.ics?token={api_token}").status_code == 401


# -- a person's own feed ----------------------------------------------------------------------------------------


def my_feed(client: FlaskClient, login: Login) -> str:
    """The feed URL the On call page gives the logged-in person, as a path."""
    log_in(client, login)
    page = client.get("/oncall").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    [url] = re.findall(r'<code class="feed-url">([^<]+)</code>', page)
    return urlsplit(url).path


def test_a_calendar_app_fetches_a_persons_own_shifts_from_their_link_without_logging_in(
    client: FlaskClient, dba: dict[str, Login]
) -> None:
    path = my_feed(client, dba["bob@example.com"])
    answer = client.get(path)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    found = icalendar.Calendar.from_ical(answer.get_data(as_text=True))
    assert str(found["X-WR-CALNAME"]) == "On call: bob@example.com"
    assert {str(e["SUMMARY"]) for e in found.walk("VEVENT")} == {"On call: dba (bob@example.com)"}


def test_a_new_password_or_a_deactivated_account_ends_the_link(
    client: FlaskClient, db: Database, dba: dict[str, Login], make_user: Callable[..., Login]
) -> None:
    make_user("root@example.com", role="admin")
    path = my_feed(client, dba["bob@example.com"])
    with db.transaction() as s:
        accounts.set_password(s, "bob@example.com", "a brand new password")
    ended = client.get(path)
    assert ended.status_code == 410 and "a new password ends it" in ended.json["error"]  # type: ignore[index]
    fresh = my_feed(client, Login("bob@example.com", "a brand new password"))
    assert client.get(fresh).status_code == 200
    with db.transaction() as s:
        accounts.change_user(s, "bob@example.com", active=False)
    assert client.get(fresh).status_code == 410


def test_a_link_that_was_cut_or_made_elsewhere_is_400(
    client: FlaskClient, settings: Settings, dba: dict[str, Login]
) -> None:
    path = my_feed(client, dba["bob@example.com"])
    assert client.get(path.replace(".ics", "x.ics")).status_code == 400
    survey = satisfaction.sign(settings.secret_key, 1, "bob@example.com")
    assert client.get(f"/oncall/calendar/{survey}.ics").status_code == 400


def test_the_documented_link_has_the_shape_the_page_gives(client: FlaskClient, dba: dict[str, Login]) -> None:
    [documented] = [block.strip() for block in fenced("docs/notifications.md", "Shifts in your calendar", "text")]
    given = my_feed(client, dba["ann@example.com"])
    shape = r"/oncall/calendar/[\w-]+\.[\w-]+\.ics"
    assert re.fullmatch(shape, urlsplit(documented).path) and re.fullmatch(shape, given)
    assert client.get(given).status_code == 200 and client.get(urlsplit(documented).path).status_code == 400
