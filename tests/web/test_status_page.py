"""`/status` and `/status.json`: the public status page, and the note agents write for it on an incident's page.

On SQLite and on PostgreSQL: the page's queries use partial indexes and booleans, which the two spell differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import catalogue
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import Change, StatusSubscriber, utcnow
from tests.docs import fenced, run_as_printed
from tests.web.both_databases import runner_on_the_same_database, settings_on_either_database  # noqa: F401
from tests.web.helpers import Login, csrf_token, log_in

HOSTILE = '<script>alert("status")</script>'


@pytest.fixture
def mail_public(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
        catalogue.add_service(session, name="payroll")


def write_note(client: FlaskClient, ref: str, text: str) -> int:
    page = client.get(f"/incidents/{ref}").get_data(as_text=True)
    return client.post(f"/incidents/{ref}/public_note", data={"csrf_token": csrf_token(page), "public_note": text}
                       ).status_code  # fmt: skip


def test_without_a_public_service_every_form_answers_404(client: FlaskClient) -> None:
    page = client.get("/status")
    assert page.status_code == 404 and "switchboard service set NAME --public" in page.get_data(as_text=True)
    assert client.get("/status.json").status_code == 404 and client.get("/status.atom").status_code == 404


def test_anyone_sees_the_public_services_and_an_outage_without_logging_in(
    client: FlaskClient, mail_public: None, raise_incident: Callable[..., str]
) -> None:
    raise_incident("mx1: /var full, queue at 40k", severity="critical", labels={"service": "mail"})
    answer = client.get("/status")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=30"
    assert "Email for everyone" in html and "payroll" not in html
    assert "Some systems are down" in html and "Major outage" in html
    assert "100.00% uptime over 30 days" in html  # down for the seconds since the alert
    assert "mx1" not in html  # titles stay inside
    found = client.get("/status.json").json
    assert found["state"] == "major_outage" and [s["name"] for s in found["services"]] == ["mail"]  # type: ignore[index]


def test_an_agent_writes_the_public_note_on_the_incident_page_and_it_shows_as_text(
    client: FlaskClient, mail_public: None, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    ref = raise_incident("mx1 slow", labels={"service": "mail"})
    log_in(client, make_user())
    assert write_note(client, ref, f"Mail is slow. {HOSTILE}") == 303
    detail = client.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "Public status note set by agent@example.com" in detail and HOSTILE not in detail
    client.post("/logout", data={"csrf_token": csrf_token(detail)})
    html = client.get("/status").get_data(as_text=True)
    assert "Degraded performance" in html and "Mail is slow." in html
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_a_viewer_cannot_write_a_public_note(
    client: FlaskClient, mail_public: None, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    ref = raise_incident("mx1 slow", labels={"service": "mail"})
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    token = csrf_token(client.get("/account").get_data(as_text=True))
    refused = client.post(f"/incidents/{ref}/public_note", data={"csrf_token": token, "public_note": "x"})
    assert refused.status_code == 403
    assert "Degraded" not in client.get("/status").get_data(as_text=True)


def test_a_token_sets_and_takes_down_the_note_through_the_api(
    client: FlaskClient, db: Database, mail_public: None, raise_incident: Callable[..., str]
) -> None:
    from hub import accounts

    with db.transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.create_token(session, name='bot', role='agent')}"}
    ref = raise_incident("mx1 slow", labels={"service": "mail"})
    answer = client.patch(f"/api/v1/incidents/{ref}", json={"public_note": "Mail is slow."}, headers=headers)
    assert answer.status_code == 200 and answer.json["public_note"] == "Mail is slow."  # type: ignore[index]
    assert client.get("/status.json").json["state"] == "degraded"  # type: ignore[index]
    client.patch(f"/api/v1/incidents/{ref}", json={"public_note": None}, headers=headers)
    assert client.get("/status.json").json["state"] == "operational"  # type: ignore[index]
    refused = client.patch(f"/api/v1/incidents/{ref}", json={"public_note": 42}, headers=headers)
    assert refused.status_code == 400 and "'public_note' is text" in refused.json["error"]  # type: ignore[index]


def test_an_admin_makes_a_service_public_from_the_command_line(runner: CliRunner, db: Database) -> None:
    assert runner.invoke(main, ["service", "add", "--name", "vpn"]).exit_code == 0
    shown = runner.invoke(main, ["service", "set", "vpn", "--public", "--description", "Remote access"])
    assert shown.exit_code == 0 and "service 'vpn': shown on the status page (/status)" in shown.output
    [listed] = [line for line in runner.invoke(main, ["service", "list"]).output.splitlines() if "vpn" in line]
    assert listed.split()[-3:] == ["public", "Remote", "access"]
    assert "service 'vpn': not on the status page" in runner.invoke(main, ["service", "set", "vpn", "--private"]).output
    empty = runner.invoke(main, ["service", "set", "vpn"])
    assert empty.exit_code == 2 and "say what to change" in empty.output
    unknown = runner.invoke(main, ["service", "set", "nope", "--public"])
    assert unknown.exit_code == 1 and "there is no service 'nope'" in unknown.output


def test_the_documented_commands_make_mail_and_vpn_public(settings: Settings, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="vpn")
    out = run_as_printed(fenced("docs/sla.md", "The public status page", "sh")[0], settings, tmp_path)
    assert "added service 'mail', shown on the status page (/status)" in out
    with db.read() as session:
        assert [s.name for s in catalogue.services(session) if s.public] == ["mail", "vpn"]


def test_the_documented_subscriber_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        session.add(StatusSubscriber(email="ann@example.org", confirmed_at=utcnow()))
        session.add(StatusSubscriber(email="bob@example.org"))
    [script] = fenced("docs/sla.md", "Updates by email", "sh")
    listed, removed = script.strip().splitlines()
    out = run_as_printed(listed, settings, tmp_path)
    assert re.search(r"ann@example.org +since \d{4}-\d\d-\d\d \d\d:\d\d \w+: every service", out)
    assert re.search(r"bob@example.org +not confirmed, asked \d{4}-", out)
    assert run_as_printed(removed, settings, tmp_path) == "ann@example.org gets no more status updates\n"
    with db.read() as session:
        assert session.scalars(select(StatusSubscriber.email)).all() == ["bob@example.org"]


def test_the_dashboard_says_what_the_public_sees_once_a_service_is_public(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    assert 'id="public-status"' not in logged_in.get("/dashboard").get_data(as_text=True)
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
        session.add(StatusSubscriber(email="ann@example.org", confirmed_at=utcnow()))
        session.add(StatusSubscriber(email="not-yet@example.org"))  # unconfirmed: gets nothing, so not counted
    raise_incident("mx1 down", severity="critical", labels={"service": "mail"})
    shown = logged_in.get("/dashboard").get_data(as_text=True)
    assert 'the status page</a>: <strong class="svc-major_outage">Some systems are down</strong>' in shown
    assert '<span id="subscribers">1 person gets its updates by email.</span>' in shown


def test_planned_maintenance_of_a_public_service_is_announced_by_its_window(
    client: FlaskClient, db: Database, mail_public: None
) -> None:
    starts = utcnow() + timedelta(days=1)
    with db.transaction() as session:
        session.add(Change(title="Upgrade postfix on mx1", service="mail", type="normal", state="scheduled",
                           planned_start=starts, planned_end=starts + timedelta(hours=2),
                           requested_by="cab@example.com"))  # fmt: skip
    html = client.get("/status").get_data(as_text=True)
    assert "Planned maintenance: " in html and "All systems operational" in html and "postfix" not in html
    [window] = client.get("/status.json").json["services"][0]["maintenance"]  # type: ignore[index]
    assert window["in_progress"] is False and window["starts_at"] == starts.isoformat()


def test_feed_readers_follow_the_notes_newest_first(
    client: FlaskClient, mail_public: None, raise_incident: Callable[..., str], make_user: Callable[..., Login]
) -> None:
    ref = raise_incident("mx1 slow", labels={"service": "mail"})
    log_in(client, make_user())
    write_note(client, ref, "Mail is slow.")
    write_note(client, ref, "Mail is slow; a fix is on its way.")
    answer = client.get("/status.atom")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ElementTree.fromstring(answer.get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.findtext("a:content", namespaces=ns) for e in root.findall("a:entry", ns)] == [
        "Mail is slow; a fix is on its way."
    ]  # the note as it stands: an update replaces it
    assert 'type="application/atom+xml"' in client.get("/status").get_data(as_text=True)
