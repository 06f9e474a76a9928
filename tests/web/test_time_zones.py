"""Times in the web UI in each person's own zone: chosen on /account, shown on every page, written in CSV downloads,
read from the forms, stored in UTC. The installation here is in New York, so its zone, a person's and UTC all differ."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts, groups, knowledge, my_requests
from hub.audit import recent
from hub.config import Settings
from hub.db import Database
from hub.models import Change, Incident, User
from tests.conftest import make_settings
from tests.staff import agents
from tests.web.helpers import Login, count, csrf_token, log_in

#: A winter morning: Berlin is an hour ahead of UTC (CET), New York five hours behind (EST).
WINTER = datetime(2026, 11, 27, 9, 14, tzinfo=UTC)

Person = Callable[[str, str | None], FlaskClient]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", timezone="America/New_York")


@pytest.fixture
def person(app: Flask, make_user: Callable[..., Login], db: Database) -> Person:
    """A browser logged in as an agent who chose `zone` on /account (None: no choice)."""

    def log_in_as(email: str, zone: str | None) -> FlaskClient:
        login = make_user(email=email, role="agent")
        with db.transaction() as session:
            accounts.set_timezone(session, email, zone)
        browser = app.test_client()
        assert log_in(browser, login).status_code == 302
        return browser

    return log_in_as


@pytest.fixture
def incident_seen_in_winter(raise_incident: Callable[..., str], db: Database) -> str:
    ref = raise_incident()
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        incident.first_seen = incident.last_seen = WINTER
    return ref


def page(browser: FlaskClient, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def choose(browser: FlaskClient, zone: str) -> tuple[int, str]:
    token = csrf_token(page(browser, "/account"))
    response = browser.post("/account/timezone", data={"csrf_token": token, "timezone": zone})
    return response.status_code, response.get_data(as_text=True)


def request_change(browser: FlaskClient, start: str, end: str) -> tuple[int, str]:
    token = csrf_token(page(browser, "/changes"))
    response = browser.post("/changes", data={"csrf_token": token, "title": "Upgrade Postfix", "type": "standard",
                                              "risk": "low", "planned_start": start, "planned_end": end})  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def test_a_person_in_berlin_sees_an_incidents_times_an_hour_after_utc_in_winter(
    person: Person, incident_seen_in_winter: str
) -> None:
    shown = page(person("ann@example.com", "Europe/Berlin"), f"/incidents/{incident_seen_in_winter}")
    assert '<span title="2026-11-27 09:14 UTC">2026-11-27 10:14 CET</span>' in shown  # UTC kept for the reader


def test_someone_who_chose_no_zone_sees_the_installations(person: Person, incident_seen_in_winter: str) -> None:
    shown = page(person("bob@example.com", None), f"/incidents/{incident_seen_in_winter}")
    assert "2026-11-27 04:14 EST" in shown and "CET" not in shown


def test_someone_who_chose_utc_sees_utc_times_as_before(person: Person, incident_seen_in_winter: str) -> None:
    shown = page(person("cy@example.com", "UTC"), f"/incidents/{incident_seen_in_winter}")
    assert "2026-11-27 09:14 UTC" in shown and "EST" not in shown and 'title="2026-11-27 09:14 UTC"' not in shown


def test_a_public_page_shows_the_installations_zone_to_everyone(person: Person, db: Database) -> None:
    with db.transaction() as session:
        article = knowledge.add(session, title="VPN", body="Reconnect.", published=True, by="ann@example.com")
        article.updated_at = WINTER
    logged_in = page(person("ann@example.com", "Europe/Berlin"), f"/help/{article.id}")
    assert "2026-11-27 04:14 EST" in logged_in and "CET" not in logged_in


def test_a_requesters_list_shows_the_installations_zone_even_to_an_agent_in_another(
    person: Person, db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        session.add(Incident(title="VPN", requester="ann@example.org", source="email", first_seen=WINTER,
                             last_seen=WINTER))  # fmt: skip
    link = f"/help/my-requests/{my_requests.LINKS.sign(settings.secret_key, 0, 'ann@example.org')}"
    logged_in = page(person("bob@example.com", "Europe/Berlin"), link)
    assert "2026-11-27 04:14 EST" in logged_in and "CET" not in logged_in


def test_the_dashboard_says_which_zone_its_times_are_in(person: Person) -> None:
    assert "times in Europe/Berlin" in page(person("ann@example.com", "Europe/Berlin"), "/dashboard")
    assert "times in America/New_York" in page(person("bob@example.com", None), "/dashboard")


def test_you_choose_your_zone_on_your_account_page_and_it_is_audited(person: Person, db: Database) -> None:
    browser = person("ann@example.com", None)
    assert '<option selected value="">Installation default (America/New_York)</option>' in page(browser, "/account")
    status, _ = choose(browser, "Europe/Berlin")
    assert status == 303 and "Times are now shown in Europe/Berlin." in page(browser, "/account")
    assert '<option selected value="Europe/Berlin">' in page(browser, "/account")
    with db.read() as session:
        entry = recent(session, action="user.timezone")[0]
        assert (entry.actor, entry.detail) == ("ann@example.com", {"timezone": "Europe/Berlin"})


def test_the_empty_choice_goes_back_to_the_installations_zone(person: Person, db: Database) -> None:
    browser = person("ann@example.com", "Europe/Berlin")
    status, _ = choose(browser, "")
    assert status == 303 and "times in America/New_York" in page(browser, "/dashboard")
    with db.read() as session:
        assert session.scalars(select(User.timezone).where(User.email == "ann@example.com")).one() is None


def test_an_unknown_zone_is_refused_with_a_clear_message(person: Person, db: Database) -> None:
    browser = person("ann@example.com", "Europe/Berlin")
    status, answer = choose(browser, "Mars/Olympus")
    assert status == 400 and "&#39;Mars/Olympus&#39; is not a time zone; choose one from the list" in answer
    assert "times in Europe/Berlin" in page(browser, "/dashboard")


def test_the_change_form_names_the_zone_its_times_are_read_in(person: Person) -> None:
    form = page(person("ann@example.com", "Europe/Berlin"), "/changes")
    assert "Planned start (Europe/Berlin)" in form and "Planned end (Europe/Berlin)" in form


def test_a_change_planned_at_ten_in_berlin_is_stored_at_nine_utc_and_shown_back_at_ten(
    person: Person, db: Database
) -> None:
    berlin = person("ann@example.com", "Europe/Berlin")
    status, _ = request_change(berlin, "2030-01-15T10:00", "2030-01-15T11:00")
    assert status == 302
    with db.read() as session:
        row = session.scalars(select(Change)).one()
        assert (row.planned_start, row.planned_end) == (datetime(2030, 1, 15, 9, tzinfo=UTC),
                                                        datetime(2030, 1, 15, 10, tzinfo=UTC))  # fmt: skip
    assert "2030-01-15 10:00 CET" in page(berlin, "/changes/CHG-1")
    assert "2030-01-15 09:00 UTC" in page(person("cy@example.com", "UTC"), "/changes/CHG-1")


def test_a_planned_time_the_clocks_skip_is_refused_and_nothing_is_stored(person: Person, db: Database) -> None:
    # 2030-03-31: Berlin's clocks go from 02:00 straight to 03:00.
    status, answer = request_change(person("ann@example.com", "Europe/Berlin"), "2030-03-31T02:30", "")
    assert status == 400 and "2030-03-31 02:30 does not exist in Europe/Berlin" in answer
    assert count(db, Change) == 0


def test_a_change_late_in_the_utc_day_is_on_the_next_day_of_a_berlin_calendar(person: Person) -> None:
    berlin = person("ann@example.com", "Europe/Berlin")
    assert request_change(berlin, "2030-01-16T00:30", "2030-01-16T01:00")[0] == 302  # 23:30 UTC on the 15th
    calendar = page(berlin, "/changes/calendar?view=week&at=2030-01-14")
    days = calendar.split('<div class="day-number">')
    assert "CHG-1" in next(d for d in days if d.startswith("16<")) and all("CHG-1" not in d for d in days[1:3])


def test_a_weekly_silence_window_is_offered_in_the_viewers_zone(person: Person) -> None:
    form = page(person("ann@example.com", "Europe/Berlin"), "/silences")
    assert re.search(r'<input id="tz"[^>]* value="Europe/Berlin">', form)


def test_a_new_rotation_is_offered_in_the_viewers_zone(
    app: Flask, make_user: Callable[..., Login], db: Database
) -> None:
    admin = make_user(email="root@example.com", role="admin")
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "ann@example.com"))
        accounts.set_timezone(session, admin.email, "Europe/Berlin")
    browser = app.test_client()
    log_in(browser, admin)
    assert re.search(r'<input id="tz"[^>]* value="Europe/Berlin">', page(browser, "/oncall"))


def exported(browser: FlaskClient, query: str = "") -> tuple[str, list[dict[str, str]]]:
    """The name `/incidents.csv` downloads as, and its rows."""
    response = browser.get(f"/incidents.csv{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    name = re.fullmatch(r'attachment; filename="(.+)"', response.headers["Content-Disposition"])
    assert name is not None
    return name.group(1), list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_a_person_in_berlin_exports_times_at_an_hour_ahead_of_utc_with_the_offset(
    person: Person, incident_seen_in_winter: str
) -> None:
    _, (row,) = exported(person("ann@example.com", "Europe/Berlin"))
    assert (row["first_seen"], row["last_seen"]) == ("2026-11-27T10:14:00+01:00", "2026-11-27T10:14:00+01:00")
    assert datetime.fromisoformat(row["first_seen"]) == WINTER  # the same instant, for a program reading it


def test_someone_who_chose_no_zone_exports_in_the_installations(person: Person, incident_seen_in_winter: str) -> None:
    _, (row,) = exported(person("bob@example.com", None))
    assert row["first_seen"] == "2026-11-27T04:14:00-05:00"


def test_an_export_names_its_zone_in_the_file_name(person: Person, incident_seen_in_winter: str) -> None:
    name, _ = exported(person("ann@example.com", "Europe/Berlin"))
    assert re.fullmatch(r"incidents-\d{4}-\d{2}-\d{2}-\d{4}-Europe-Berlin\.csv", name), name


def test_tz_utc_exports_utc_times_for_scripts(person: Person, incident_seen_in_winter: str) -> None:
    name, (row,) = exported(person("ann@example.com", "Europe/Berlin"), "?tz=UTC")
    assert row["first_seen"] == "2026-11-27T09:14:00+00:00" and name.endswith("-UTC.csv")


def test_tz_takes_any_iana_zone_beside_the_lists_filters(person: Person, incident_seen_in_winter: str) -> None:
    _, (row,) = exported(person("ann@example.com", "Europe/Berlin"), "?status=open&tz=Asia/Tokyo")
    assert row["first_seen"] == "2026-11-27T18:14:00+09:00"


def test_a_tz_that_names_no_zone_is_a_400_saying_what_to_write(person: Person) -> None:
    response = person("ann@example.com", "Europe/Berlin").get("/incidents.csv?tz=Mars/Olympus")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "tz: &#39;Mars/Olympus&#39; is not an IANA time zone" in text
    assert "write one like Europe/Berlin" in text and "leave it out for your own zone (Europe/Berlin)" in text


def test_a_time_not_reached_yet_is_an_empty_cell(person: Person, incident_seen_in_winter: str) -> None:
    _, (row,) = exported(person("ann@example.com", "Europe/Berlin"))
    assert (row["acknowledged_at"], row["resolved_at"]) == ("", "")


def test_the_repeated_hour_when_berlins_clocks_go_back_is_told_apart_by_its_offsets(
    person: Person, raise_incident: Callable[..., str], db: Database
) -> None:
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 CEST becomes 02:00 CET
    raise_incident()
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        incident.first_seen, incident.last_seen = change - timedelta(minutes=30), change + timedelta(minutes=30)
    _, (row,) = exported(person("ann@example.com", "Europe/Berlin"))
    assert (row["first_seen"], row["last_seen"]) == ("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00")
    assert datetime.fromisoformat(row["last_seen"]) - datetime.fromisoformat(row["first_seen"]) == timedelta(hours=1)
