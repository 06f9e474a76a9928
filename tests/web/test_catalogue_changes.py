"""Changing the catalogue on /services: admins rename and remove services, change SLA policies, and add, change and
remove business calendars, each audited and refused with the words the CLI uses, beside the field at fault. On
SQLite and PostgreSQL (the changes run in one transaction each, with row locks)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import rulebook
from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy, add_service
from hub.db import Database
from hub.domain import RuleSpec
from hub.models import AuditEntry, Incident
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, csrf_token, log_in
from web.queries import incident_id

H = timedelta(hours=1)
ICAL = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261231\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="root@example.com", role="admin"))
    return client


def post_form(client: FlaskClient, page: str, action: str, **fields: object) -> tuple[int, str]:
    """Post a form from `page` as a browser does (its CSRF token taken from the page); the status and the page
    shown after it, as text."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(action, data={"csrf_token": token, **fields}, follow_redirects=True,
                           content_type="multipart/form-data")  # fmt: skip
    return response.status_code, response.get_data(as_text=True)


def flashes(page: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', page, re.S)]


def errors_beside(page: str, field: str) -> list[str]:
    """The errors shown in the field `field`'s box."""
    box = page[page.index(f'id="{field}"') :]
    return [unescape(m) for m in re.findall(r'<p class="field-error">(.*?)</p>', box[: box.index("</div>")])]


def audited(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def incident(db: Database, ref: str) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id(ref))
        assert found is not None
        return found


def mail_with_its_policy(db: Database) -> None:
    """The service mail, and the SLA policy P1 mail that names it."""
    with db.transaction() as session:
        add_service(session, name="mail")
        add_policy(session, name="P1 mail", priority=1, service="mail", targets=Targets(resolution=4 * H))


# -- renaming and removing services --------------------------------------------------------------------------------


def test_the_edit_page_says_what_a_rename_carries_and_what_still_tests_the_old_label(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        setting = rulebook.add_rule(session, RuleSpec(id=0, name="MX hosts", when={"field": "labels.host",
                                    "op": "starts_with", "value": "mx"}, actions={"service": "mail"}))  # fmt: skip
        testing = rulebook.add_rule(session, RuleSpec(id=0, name="Mail to messaging", when={"field": "service",
                                    "op": "equals", "value": "mail"}, actions={"group": "messaging"}))  # fmt: skip
        rule_ids = setting.id, testing.id
    raise_incident("Mail down", dedup_key="mx1", labels={"service": "mail"})
    page = admin.get("/services/mail/edit").get_data(as_text=True)
    rename = page[page.index('id="rename"') : page.index('id="remove"')]
    assert "takes the new name with it, at once:\n    1 incident, and the rules that set it" in rename
    assert f'<a href="/rules/{rule_ids[0]}/edit">MX hosts</a>' in rename
    still = rename[rename.index('id="still-testing"') :]
    assert f'rules <a href="/rules/{rule_ids[1]}/edit">Mail to messaging</a>' in still


def test_an_admin_renames_a_service_and_its_incidents_and_policies_follow(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    mail_with_its_policy(db)
    ref = raise_incident("Mail down", dedup_key="mx1", severity="critical", labels={"service": "mail"})
    status, page = post_form(admin, "/services/mail/edit", "/services/mail/rename", new_name="email")
    assert status == 200 and flashes(page) == ["Service mail renamed to email; 1 incident, 1 SLA policy follow."]
    assert '<td data-label="Service">email</td>' in page and '<td data-label="Service">mail</td>' not in page
    assert '<a href="/incidents?service=email&amp;status=open">1 open</a>' in page
    assert "P1 mail (P1)" in page  # still the policy naming it
    assert incident(db, ref).service == "email"
    assert ("root@example.com", "service.rename", "mail") in audited(db)


def test_a_rename_to_a_taken_name_is_refused_beside_the_new_name(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_service(session, name="email")
    status, page = post_form(admin, "/services/mail/edit", "/services/mail/rename", new_name=" email ")
    assert status == 400
    assert errors_beside(page, "new_name") == [
        "There is already a service named 'email'; two services are not made one by renaming: rename or remove "
        "the other one first."
    ]
    assert audited(db) == []


def test_renaming_needs_the_pages_token(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
    assert admin.post("/services/mail/rename", data={"new_name": "email"}).status_code == 400
    assert "Edit mail" in admin.get("/services/mail/edit").get_data(as_text=True)


def test_removing_a_service_in_use_is_refused_and_its_page_links_what_names_it(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    mail_with_its_policy(db)
    ref = raise_incident("Mail down", dedup_key="mx1", labels={"service": "mail"})
    status, page = post_form(admin, "/services/mail/edit", "/services/mail/remove")
    assert status == 200 and flashes(page) == [
        f"Nothing changed: 1 unresolved incident ({ref}), SLA policy 'P1 mail' still name service 'mail': resolve "
        "the incidents or put them on another service, give the policies another service or remove them, then "
        "remove it."
    ]
    remove = page[page.index('id="remove"') :]
    assert '<a href="/incidents?service=mail&amp;status=open">1 open</a>' in remove
    assert f'<a href="/incidents/{ref}">{ref}</a>' in remove
    assert '<a href="/services/policies/P1%20mail/edit">P1 mail</a>' in remove
    assert "Remove mail" not in remove and audited(db) == []


def test_an_admin_removes_a_service_nothing_live_names(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="fax")
    status, page = post_form(admin, "/services/fax/edit", "/services/fax/remove")
    assert status == 200 and flashes(page) == ["Service fax removed."]
    assert 'data-label="Service">fax<' not in page
    assert audited(db) == [("root@example.com", "service.remove", "fax")]


def test_removing_a_service_that_is_gone_is_not_found(admin: FlaskClient) -> None:
    status, page = post_form(admin, "/services", "/services/fax/remove")
    assert status == 404 and "There is no service &#39;fax&#39;" in page


# -- changing policies ---------------------------------------------------------------------------------------------


def test_the_policy_form_starts_from_its_stored_terms(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_service(session, name="mail")
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00")
        add_policy(session, name="P2 mail", priority=2, service="mail", calendar="office", warn_at=0.8, kind="request",
                   targets=Targets(first_response=H / 2, next_update=24 * H, resolution=14 * 24 * H))  # fmt: skip
    page = admin.get("/services/policies/P2 mail/edit").get_data(as_text=True)
    for field, value in (("name", "P2 mail"), ("first_response", "30m"), ("next_update", "1d"), ("resolution", "2w"),
                         ("warn_at", "0.8")):  # fmt: skip
        assert re.search(rf'id="{field}"[^>]* value="{value}"', page), field
    for select_id, chosen in (("priority", "P2"), ("calendar", "office"), ("service", "mail"), ("kind", "request")):
        assert re.search(rf'<select[^>]* id="{select_id}".*?<option selected value="{chosen}">', page, re.S), select_id


def test_an_admin_changes_a_policy_and_the_incidents_it_runs_are_replanned(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
    ref = raise_incident("Disk full", dedup_key="disk", severity="critical")
    status, page = post_form(admin, "/services/policies/P1/edit", "/services/policies/P1/edit", name="P1",
                             priority="P1", resolution="8h", warn_at="0.75")  # fmt: skip
    assert status == 200 and flashes(page) == [
        "SLA policy P1 saved; 1 unresolved incident(s) re-planned, as their timelines say."
    ]
    replanned = incident(db, ref)
    assert replanned.sla_due_at == replanned.first_seen + 8 * H
    assert ("root@example.com", "sla.change", "P1") in audited(db)


def test_saving_a_policy_as_it_is_says_nothing_changed(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
    status, page = post_form(admin, "/services/policies/P1/edit", "/services/policies/P1/edit", name="P1",
                             priority="P1", resolution="4h", warn_at="0.75")  # fmt: skip
    assert status == 200 and flashes(page) == ["Nothing changed on SLA policy P1."] and audited(db) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"resolution": "4 hours"}, "resolution", "'4 hours' is not a duration; write a number and a unit"),
        ({"name": "P2"}, "name", "There is already a policy named 'P2'; `switchboard sla list` shows them."),
    ],
)
def test_a_policy_change_the_cli_would_refuse_is_refused_beside_its_field(
    admin: FlaskClient, db: Database, fields: dict[str, str], field: str, message: str
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
        add_policy(session, name="P2", priority=2, targets=Targets(resolution=8 * H))
    typed = {"name": "P1", "priority": "P1", "resolution": "4h", "warn_at": "0.75", **fields}
    status, page = post_form(admin, "/services/policies/P1/edit", "/services/policies/P1/edit", **typed)
    assert status == 400 and any(message in error for error in errors_beside(page, field)), page
    assert audited(db) == []


# -- calendars -----------------------------------------------------------------------------------------------------


def test_an_admin_adds_a_calendar_with_closed_days_typed_and_from_an_ical_file(
    admin: FlaskClient, db: Database
) -> None:
    status, page = post_form(admin, "/services", "/services/calendars", **{
        "calendar-name": "office", "calendar-tz": "Europe/Berlin", "calendar-hours": "mon-fri 09:00-17:00",
        "calendar-holidays": "DE-BY", "calendar-dates": "2026-12-24\r\n2026-12-28",
        "calendar-ical": (io.BytesIO(ICAL), "closed.ics"),
    })  # fmt: skip
    line = "office: Europe/Berlin, mon-fri 09:00-17:00; holidays DE-BY; 3 more holiday date(s)"
    assert status == 200 and flashes(page) == [f"Calendar {line}."]
    assert f'<td data-label="Zone, hours and holidays">{line}</td>' in page
    assert audited(db) == [("root@example.com", "calendar.add", "office")]


def test_the_calendar_form_asks_for_public_holidays_and_points_at_the_shells_help(admin: FlaskClient) -> None:
    page = admin.get("/services").get_data(as_text=True)
    assert '<label for="calendar-holidays">Public holidays (optional)</label>' in page
    assert "<code>switchboard calendar add --help</code> explains each option." in page
    assert "(docs/sla.md)" not in page  # the app does not serve the docs


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"calendar-hours": "weekdays 9 to 5"}, "calendar-hours", "days are mon, tue, wed"),
        ({"calendar-holidays": "XX"}, "calendar-holidays", "knows no country 'XX'"),
        ({"calendar-dates": "24.12.2026"}, "calendar-dates", "'24.12.2026' is not a date"),
        ({"calendar-ical": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}, "calendar-ical",
         "The iCalendar file holds no all-day events"),
    ],
)  # fmt: skip
def test_a_calendar_the_cli_would_refuse_is_refused_beside_its_field(
    admin: FlaskClient, db: Database, fields: dict[str, object], field: str, message: str
) -> None:
    typed = {"calendar-name": "office", "calendar-tz": "UTC", "calendar-hours": "24x7", **fields}
    files = {name: (io.BytesIO(value), "closed.ics") for name, value in typed.items() if isinstance(value, bytes)}
    status, page = post_form(admin, "/services", "/services/calendars", **{**typed, **files})
    assert status == 400 and any(message in error for error in errors_beside(page, field)), page
    assert audited(db) == []


def test_the_calendar_form_starts_from_its_stored_terms(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00; sat 10:00-14:00",
                     country="DE", subdivision="BY", dates=frozenset())  # fmt: skip
    page = admin.get("/services/calendars/office/edit").get_data(as_text=True)
    assert re.search(r'id="hours"[^>]* value="mon-fri 09:00-17:00; sat 10:00-14:00"', page)
    assert re.search(r'id="holidays"[^>]* value="DE-BY"', page)
    assert '<option selected value="Europe/Berlin">' in page


def test_an_admin_changes_a_calendars_hours_and_the_clocks_on_it_are_replanned(
    admin: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="UTC", hours="24x7")
        add_policy(session, name="P1", priority=1, calendar="office", targets=Targets(resolution=4 * H))
    ref = raise_incident("Disk full", dedup_key="disk", severity="critical")
    before = incident(db, ref).sla_due_at
    status, page = post_form(admin, "/services/calendars/office/edit", "/services/calendars/office/edit",
                             name="office", tz="UTC", hours="sat-sun 00:00-01:00", dates="")  # fmt: skip
    assert status == 200 and flashes(page) == [
        "Calendar office saved; 1 unresolved incident(s) re-planned, as their timelines say."
    ]
    assert incident(db, ref).sla_due_at != before
    assert ("root@example.com", "calendar.change", "office") in audited(db)


def test_a_calendar_a_policy_runs_on_offers_no_removal_and_is_not_removed(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="UTC", hours="24x7")
        add_policy(session, name="P3", priority=3, calendar="office", targets=Targets(resolution=72 * H))
    page = admin.get("/services/calendars/office/edit").get_data(as_text=True)
    assert '<a href="/services/policies/P3/edit">P3</a>' in page and "Remove office" not in page
    status, after = post_form(admin, "/services/calendars/office/edit", "/services/calendars/office/remove")
    assert status == 200 and flashes(after) == [
        "Nothing changed: the clocks of SLA policy 'P3' run on calendar 'office': give it another calendar or "
        "remove it first."
    ]


def test_an_unused_calendar_is_removed(admin: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="UTC", hours="24x7")
    status, page = post_form(admin, "/services/calendars/office/edit", "/services/calendars/office/remove")
    assert status == 200 and flashes(page) == ["Calendar office removed."] and 'id="calendar-list"' not in page
    assert audited(db) == [("root@example.com", "calendar.remove", "office")]


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_read_the_calendars_but_are_offered_no_changes(
    client: FlaskClient, make_user: Callable[..., Login], db: Database, role: str
) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", tz="UTC", hours="24x7")
    log_in(client, make_user(email=f"{role}@example.com", role=role))
    page = client.get("/services").get_data(as_text=True)
    assert '<td data-label="Calendar">office</td>' in page
    assert "Add a calendar" not in page and "/services/calendars/office/edit" not in page
    assert client.get("/services/calendars/office/edit").status_code == 403
