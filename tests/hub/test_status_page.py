"""The public status page's verdicts: pure rules over incidents, then read from a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hub import catalogue, status_page, triage
from hub.agent_action import Actor, TriageError
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Incident, OutboxMessage
from hub.outbox import body_of
from hub.status_page import Affecting

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SERVICES = [("mail", "Email for everyone"), ("vpn", "")]
AGENT = Actor("agent@example.com")


def affecting(priority: int = 3, *, live: bool = True, note: str | None = None, service: str = "mail",
              started: datetime = NOW - HOUR, resolved_at: datetime | None = None) -> Affecting:  # fmt: skip
    return Affecting(service, priority, live, started, note, started if note else None, resolved_at)


def states(page: status_page.StatusPage) -> dict[str, str]:
    return {s.name: s.state for s in page.services}


def test_with_nothing_open_every_service_is_operational() -> None:
    page = status_page.summarise(SERVICES, [], NOW)
    assert states(page) == {"mail": "operational", "vpn": "operational"}
    assert page.headline == "All systems operational"


@pytest.mark.parametrize(("priority", "state"), [(1, "major_outage"), (2, "partial_outage")])
def test_an_open_p1_or_p2_shows_without_anyone_writing_a_note(priority: int, state: str) -> None:
    page = status_page.summarise(SERVICES, [affecting(priority)], NOW)
    assert states(page)["mail"] == state and page.services[0].since == NOW - HOUR


def test_a_lower_priority_shows_only_once_an_agent_writes_a_public_note() -> None:
    assert states(status_page.summarise(SERVICES, [affecting(3)], NOW))["mail"] == "operational"
    noted = status_page.summarise(SERVICES, [affecting(3, note="Mail is slow to arrive.")], NOW)
    assert states(noted)["mail"] == "degraded"
    assert [n.text for n in noted.services[0].notes] == ["Mail is slow to arrive."]


def test_the_worst_incident_sets_the_state_and_the_headline() -> None:
    page = status_page.summarise(SERVICES, [affecting(2), affecting(1, service="vpn"), affecting(3, note="x")], NOW)
    assert states(page) == {"mail": "partial_outage", "vpn": "major_outage"}
    assert page.state == "major_outage" and page.headline == "Some systems are down"


def test_a_resolved_incidents_note_stays_a_day_marked_resolved_and_the_service_is_operational() -> None:
    recent = affecting(1, live=False, note="Fixed: a full disk.", resolved_at=NOW - timedelta(hours=23))
    old = affecting(1, live=False, note="Older", resolved_at=NOW - timedelta(hours=25))
    page = status_page.summarise(SERVICES, [recent, old], NOW)
    assert states(page)["mail"] == "operational"
    [note] = page.services[0].notes
    assert note.text == "Fixed: a full disk." and note.resolved_at == recent.resolved_at


def test_incidents_of_services_that_are_not_public_are_left_out() -> None:
    page = status_page.summarise(SERVICES, [affecting(1, service="payroll", note="secret")], NOW)
    assert states(page) == {"mail": "operational", "vpn": "operational"} and page.services[0].notes == ()


# -- read from the database -------------------------------------------------------------------------------------


def on_mail(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
    return Decision(priority=int(event.labels.get("priority", "3")), service="mail")


def open_incident(db: Database, title: str, priority: int) -> int:
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    event = InboundEvent(source="generic", title=title, dedup_key=title, labels={"priority": str(priority)})
    outcome = Intake(db, on_mail, NoticeSettings(("desk@example.com",), "http://x")).record(raw, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_without_a_public_service_there_is_no_page(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
        assert status_page.read(session, NOW) is None


def test_the_page_is_read_from_open_incidents_and_their_notes_never_their_titles(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True, description="Email for everyone")
    first = open_incident(db, "Postfix queue on mx1 at 40k: disk /var full", 2)
    assert triage.set_public_note(db, first, "Outgoing mail is delayed.\nWe expect it back by 14:00.", AGENT)
    with db.read() as session:
        page = status_page.read(session, datetime.now(UTC))
    assert page is not None and page.state == "partial_outage"
    [mail] = page.services
    assert [n.text for n in mail.notes] == ["Outgoing mail is delayed.\nWe expect it back by 14:00."]
    assert "Postfix" not in str(page.as_json())


def test_taking_the_note_down_leaves_a_p3_off_the_page_and_the_timeline_keeps_both(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    incident_id = open_incident(db, "Slow", 3)
    triage.set_public_note(db, incident_id, "Mail is slow.", AGENT)
    assert not triage.set_public_note(db, incident_id, "Mail is slow.", AGENT)  # unchanged: nothing written
    triage.set_public_note(db, incident_id, "  ", AGENT)
    with db.read() as session:
        page = status_page.read(session, datetime.now(UTC))
        incident = session.get_one(Incident, incident_id)
        kinds = [e.summary for e in incident.timeline if e.kind == "public_note"]
    assert page is not None and page.state == "operational" and page.services[0].notes == ()
    assert kinds == [f"Public status note {done} by agent@example.com" for done in ("set", "taken down")]


@pytest.mark.parametrize(("text", "problem"), [("x" * 1001, "keep it under 1,000"), ("a\x1b[31mred", "control")])
def test_a_note_too_long_or_with_control_characters_is_refused(db: Database, text: str, problem: str) -> None:
    incident_id = open_incident(db, "Slow", 3)
    with pytest.raises(TriageError, match=problem):
        triage.set_public_note(db, incident_id, text, AGENT)


# -- what a requester hears ---------------------------------------------------------------------------------------


def acknowledgement_to(db: Database, requester: str) -> tuple[str, dict[str, Any]]:
    """The body and facts of the acknowledgement mail `requester` is owed."""
    with db.read() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == requester)).one()
    assert row.kind == "acknowledgement" and row.facts is not None
    return body_of(row)[0], row.facts


def mail_from(db: Database, requester: str) -> None:
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: no mail\r\n\r\nnothing arrives")
    event = InboundEvent(source="email", title="I get no mail", requester=requester, message_id=f"<{requester}>",
                         labels={"priority": "4"})  # fmt: skip
    Intake(db, on_mail, NoticeSettings(("desk@example.com",), "https://desk.example.com")).record(raw, event)


def test_a_requester_writing_about_a_service_in_trouble_is_told_it_is_known_and_where_to_follow_it(
    db: Database,
) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    outage = open_incident(db, "mx1 down", 1)
    triage.set_public_note(db, outage, "Outgoing mail is delayed.", AGENT)
    mail_from(db, "ann@example.org")
    text, facts = acknowledgement_to(db, "ann@example.org")
    assert facts["known_outage"] == {"service": "mail", "state": "major_outage", "label": "Major outage",
                                     "note": "Outgoing mail is delayed.",
                                     "url": "https://desk.example.com/status"}  # fmt: skip
    assert "We already know about trouble with mail (Major outage).\nOutgoing mail is delayed." in text
    assert "Follow it on https://desk.example.com/status" in text


@pytest.mark.parametrize("public", [True, False])
def test_no_outage_is_mentioned_for_a_service_doing_fine_or_one_not_public(db: Database, public: bool) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=public)
    if not public:
        open_incident(db, "mx1 down", 1)
    mail_from(db, "ann@example.org")
    text, facts = acknowledgement_to(db, "ann@example.org")
    assert facts["known_outage"] is None and "We already know" not in text


# -- planned maintenance ------------------------------------------------------------------------------------------


def test_a_scheduled_change_is_announced_by_its_window_and_in_progress_it_is_maintenance() -> None:
    ahead = status_page.Window("mail", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2), False)
    page = status_page.summarise(SERVICES, [], NOW, [ahead])
    assert states(page)["mail"] == "operational" and page.services[0].maintenance == (ahead,)
    now_on = status_page.Window("vpn", NOW - HOUR, NOW + HOUR, True)
    during = status_page.summarise(SERVICES, [], NOW, [now_on])
    assert states(during)["vpn"] == "maintenance" and during.headline == "Planned maintenance in progress"


def test_an_incident_during_maintenance_shows_as_the_worse_of_the_two() -> None:
    now_on = status_page.Window("mail", NOW - HOUR, NOW + HOUR, True)
    assert states(status_page.summarise(SERVICES, [affecting(2)], NOW, [now_on]))["mail"] == "partial_outage"


def test_changes_are_read_by_state_and_window_and_never_show_their_titles(db: Database) -> None:
    from hub.models import Change

    now = datetime.now(UTC)
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
        for title, state, starts in [("Upgrade postfix on mx1", "scheduled", now + timedelta(days=1)),
                                     ("Far away", "scheduled", now + timedelta(days=30)),
                                     ("Not approved", "assessed", now + timedelta(days=1)),
                                     ("Swap disks on mx2", "implementing", now - HOUR)]:  # fmt: skip
            session.add(Change(title=title, service="mail", type="normal", state=state, planned_start=starts,
                               planned_end=starts + 2 * HOUR, requested_by="cab@example.com"))  # fmt: skip
    with db.read() as session:
        page = status_page.read(session, now)
    assert page is not None
    [mail] = page.services
    assert mail.state == "maintenance"
    assert [(w.in_progress, w.starts > now) for w in mail.maintenance] == [(True, False), (False, True)]
    assert "postfix" not in str(page.as_json()) and "mx2" not in str(page.as_json())


def test_a_requester_writing_during_maintenance_is_told_it_is_planned(db: Database) -> None:
    from hub.models import Change

    now = datetime.now(UTC)
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
        session.add(Change(title="Swap disks", service="mail", type="normal", state="implementing",
                           planned_start=now - HOUR, planned_end=now + HOUR,
                           requested_by="cab@example.com"))  # fmt: skip
    mail_from(db, "ann@example.org")
    text, facts = acknowledgement_to(db, "ann@example.org")
    assert facts["known_outage"]["state"] == "maintenance"
    assert "mail is under planned maintenance right now." in text and "We already know" not in text


# -- uptime -----------------------------------------------------------------------------------------------------

DAY = timedelta(days=1)


def test_availability_counts_overlapping_outages_once_and_clips_them_to_the_period() -> None:
    start, end = NOW - 10 * DAY, NOW
    assert status_page.availability([], start, end) == 1.0
    assert status_page.availability([(NOW - 2 * DAY, NOW - DAY)], start, end) == pytest.approx(0.9)
    overlapping = [(NOW - 2 * DAY, NOW - DAY), (NOW - 2 * DAY + HOUR, NOW - DAY + HOUR)]
    assert status_page.availability(overlapping, start, end) == pytest.approx(1 - (DAY + HOUR) / (10 * DAY))
    before = [(NOW - 12 * DAY, NOW - 9 * DAY)]  # began before the period: only its last day counts
    assert status_page.availability(before, start, end) == pytest.approx(0.9)
    assert status_page.availability([(NOW - DAY, None)], start, end) == pytest.approx(0.9)  # still open


def test_a_major_outage_lowers_its_services_uptime_and_nothing_else_does() -> None:
    outage = [("mail", NOW - 3 * HOUR, NOW - HOUR)]
    page = status_page.summarise(SERVICES, [], NOW, outages=outage)
    assert page.services[0].uptime == pytest.approx(1 - 2 / (30 * 24)) and page.services[1].uptime == 1.0
    assert page.as_json()["services"][0]["uptime_days"] == 30


def test_uptime_is_read_from_p1_incidents_of_the_service(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    open_incident(db, "mx1 down", 1)
    open_incident(db, "mx1 slow", 2)  # a partial outage does not count as down
    with db.read() as session:
        page = status_page.read(session, datetime.now(UTC) + timedelta(hours=3))
    assert page is not None and page.services[0].uptime == pytest.approx(1 - 3 / (30 * 24), abs=1e-4)


def test_a_major_outage_that_began_before_the_period_counts_for_the_part_within_it(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    long_ago = {open_incident(db, f"mx{n} down", 1): n for n in (1, 2)}
    now = datetime.now(UTC)
    with db.transaction() as session:
        for incident_id, n in long_ago.items():
            incident = session.get_one(Incident, incident_id)
            # 65 days down until 10 days ago; the other resolved before the period began
            incident.first_seen = now - 75 * DAY
            incident.status, incident.resolved_at = "resolved", now - (10 if n == 1 else 31) * DAY
    with db.read() as session:
        page = status_page.read(session, now)
    assert page is not None and page.services[0].uptime == pytest.approx(1 - 20 / 30, abs=1e-4)


def test_a_major_outage_open_for_longer_than_the_period_leaves_no_uptime(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    incident_id = open_incident(db, "mx1 down", 1)
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.get_one(Incident, incident_id).first_seen = now - 75 * DAY
    with db.read() as session:
        page = status_page.read(session, now)
    assert page is not None and page.services[0].uptime == 0.0


def test_a_requesters_own_urgent_incident_is_not_news_to_them(db: Database) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail", public=True)
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: mail down\r\n\r\nall of it")
    event = InboundEvent(source="email", title="Mail is down for everyone", requester="ann@example.org",
                         message_id="<own@x>", labels={"priority": "1"})  # fmt: skip
    Intake(db, on_mail, NoticeSettings(("desk@example.com",), "https://desk.example.com")).record(raw, event)
    text, facts = acknowledgement_to(db, "ann@example.org")
    assert facts["known_outage"] is None and "We already know" not in text
