"""Re-planning an incident's SLA clocks keeps the business time it spent waiting on its requester: after a new
priority, a changed policy and a changed calendar, on real incidents in SQLite and PostgreSQL. Waits are kept by
hub/sla_waits.py when the clocks run again; the migration that brought them in reads the older ones back from the
timeline (tests/hub/test_migrations.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from hub import sla, sla_pauses, triage
from hub.agent_action import Actor
from hub.calendars import CalendarTerms, add_calendar
from hub.catalogue import PolicyTerms, Targets, add_policy
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident
from hub.sla_clocks import DEFAULT_WARN_AT
from hub.sla_edits import edit_calendar, edit_policy
from tests.hub.replanned import RAW, H, critical, incident, sla_timeline
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

ADMIN = "admin@example.com"
#: A Monday afternoon in UTC: where the office-hours test opens its incident.
MONDAY_3PM = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ROUND_THE_CLOCK = CalendarTerms(tz="UTC", hours="24x7", country=None, subdivision=None, dates=frozenset())


def open_p1(db: Database, intake: Intake, calendar: str | None = None) -> Incident:
    """The policy P1 (4 hours to resolve, on `calendar`), P3 (3 days) and an incident opened under P1."""
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1, calendar=calendar, targets=Targets(resolution=4 * H))
        add_policy(session, name="P3", priority=3, targets=Targets(resolution=72 * H))
    return incident(db, intake.record(RAW, critical("db")).incident_id or 0)


def wait(db: Database, incident_id: int, since: datetime, until: datetime | None = None) -> None:
    """The incident waits on its requester from `since` (until `until`, when the clocks run again)."""
    with db.transaction() as session:
        conn = session.connection()
        sla_pauses.pause(conn, incident_id, now=since)
        if until is not None:
            sla_pauses.resume(conn, sla.SlaBookCache().current(conn), incident_id, now=until)


def edit_p1(db: Database, **terms: Any) -> None:
    given: dict[str, Any] = {"priority": 1, "calendar": None, "service": None, "category": None,
                             "organisation": None, "kind": None, "warn_at": DEFAULT_WARN_AT, **terms}  # fmt: skip
    with db.transaction() as session:
        edit_policy(session, "P1", PolicyTerms(**given), by=ADMIN)


def test_a_priority_change_after_a_completed_wait_keeps_the_waits_business_time(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake)
    wait(db, opened.id, opened.first_seen + H, opened.first_seen + 3 * H)
    triage.set_priority(db, opened.id, 3, Actor("bob@example.com"))
    replanned = incident(db, opened.id)
    assert replanned.sla_due_at == opened.first_seen + 72 * H + 2 * H
    assert sla_timeline(db, opened.id)[-1] == "SLA re-planned under P3"


def test_a_policy_edit_after_a_completed_wait_plans_the_new_target_around_it(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake)
    wait(db, opened.id, opened.first_seen + H, opened.first_seen + 3 * H)
    edit_p1(db, targets=Targets(resolution=8 * H))
    assert incident(db, opened.id).sla_due_at == opened.first_seen + 8 * H + 2 * H


def test_a_calendar_change_counts_a_past_wait_in_business_time_on_the_new_calendar(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", **ROUND_THE_CLOCK)
    opened = open_p1(db, intake, calendar="office")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == opened.id).values(first_seen=MONDAY_3PM))
    # Monday 16:00 to Tuesday 10:00: 18 hours round the clock, 2 of them office hours (Mon 16-17, Tue 9-10).
    wait(db, opened.id, MONDAY_3PM + H, MONDAY_3PM + 19 * H)
    with db.transaction() as session:
        office_hours = CalendarTerms(**{**ROUND_THE_CLOCK, "hours": "mon-fri 09:00-17:00"})
        edit_calendar(session, "office", office_hours, by=ADMIN)
    # One business hour before the wait, three after it: Tuesday 13:00 (forgetting the wait: Tuesday 11:00).
    assert incident(db, opened.id).sla_due_at == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)


def test_a_wait_in_progress_during_a_replan_keeps_the_clocks_paused_from_its_start(
    db: Database, intake: Intake
) -> None:
    opened = open_p1(db, intake)
    wait(db, opened.id, opened.first_seen + H)
    triage.set_priority(db, opened.id, 3, Actor("bob@example.com"))
    waiting = incident(db, opened.id)
    assert (waiting.sla_state, waiting.sla_paused_at, waiting.sla_next_at) == ("paused", opened.first_seen + H, None)
    with db.transaction() as session:
        conn = session.connection()
        sla_pauses.resume(conn, sla.SlaBookCache().current(conn), opened.id, now=opened.first_seen + 3 * H)
    assert incident(db, opened.id).sla_due_at == opened.first_seen + 72 * H + 2 * H


def test_a_replan_under_the_same_policy_after_a_wait_moves_nothing_and_says_nothing(
    db: Database, intake: Intake
) -> None:
    opened = open_p1(db, intake)
    wait(db, opened.id, opened.first_seen + H, opened.first_seen + 3 * H)
    waited = incident(db, opened.id)
    with db.transaction() as session:  # a new service no policy narrows to: P1 still fits
        session.execute(update(Incident).where(Incident.id == opened.id).values(service="mail"))
        conn = session.connection()
        done = sla.replan(conn, sla.SlaBookCache().current(conn), opened.id, why="service changed")
    assert (done.moved, incident(db, opened.id).sla_due_at) == (False, waited.sla_due_at)
    assert not any("re-planned" in line for line in sla_timeline(db, opened.id))
