"""SLA clocks on real incidents in a real SQLite database: started by the intake, stopped, paused, re-planned.

The sweep, the next-update clock and the rules on warnings and breaches: tests/hub/test_sla_sweep.py (also on
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub import sla, sla_pauses
from hub.agent_action import Actor, Mail
from hub.calendars import add_calendar
from hub.catalogue import Targets, add_policy, add_service
from hub.config import Settings
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Incident, SlaWait, TimelineEntry, utcnow
from hub.triage import categorise, change_status, merge

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
H = timedelta(hours=1)


def alert(key: str = "disk-db1", action: Action = Action.TRIGGER, **labels: str) -> InboundEvent:
    return InboundEvent(source="generic", title="Disk full on db1", severity="critical", dedup_key=key,
                        action=action, labels=labels)  # fmt: skip


def request(key: str = "new-laptop") -> InboundEvent:
    """A critical event that says someone needs something (as the help centre's form does when asked so)."""
    return InboundEvent(source="generic", title="A laptop for the new starter", severity="critical", dedup_key=key,
                        kind="request")  # fmt: skip


@pytest.fixture
def notice_settings(settings: Settings) -> NoticeSettings:
    return NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url)


@pytest.fixture
def p1_policy(db: Database) -> None:
    """All P1 incidents (critical alerts): first response in 30 minutes, resolved within 4 hours, round the clock."""
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(first_response=30 * (H / 60), resolution=4 * H))


def incident(db: Database, incident_id: int) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def test_opening_under_a_policy_stores_due_times_in_the_incident(db: Database, intake: Intake, p1_policy: None) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    assert opened.sla_state == "ok"
    assert opened.sla_due_at == opened.first_seen + 4 * H
    assert opened.sla_response_due_at == opened.first_seen + 30 * (H / 60)
    assert opened.sla_next_at == opened.sla_response_warn_at  # the first thing that can happen


def test_an_incident_no_policy_fits_has_no_clocks(db: Database, intake: Intake, p1_policy: None) -> None:
    event = InboundEvent(source="generic", title="FYI", severity="info", dedup_key="fyi")
    opened = incident(db, intake.record(RAW, event).incident_id or 0)
    assert (opened.sla_state, opened.sla_due_at, opened.sla_next_at) == (None, None, None)


def test_the_service_label_sets_the_incident_service_and_its_policy(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        add_service(session, name="mail", owner_group="messaging")
        add_calendar(session, name="office", tz="Europe/Berlin", hours="mon-fri 09:00-17:00", country="DE")
        add_policy(session, name="P1 mail", priority=1, service="mail", calendar="office",
                   targets=Targets(resolution=8 * H))  # fmt: skip
    opened = incident(db, intake.record(RAW, alert(service="mail")).incident_id or 0)
    assert opened.service == "mail"
    assert opened.sla_due_at is not None and opened.sla_due_at > opened.first_seen + 8 * H  # the office closes


def test_the_opening_records_the_policy_and_its_due_times_on_the_timeline(
    db: Database, intake: Intake, p1_policy: None
) -> None:
    incident_id = intake.record(RAW, alert()).incident_id
    with db.read() as session:
        kinds = session.scalars(select(TimelineEntry.kind).where(TimelineEntry.incident_id == incident_id)).all()
        summary = session.scalar(select(TimelineEntry.summary).where(TimelineEntry.kind == "sla"))
    assert kinds[:2] == ["opened", "sla"]
    assert summary is not None and "resolution due" in summary


def test_acknowledging_meets_the_first_response_clock(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    intake.record(RAW, alert(action=Action.ACKNOWLEDGE))
    acknowledged = incident(db, opened.id)
    assert acknowledged.sla_next_at == acknowledged.sla_warn_at  # only the resolution clock is left
    later = sla.sweep(db, notice_settings, now=opened.first_seen + 2 * H)
    assert later == []


def test_resolving_in_time_is_met_and_stops_the_clocks(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    intake.record(RAW, alert(action=Action.RESOLVE))
    resolved = incident(db, opened.id)
    assert (resolved.sla_state, resolved.sla_next_at) == ("met", None)
    assert sla.sweep(db, notice_settings, now=opened.first_seen + 9 * H) == []


def test_resolving_after_the_due_time_is_a_breach(db: Database, intake: Intake, p1_policy: None) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    with db.transaction() as session:  # as if it had been opened five hours ago
        session.execute(update(Incident).where(Incident.id == opened.id).values(
            sla_due_at=opened.first_seen - H, sla_response_due_at=opened.first_seen - 2 * H))  # fmt: skip
    intake.record(RAW, alert(action=Action.RESOLVE))
    assert incident(db, opened.id).sla_state == "breached"


def test_waiting_on_the_requester_pauses_and_their_reply_moves_the_due_time_on(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        for priority in range(1, 6):
            add_policy(session, name=f"P{priority}", priority=priority, targets=Targets(resolution=8 * H))
    question = InboundEvent(source="email", title="Printer on fire", requester="ann@example.com",
                            message_id="<q1@example.com>")  # fmt: skip
    opened = incident(db, intake.record(RAW, question).incident_id or 0)
    with db.transaction() as session:
        sla_pauses.wait_on_requester(session.connection(), opened.id, "bob@example.com")
    waiting = incident(db, opened.id)
    assert (waiting.status, waiting.sla_state, waiting.sla_next_at) == ("waiting", "paused", None)
    assert waiting.sla_paused_at is not None and opened.sla_due_at is not None
    with db.transaction() as session:  # as if Ann took two hours to answer
        session.execute(update(Incident).where(Incident.id == opened.id).values(
            sla_paused_at=waiting.sla_paused_at - 2 * H))  # fmt: skip
    answer = InboundEvent(source="email", title="Re: Printer on fire", requester="ann@example.com",
                          message_id="<a1@example.com>", in_reply_to=("<q1@example.com>",))  # fmt: skip
    assert intake.record(RAW, answer).incident_id == opened.id
    resumed = incident(db, opened.id)
    assert (resumed.status, resumed.sla_state) == ("open", "ok")
    assert resumed.sla_due_at is not None
    assert abs(resumed.sla_due_at - opened.sla_due_at - 2 * H) < timedelta(seconds=5)


def test_resolving_while_waiting_ends_the_wait_so_the_resolution_is_judged_on_moved_due_times(
    db: Database, intake: Intake, p1_policy: None
) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    change_status(db, opened.id, "wait", AGENT, MAIL)
    with db.transaction() as session:  # as if it had waited five hours, past the four-hour resolution target
        session.execute(update(Incident).where(Incident.id == opened.id).values(sla_paused_at=utcnow() - 5 * H))
    change_status(db, opened.id, "resolve", AGENT, MAIL)
    resolved = incident(db, opened.id)
    assert (resolved.sla_state, resolved.sla_paused_at) == ("met", None)
    assert resolved.sla_due_at is not None and resolved.sla_due_at > opened.sla_due_at + 4 * H


def test_reopening_an_incident_resolved_while_waiting_runs_its_clocks_again(
    db: Database, intake: Intake, p1_policy: None
) -> None:
    opened = intake.record(RAW, alert()).incident_id or 0
    for action in ("wait", "resolve", "reopen"):
        change_status(db, opened, action, AGENT, MAIL)
    reopened = incident(db, opened)
    assert (reopened.status, reopened.sla_paused_at, reopened.sla_state) == ("open", None, "ok")
    assert reopened.sla_next_at is not None  # the sweep will find its warnings and breaches


def test_merging_a_duplicate_while_it_waits_stops_its_clocks_as_closing_does(
    db: Database, intake: Intake, p1_policy: None
) -> None:
    duplicate, survivor = (intake.record(RAW, alert(key)).incident_id or 0 for key in ("disk-db1", "disk-db2"))
    change_status(db, duplicate, "wait", AGENT, MAIL)
    merge(db, duplicate, survivor, AGENT, MAIL)
    merged = incident(db, duplicate)
    assert (merged.status, merged.sla_paused_at) == ("closed", None)
    with db.read() as session:
        assert session.scalars(select(SlaWait.incident_id)).all() == [duplicate]  # its wait, completed


def test_only_open_incidents_can_wait(db: Database, intake: Intake, p1_policy: None) -> None:
    opened = intake.record(RAW, alert()).incident_id or 0
    intake.record(RAW, alert(action=Action.RESOLVE))
    with pytest.raises(BadInput, match="only open or acknowledged"), db.transaction() as session:
        sla_pauses.wait_on_requester(session.connection(), opened, "ann@example.com")


def test_a_priority_change_replans_under_the_policy_that_now_fits(
    db: Database, intake: Intake, p1_policy: None
) -> None:
    with db.transaction() as session:
        add_policy(session, name="P3", priority=3, targets=Targets(resolution=3 * 24 * H))
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == opened.id).values(priority=3))
        sla.replan(session.connection(), sla.SlaBookCache().current(session.connection()), opened.id)
    replanned = incident(db, opened.id)
    assert replanned.sla_due_at == opened.first_seen + 72 * H and replanned.sla_response_due_at is None


def test_the_sweep_finds_due_incidents_through_its_index(db: Database) -> None:
    with db.reader() as conn:
        sql = str(sla.DUE.compile(dialect=conn.dialect))
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("2026-01-01 00:00:00", 500, 0)).all()
    assert "SEARCH incidents USING INDEX ix_incidents_sla_next_at" in " ".join(str(row[-1]) for row in plan)


@pytest.fixture
def p1_requests_policy(db: Database) -> None:
    """P1 service requests only: a working week to fulfil, where P1 incidents (`p1_policy`) get 4 hours."""
    with db.transaction() as session:
        add_policy(session, name="P1 requests", priority=1, kind="request", targets=Targets(resolution=5 * 24 * H))


def test_a_request_runs_under_the_requests_policy_and_an_incident_under_the_other(
    db: Database, intake: Intake, p1_policy: None, p1_requests_policy: None
) -> None:
    asked = incident(db, intake.record(RAW, request()).incident_id or 0)
    broken = incident(db, intake.record(RAW, alert()).incident_id or 0)
    assert asked.sla_due_at == asked.first_seen + 120 * H
    assert broken.sla_due_at == broken.first_seen + 4 * H


def test_a_policy_without_a_kind_fits_requests_too(db: Database, intake: Intake, p1_policy: None) -> None:
    asked = incident(db, intake.record(RAW, request()).incident_id or 0)
    assert asked.sla_due_at == asked.first_seen + 4 * H


def test_a_policy_for_requests_never_fits_an_incident(db: Database, intake: Intake, p1_requests_policy: None) -> None:
    broken = incident(db, intake.record(RAW, alert()).incident_id or 0)
    assert (broken.sla_policy_id, broken.sla_due_at) == (None, None)


def test_changing_the_kind_replans_under_the_policy_for_that_kind(
    db: Database, intake: Intake, p1_policy: None, p1_requests_policy: None
) -> None:
    opened = incident(db, intake.record(RAW, alert()).incident_id or 0)
    categorise(db, opened.id, AGENT, kind="request")
    replanned = incident(db, opened.id)
    assert replanned.sla_due_at == opened.first_seen + 120 * H
    with db.read() as session:
        said = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == opened.id,
                                                                   TimelineEntry.kind == "sla")).all()  # fmt: skip
    assert said[-1] == "SLA re-planned under P1 requests"
