"""Changing an SLA policy or a business calendar on a real database with real incidents: the clocks running under
it are re-planned in the same transaction, a line on the timeline where a due time moves and none where nothing
did. On SQLite and PostgreSQL (the row locks and the foreign key from policies to calendars are the databases')."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub import calendars, catalogue, sla, sla_pauses
from hub.calendars import CalendarTerms, add_calendar
from hub.catalogue import PolicyTerms, Targets, add_policy
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.errors import BadField, Missing
from hub.intake import Intake
from hub.models import AuditEntry, BusinessCalendar, utcnow
from hub.sla_clocks import DEFAULT_WARN_AT
from hub.sla_edits import Edit, describe, edit_calendar, edit_policy
from hub.sla_replanning import Replanned
from tests.hub.replanned import OFFICE, RAW, H, critical, incident, sla_revision, sla_timeline
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

ADMIN = "admin@example.com"  # who changes them, for the audit log
#: The P1 policy the tests start from.
P1: dict[str, Any] = {"priority": 1, "targets": Targets(resolution=4 * H)}


def open_p1(db: Database, intake: Intake, **policy: Any) -> int:
    """The policy P1 (4 hours to resolve, unless `policy` says otherwise) and an incident opened under it."""
    with db.transaction() as session:
        add_policy(session, name="P1", **{**P1, **policy})
    return intake.record(RAW, critical("db")).incident_id or 0


def edit(db: Database, name: str = "P1", new_name: str | None = None, **terms: Any) -> Edit:
    """Give the policy `name` P1's terms but those given."""
    given: dict[str, Any] = {"calendar": None, "service": None, "category": None, "organisation": None, "kind": None,
                             "warn_at": DEFAULT_WARN_AT, **P1, **terms}  # fmt: skip
    with db.transaction() as session:
        return edit_policy(session, name, PolicyTerms(**given), by=ADMIN, new_name=new_name)


# -- policies ------------------------------------------------------------------------------------------------------


def test_a_new_target_moves_the_due_times_of_the_incidents_under_it_and_their_timeline_says_so(
    db: Database, intake: Intake
) -> None:
    opened = open_p1(db, intake)
    done = edit(db, targets=Targets(resolution=8 * H))
    assert (done.changed, done.replanned) == (True, Replanned(moved=1, kept=0, stopped=0))
    replanned = incident(db, opened)
    assert replanned.sla_due_at == replanned.first_seen + 8 * H and replanned.sla_next_at == replanned.sla_warn_at
    assert sla_timeline(db, opened)[-1] == "SLA re-planned under P1 (SLA policy P1 was changed)"


def test_incidents_opened_after_an_edit_get_its_new_terms(db: Database, intake: Intake) -> None:
    open_p1(db, intake)  # the intake has read the policies once
    edit(db, targets=Targets(resolution=2 * H))
    later = incident(db, intake.record(RAW, critical("web")).incident_id or 0)
    assert later.sla_due_at == later.first_seen + 2 * H


def test_an_incident_whose_terms_did_not_change_keeps_its_clocks_as_they_are_and_hears_nothing(
    db: Database, intake: Intake
) -> None:
    opened = open_p1(db, intake)
    with db.transaction() as session:  # two hours waiting on the requester moved its due time on by two hours
        conn = session.connection()
        sla_pauses.pause(conn, opened, now=utcnow())
        sla_pauses.resume(conn, sla.SlaBookCache().current(conn), opened, now=utcnow() + 2 * H)
    waited = incident(db, opened)
    assert edit(db, new_name="P1 everything").replanned == Replanned(moved=0, kept=1, stopped=0)
    kept = incident(db, opened)
    assert (kept.sla_due_at, kept.sla_warn_at, kept.sla_next_at) == (waited.sla_due_at, waited.sla_warn_at,
                                                                     waited.sla_next_at)  # fmt: skip
    assert sla_timeline(db, opened) == ["SLA P1: resolution due " + f"{waited.first_seen + 4 * H:%Y-%m-%d %H:%M} UTC"]


def test_a_new_warning_share_moves_the_warnings_without_a_timeline_line(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake)
    assert edit(db, warn_at=0.5).replanned == Replanned(moved=0, kept=1, stopped=0)
    warned = incident(db, opened)
    assert (warned.sla_warn_at, warned.sla_due_at) == (warned.first_seen + 2 * H, warned.first_seen + 4 * H)
    assert len(sla_timeline(db, opened)) == 1  # the opening's


def test_the_next_update_deadline_stands_when_only_the_resolution_target_changes(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake, targets=Targets(next_update=2 * H, resolution=4 * H))
    intake.record(RAW, critical("db", Action.ACKNOWLEDGE))
    answered = incident(db, opened)
    assert answered.sla_update_due_at is not None
    edit(db, targets=Targets(next_update=2 * H, resolution=8 * H))
    replanned = incident(db, opened)
    assert replanned.sla_update_due_at == answered.sla_update_due_at
    assert replanned.sla_due_at == replanned.first_seen + 8 * H


def test_narrowed_so_it_no_longer_fits_an_incident_moves_under_the_policy_that_does(
    db: Database, intake: Intake
) -> None:
    with db.transaction() as session:
        catalogue.add_service(session, name="mail")
    opened = open_p1(db, intake)
    with db.transaction() as session:
        add_policy(session, name="P1 slow", priority=1, targets=Targets(resolution=8 * H))
    assert edit(db, service="mail").replanned == Replanned(moved=1, kept=0, stopped=0)
    moved = incident(db, opened)
    assert moved.sla_due_at == moved.first_seen + 8 * H
    assert sla_timeline(db, opened)[-1] == "SLA re-planned under P1 slow (SLA policy P1 was changed)"


def test_with_no_policy_fitting_after_the_edit_the_clocks_stop_and_the_timeline_says_why(
    db: Database, intake: Intake
) -> None:
    opened = open_p1(db, intake)
    assert edit(db, priority=2).replanned == Replanned(moved=0, kept=0, stopped=1)
    stopped = incident(db, opened)
    assert (stopped.sla_policy_id, stopped.sla_due_at, stopped.sla_next_at) == (None, None, None)
    assert sla_timeline(db, opened)[-1] == "SLA clocks stopped (SLA policy P1 was changed): no policy fits"


def test_resolved_incidents_keep_their_clocks(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake)
    intake.record(RAW, critical("db", Action.RESOLVE))
    due = incident(db, opened).sla_due_at
    assert edit(db, targets=Targets(resolution=H)).replanned == Replanned(0, 0, 0)
    assert incident(db, opened).sla_due_at == due


def test_an_edit_to_what_it_already_is_changes_nothing(db: Database, intake: Intake) -> None:
    opened = open_p1(db, intake)
    before = sla_revision(db)
    assert edit(db, calendar="", service=" ") == Edit("P1", changed=False)
    assert sla_revision(db) == before and len(sla_timeline(db, opened)) == 1


def test_a_change_is_audited_by_whoever_made_it_with_what_it_did_to_the_clocks_and_no_change_is_not(
    db: Database, intake: Intake
) -> None:
    open_p1(db, intake)
    edit(db, calendar="")
    edit(db, new_name="P1 mail", targets=Targets(resolution=2 * H))
    with db.read() as session:
        [entry] = session.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target) == (ADMIN, "sla.change", "P1 mail")
    assert {"renamed_from": "P1", "replanned": 1, "kept": 0, "stopped": 0}.items() <= (entry.detail or {}).items()


def test_an_edit_is_checked_as_a_new_policy_is_naming_the_field(db: Database, intake: Intake) -> None:
    open_p1(db, intake)
    with db.transaction() as session:
        add_policy(session, name="P2", priority=2, targets=Targets(resolution=8 * H))
    with pytest.raises(BadField, match="no calendar 'office'") as refused:
        edit(db, calendar="office")
    assert refused.value.field == "calendar"
    with pytest.raises(BadField, match="already a policy named 'P2'") as refused:
        edit(db, new_name="P2")
    assert refused.value.field == "name"


def test_an_unknown_policy_is_refused_with_the_command_that_lists_them(db: Database) -> None:
    with pytest.raises(Missing, match="no SLA policy 'P9'; `switchboard sla list` shows them"):
        edit(db, "P9")


# -- calendars -----------------------------------------------------------------------------------------------------


def test_a_calendar_edit_replans_the_incidents_under_every_policy_on_it(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", **OFFICE)
        add_policy(session, name="P1", calendar="office", **P1)
        add_policy(session, name="P2", priority=2, calendar="office", targets=Targets(resolution=8 * H))
    opened = [intake.record(RAW, critical("db")).incident_id or 0,
              intake.record(RAW, InboundEvent(source="generic", title="slow", severity="high",
                                              dedup_key="web")).incident_id or 0]  # fmt: skip
    # An hour open in every three: no due time falls where it did round the clock, whatever the time of day the
    # test runs at (with 00:00-12:00, incidents opened before 04:00 UTC kept theirs).
    thinner = "mon-sun 00:00-01:00,03:00-04:00,06:00-07:00,09:00-10:00,12:00-13:00,15:00-16:00,18:00-19:00,21:00-22:00"
    with db.transaction() as session:
        done = edit_calendar(session, "office", CalendarTerms(**{**OFFICE, "hours": thinner}), by=ADMIN)
    assert done.replanned == Replanned(moved=2, kept=0, stopped=0)
    assert describe(done) == "2 unresolved incident(s) re-planned, as their timelines say"
    for incident_id in opened:
        assert sla_timeline(db, incident_id)[-1].endswith("(calendar office was changed)")


def test_a_calendar_edit_is_checked_as_a_new_calendar_is_naming_the_field(db: Database) -> None:
    with db.transaction() as session:
        add_calendar(session, name="office", **OFFICE)
    for terms, field in (({"tz": "Berlin"}, "tz"), ({"hours": "weekdays"}, "hours"), ({"country": "XX"}, "holidays")):
        with pytest.raises(BadField) as refused, db.transaction() as session:
            edit_calendar(session, "office", CalendarTerms(**{**OFFICE, **terms}), by=ADMIN)
        assert refused.value.field == field


def test_a_calendar_keeps_its_holidays_renamed(db: Database) -> None:
    closed = calendars.parse_dates(["2026-12-24", " 2026-12-31 "])
    with db.transaction() as session:
        add_calendar(session, name="office", **OFFICE)
        terms = CalendarTerms(tz="Europe/Berlin", hours="mon-fri 09:00-17:00", country="DE", subdivision="BY",
                              dates=closed)  # fmt: skip
        edit_calendar(session, "office", terms, by=ADMIN, new_name="office-berlin")
    with db.read() as session:
        [row] = session.scalars(select(BusinessCalendar)).all()
        assert calendars.describe_calendar(row) == (
            "office-berlin: Europe/Berlin, mon-fri 09:00-17:00; holidays DE-BY; 2 more holiday date(s)"
        )
