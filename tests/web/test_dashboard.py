"""The dashboard page shows the desk's figures to anyone logged in."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import insert, update

from hub import approvals, groups, mailboxes, oncall, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.models import Approval, OutboxMessage, utcnow
from tests.conftest import KEYS
from tests.staff import agents
from tests.web.helpers import Login, log_in
from web.queries import incident_id

AGENT, MAIL = Actor("agent@example.com"), Mail("helpdesk@localhost", "http://desk")


def href(page: str, pattern: str) -> str:
    match = re.search(pattern, page)
    assert match, f"no link matching {pattern!r} on the page"
    return html.unescape(match.group(1))


def refs(page: str) -> list[str]:
    return re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', page)


def one_in_each_status(raise_incident: Callable[..., str], db: Database) -> dict[str, str]:
    """An incident open, acknowledged, waiting on the requester, and resolved: their refs by status."""
    made = {status: raise_incident(f"Switch {status}", dedup_key=status) for status in
            ("open", "acknowledged", "waiting", "resolved")}  # fmt: skip
    for status, action in (("acknowledged", "acknowledge"), ("waiting", "wait"), ("resolved", "resolve")):
        triage.change_status(db, incident_id(made[status]) or 0, action, AGENT, MAIL)
    return made


def figure(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match, f"no #{element_id} on the page"
    return match.group(1)


def test_dashboard_shows_open_incidents_and_the_noisiest_source(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk")
    raise_incident("Disk full", dedup_key="disk")
    raise_incident("CPU hot", dedup_key="cpu")
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "open-total") == "2"
    assert 'monitoring</span> <span class="num muted">3 events' in page
    assert page.count('class="bar"') == 1  # all three in this hour: one bar
    assert figure(page, "failures") == "0"


def test_mtta_and_mttr_say_how_many_of_the_weeks_incidents_they_are_means_over(
    logged_in: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk")
    triage.change_status(db, incident_id(raise_incident("CPU hot", dedup_key="cpu")) or 0, "acknowledge", AGENT, MAIL)
    triage.change_status(db, incident_id(raise_incident("Fan loud", dedup_key="fan")) or 0, "resolve", AGENT, MAIL)
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "mttr-over") == "over the 1 resolved of 3 opened"
    assert figure(page, "mtta-over") == "over the 1 acknowledged of 3 opened"  # resolving is not acknowledging


def test_dashboard_of_an_empty_desk_says_so(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "open-total") == "0" and figure(page, "mtta") == "—"
    assert "Nothing received in the last 7 days." in page


def test_dashboard_spells_out_its_abbreviated_measures(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    for words, short in (("Mean time to acknowledge", "MTTA"), ("Mean time to resolve", "MTTR"),
                         ("Customer satisfaction", "CSAT")):  # fmt: skip
        assert f'{words} (<abbr title="{words}">{short}</abbr>)' in page


def test_dashboard_says_who_is_on_call_for_each_rotating_group(logged_in: FlaskClient, db: Database) -> None:
    with db.transaction() as s:
        groups.save_group(s, "dba", agents(s, "ann@example.com", "bob@example.com"))
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff="00:00", now=utcnow())
    page = logged_in.get("/dashboard").get_data(as_text=True)
    row = r'<a href="/oncall#rotation-dba">dba</a></th>\s*<td>ann@example.com <span class="muted">until '
    assert re.search(row, page)
    assert "then bob@example.com" in page


def test_dashboard_without_rotations_has_no_on_call_section(logged_in: FlaskClient) -> None:
    assert "On call now" not in logged_in.get("/dashboard").get_data(as_text=True)


def test_the_open_incidents_tile_lists_exactly_the_incidents_it_counts(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    made = one_in_each_status(raise_incident, db)
    page = logged_in.get("/dashboard").get_data(as_text=True)
    listed = logged_in.get(href(page, r'<a class="tile card" id="open-tile" href="([^"]*)">')).get_data(as_text=True)
    assert figure(page, "open-total") == "2" and "2 incidents" in listed
    assert sorted(refs(listed)) == sorted([made["open"], made["acknowledged"]])
    assert re.search(r'aria-current="true">Open or acknowledged</a>', listed)  # the list says what it shows


def test_each_open_by_priority_figure_links_to_the_incidents_it_counts(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    made = one_in_each_status(raise_incident, db)
    raise_incident("Core switch down", dedup_key="core", severity="critical")  # P1, open
    page = logged_in.get("/dashboard").get_data(as_text=True)
    table = page[page.index('id="open-by-priority"') :].split("</table>", 1)[0]
    for label, expected in (("1 open P1", ["INC-5"]), ("1 open P3", [made["open"]]),
                            ("1 acknowledged P3", [made["acknowledged"]])):  # fmt: skip
        link = href(table, rf'<a href="([^"]*)" aria-label="{label}">1</a>')
        assert refs(logged_in.get(link).get_data(as_text=True)) == expected, label
    assert table.count("<a href=") == 3  # a zero is no link


def test_the_failed_notifications_tile_takes_an_admin_to_the_dead_letters_it_counts(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    log_in(client, make_user(email="root@example.com", role="admin"))
    with db.transaction() as session:
        session.execute(insert(OutboxMessage), [
            {"delivery_id": f"d-{status}", "kind": "assigned", "channel": "email", "recipient": "p@example.com",
             "subject": "s", "body": "b", "headers": {}, "status": status, "last_error": f"{status} error"}
            for status in ("dead", "pending", "sent")
        ])  # fmt: skip
    page = client.get("/dashboard").get_data(as_text=True)
    listed = client.get(href(page, r'id="failures-tile" href="([^"]*)"')).get_data(as_text=True)
    assert figure(page, "failures") == "1"
    assert "dead error" in listed and "pending error" not in listed and "sent error" not in listed
    assert 'aria-current="true">Dead letters</a>' in listed


def test_the_failed_notifications_tile_is_no_link_for_those_who_cannot_see_the_queue(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert '<div class="tile card " id="failures-tile">' in page


def test_agents_see_how_many_approvals_wait_and_for_how_long(
    logged_in: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user(email="boss@example.com", role="viewer")
    laptop, licence, done = (incident_id(raise_incident(title, dedup_key=title)) or 0 for title in "abc")
    for number in (laptop, licence, done):
        approvals.ask(db, number, "boss@example.com", "", AGENT, MAIL)
    triage.change_status(db, done, "resolve", AGENT, MAIL)  # waits for nobody now
    with db.transaction() as session:
        session.execute(update(Approval).where(Approval.incident_id == laptop)
                        .values(asked_at=utcnow() - timedelta(days=3, hours=2)))  # fmt: skip
    page = logged_in.get("/dashboard").get_data(as_text=True)
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.split('id="approvals-waiting">')[1].split("</p>")[0]))
    assert said == "Approvals waiting: 2, the oldest for 3 days."
    assert href(page, r'id="approvals-waiting"><a href="([^"]+)"') == "/incidents?approval=pending"


def test_the_waiting_approvals_are_not_shown_when_there_are_none(logged_in: FlaskClient) -> None:
    assert 'id="approvals-waiting"' not in logged_in.get("/dashboard").get_data(as_text=True)


def test_the_waiting_approvals_are_not_shown_to_a_viewer(
    client: FlaskClient, raise_incident: Callable[..., str], make_user: Callable[..., Login], db: Database
) -> None:
    make_user()
    approvals.ask(db, incident_id(raise_incident("Laptop")) or 0, "agent@example.com", "", AGENT, MAIL)
    log_in(client, make_user(email="boss@example.com", role="viewer"))
    assert 'id="approvals-waiting"' not in client.get("/dashboard").get_data(as_text=True)


def failing_mailbox(db: Database, error: str) -> None:
    with db.transaction() as session:
        added = mailboxes.add_mailbox(session, name="support", host="imap.example.com", username="support@example.com",
                                      secret="env:SUPPORT_PASSWORD", keys=KEYS)  # fmt: skip
        mailboxes.record_error(session, added.id, error, at=utcnow() - timedelta(hours=2))


def test_admins_are_told_on_the_dashboard_which_mailbox_cannot_be_read_since_when_and_why(
    client: FlaskClient, make_user: Callable[..., Login], db: Database
) -> None:
    failing_mailbox(db, "login to imap.example.com:993 as support@example.com failed: check the password")
    log_in(client, make_user(email="root@example.com", role="admin"))
    page = client.get("/dashboard").get_data(as_text=True)
    banner = page[page.index('id="failing-mailboxes"') : page.index("</section>", page.index('id="failing-mailboxes"'))]
    assert "<strong>support</strong>" in banner and "(2 h 00 min)" in banner
    assert "as support@example.com failed: check the password" in banner
    assert 'href="/mailboxes"' in banner


def test_a_failing_mailbox_is_not_shown_to_those_who_cannot_fix_it(logged_in: FlaskClient, db: Database) -> None:
    failing_mailbox(db, "cannot connect to imap.example.com:993")
    assert 'id="failing-mailboxes"' not in logged_in.get("/dashboard").get_data(as_text=True)
