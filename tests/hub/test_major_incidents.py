"""Declaring an incident a major incident, handing it over and standing it down: who is paged, what is refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from hub import accounts, audit, groups, mail_choices, major_incidents, triage
from hub.agent_action import TriageError
from hub.db import Database
from hub.intake import Intake
from hub.mail_choices import MailChoices
from hub.models import Incident, MajorIncident, OutboxMessage, TimelineEntry
from hub.outbox import PER_INCIDENT
from tests.hub.majors import ANN, BOB, CAROL, GROUP, MAIL, declared, mailed, opened, rendered, staff
from tests.staff import agents, deactivate


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def timeline(db: Database, incident_id: int, kind: str) -> list[TimelineEntry]:
    with db.read() as session:
        query = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == kind)
        return list(session.scalars(query.order_by(TimelineEntry.id)))


def test_declaring_pages_the_coordinator_the_assignee_and_the_major_incident_group(
    db: Database, intake: Intake
) -> None:
    number = opened(intake, assignee="bob@example.com")
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="carol@example.com",
                            group=GROUP)  # fmt: skip
    assert mailed(db, number, "major_declared") == [
        "carol@example.com", "bob@example.com", "dave@example.com", "erin@example.com"
    ]  # fmt: skip


def test_a_page_says_what_why_who_coordinates_and_where(db: Database, intake: Intake) -> None:
    number = opened(intake)
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="bob@example.com")
    with db.read() as session:
        [page] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "major_declared"))
    assert page.subject == f"[INC-{number}] Major incident: Payroll is down"
    body = MAIL.templates.render_body("major_declared", page.facts or {})[0]
    assert "ann@example.com declared" in body and "Why: Nobody can run payroll" in body
    assert "Coordinator: bob@example.com (you)" in body and f"https://desk.example/incidents/INC-{number}" in body


def test_a_page_names_a_coordinator_who_has_a_display_name_beside_their_address(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        accounts.set_display_name(session, "bob@example.com", "Bob Stone")
    number = opened(intake)
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="bob@example.com")
    text, html = rendered(db, "major_declared", "bob@example.com")
    assert "Coordinator: Bob Stone (bob@example.com) (you)" in text
    assert "Coordinator: Bob Stone (bob@example.com) (you)" in html


def test_a_page_names_whoever_declared_it_by_their_display_name(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        accounts.set_display_name(session, "ann@example.com", "Ann Lee")
    number = opened(intake)
    major_incidents.declare(db, number, "Nobody can run payroll", ANN, MAIL, coordinator="bob@example.com")
    text, html = rendered(db, "major_declared", "bob@example.com")
    assert text.startswith("Ann Lee (ann@example.com) declared")
    assert "Ann Lee (ann@example.com) declared" in html


def test_a_stand_down_names_whoever_stood_it_down_by_their_display_name(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        accounts.set_display_name(session, "carol@example.com", "Carol King")
    number = declared(intake, coordinator="bob@example.com")
    major_incidents.stand_down(db, number, CAROL, MAIL)
    text, html = rendered(db, "major_stood_down", "bob@example.com")
    assert text.startswith("Carol King (carol@example.com) stood down the major incident")
    assert "Carol King (carol@example.com) stood down" in html


def test_whoever_declares_coordinates_unless_someone_is_named_and_is_not_paged(db: Database, intake: Intake) -> None:
    number = opened(intake, assignee="ann@example.com")
    assert major_incidents.declare(db, number, "Payroll down", ANN, MAIL, group=GROUP) == "ann@example.com"
    assert mailed(db, number, "major_declared") == ["dave@example.com", "erin@example.com"]


def test_an_assignee_in_the_group_is_paged_once(db: Database, intake: Intake) -> None:
    number = opened(intake, assignee="dave@example.com")
    major_incidents.declare(db, number, "Payroll down", ANN, MAIL, group=GROUP)
    assert mailed(db, number, "major_declared") == ["dave@example.com", "erin@example.com"]


def test_a_group_assignee_pages_its_active_members(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        groups.save_group(session, "dba", agents(session, "bob@example.com", "gone@example.com"))
    deactivate(db, "gone@example.com")  # after joining: still listed, never paged
    number = opened(intake, assignee="dba")
    major_incidents.declare(db, number, "Payroll down", ANN, MAIL)
    assert mailed(db, number, "major_declared") == ["bob@example.com"]


def test_declaring_is_on_the_timeline_and_in_the_audit_log(db: Database, intake: Intake) -> None:
    number = declared(intake, coordinator="bob@example.com")
    [said] = timeline(db, number, "major")
    assert said.summary == ("Declared a major incident by ann@example.com: Nobody can run payroll. "
                            "Coordinator: bob@example.com")  # fmt: skip
    with db.read() as session:
        [record] = audit.recent(session, action="incident.major")
    assert (record.actor, record.target) == ("ann@example.com", f"INC-{number}")
    assert record.detail == {"reason": "Nobody can run payroll", "coordinator": "bob@example.com"}


def test_declaring_twice_is_refused_naming_who_coordinates(db: Database, intake: Intake) -> None:
    number = declared(intake, coordinator="bob@example.com")
    said = "already a major incident, declared by ann@example.com and coordinated by bob@example.com; hand it over"
    with pytest.raises(TriageError, match=re.escape(said)):
        major_incidents.declare(db, number, "Still down", CAROL, MAIL)
    assert len(timeline(db, number, "major")) == 1


def test_the_database_holds_one_standing_declaration_per_incident(database: Database) -> None:
    with database.engine.begin() as conn:
        incident = conn.execute(insert(Incident).values(title="Payroll", source="desk")).inserted_primary_key[0]
        row = {"incident_id": incident, "reason": "down", "coordinator": "a@example.com", "declared_by": "a",
               "declared_at": datetime.now(UTC)}  # fmt: skip
        conn.execute(insert(MajorIncident).values(**row, ended_at=datetime.now(UTC)))  # one stood down: kept
        conn.execute(insert(MajorIncident).values(**row))
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(insert(MajorIncident).values(**row))


@pytest.mark.parametrize("reason", ["", "   ", "two\nlines", "x" * 501])
def test_a_declaration_needs_a_short_reason_on_one_line(db: Database, intake: Intake, reason: str) -> None:
    number = opened(intake)
    with pytest.raises(TriageError, match="the reason"):
        major_incidents.declare(db, number, reason, ANN, MAIL)


@pytest.mark.parametrize("who", ["vic@example.com", "stranger@example.com", "major-incident"])
def test_the_coordinator_is_an_active_agent_or_admin(db: Database, intake: Intake, who: str) -> None:
    number = opened(intake)
    with pytest.raises(TriageError, match=f"{who} is not an active agent or admin"):
        major_incidents.declare(db, number, "Payroll down", ANN, MAIL, coordinator=who)
    with db.read() as session:
        assert major_incidents.standing(session, number) is None


def test_a_resolved_incident_is_reopened_before_it_is_declared_major(db: Database, intake: Intake) -> None:
    number = opened(intake)
    triage.change_status(db, number, "resolve", ANN, MAIL)
    with pytest.raises(TriageError, match="is resolved; reopen it first"):
        major_incidents.declare(db, number, "Payroll down", ANN, MAIL)


def test_a_page_reaches_people_who_turned_their_other_mail_off(db: Database, intake: Intake) -> None:
    with db.transaction() as session:
        mail_choices.choose(session, "dave@example.com", MailChoices(assigned_up_to=0, watching=False))
    number = opened(intake, assignee="dave@example.com")
    major_incidents.declare(db, number, "Payroll down", ANN, MAIL, group=GROUP)
    assert "dave@example.com" in mailed(db, number, "major_declared")


def test_pages_to_a_group_larger_than_the_mail_cap_all_go(db: Database, intake: Intake) -> None:
    many = [f"oncall{n}@example.com" for n in range(PER_INCIDENT + 2)]
    with db.transaction() as session:
        for email in many:
            accounts.create_user(session, email=email, password="correct horse battery", role="agent")
        groups.save_group(session, "everyone", many)
    number = opened(intake)
    major_incidents.declare(db, number, "Payroll down", ANN, MAIL, group="everyone")
    assert mailed(db, number, "major_declared") == many


def test_a_major_incident_group_with_no_one_in_it_is_said_on_the_timeline(db: Database, intake: Intake) -> None:
    number = opened(intake)
    major_incidents.declare(db, number, "Payroll down", ANN, MAIL, coordinator="bob@example.com", group="mim")
    assert mailed(db, number, "major_declared") == ["bob@example.com"]
    assert any("The major-incident group mim has no active members" in e.summary
               for e in timeline(db, number, "notification"))  # fmt: skip


def test_standing_down_ends_it_tells_those_paged_and_is_audited(db: Database, intake: Intake) -> None:
    number = declared(intake, coordinator="bob@example.com")
    major_incidents.stand_down(db, number, CAROL, MAIL, note="Only the test payroll was down", group=GROUP)
    with db.read() as session:
        assert major_incidents.standing(session, number) is None
        [ended] = major_incidents.declarations(session, number)
        [record] = audit.recent(session, action="incident.stand_down")
    assert (ended.ended_by, ended.end_note) == ("carol@example.com", "Only the test payroll was down")
    assert record.target == f"INC-{number}"
    assert mailed(db, number, "major_stood_down") == ["bob@example.com", "dave@example.com", "erin@example.com"]
    [said] = timeline(db, number, "stood_down")
    assert said.summary == "Stood down as a major incident by carol@example.com: Only the test payroll was down"


def test_what_is_not_a_major_incident_cannot_be_stood_down(db: Database, intake: Intake) -> None:
    number = opened(intake)
    with pytest.raises(TriageError, match=f"INC-{number} is not a major incident"):
        major_incidents.stand_down(db, number, ANN, MAIL)


def test_a_resolved_major_incident_is_not_stood_down_since_its_review_is_owed(db: Database, intake: Intake) -> None:
    number = declared(intake, resolved=True)
    with pytest.raises(TriageError, match="its review is owed; to take back a declaration made in error, reopen it"):
        major_incidents.stand_down(db, number, ANN, MAIL)


def test_an_incident_stood_down_can_be_declared_again(db: Database, intake: Intake) -> None:
    number = declared(intake)
    major_incidents.stand_down(db, number, ANN, MAIL)
    major_incidents.declare(db, number, "It is back, worse", BOB, MAIL)
    with db.read() as session:
        assert [d.ended_at is None for d in major_incidents.declarations(session, number)] == [False, True]
        assert major_incidents.standing(session, number).coordinator == "bob@example.com"  # type: ignore[union-attr]


def test_handing_over_pages_the_new_coordinator_alone(db: Database, intake: Intake) -> None:
    number = declared(intake)
    assert major_incidents.hand_over(db, number, "bob@example.com", ANN, MAIL)
    assert not major_incidents.hand_over(db, number, "BOB@example.com", ANN, MAIL)
    with db.read() as session:
        assert major_incidents.standing(session, number).coordinator == "bob@example.com"  # type: ignore[union-attr]
    assert mailed(db, number, "major_declared")[-1:] == ["bob@example.com"]
    assert timeline(db, number, "major")[-1].summary == (
        "Coordination handed over from ann@example.com to bob@example.com by ann@example.com"
    )


def test_in_progress_lists_unresolved_major_incidents_longest_running_first(db: Database, intake: Intake) -> None:
    first = declared(intake)
    second = opened(intake, "Mail is down")
    major_incidents.declare(db, second, "No mail", ANN, MAIL, coordinator="bob@example.com")
    declared(intake, "VPN is down", resolved=True)
    opened(intake, "Printer jams")
    with db.read() as session:
        found = major_incidents.in_progress(session)
    assert [(m.ref, m.coordinator) for m in found] == [(f"INC-{first}", "ann@example.com"),
                                                       (f"INC-{second}", "bob@example.com")]  # fmt: skip


def test_reopening_a_resolved_major_incident_puts_it_back_in_progress(db: Database, intake: Intake) -> None:
    number = declared(intake, resolved=True)
    triage.change_status(db, number, "reopen", ANN, MAIL)
    with db.read() as session:
        assert [m.ref for m in major_incidents.in_progress(session)] == [f"INC-{number}"]


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_time_as_major_runs_until_the_incident_is_resolved() -> None:
    timeline = [(T0 + 3 * HOUR, "resolved")]
    assert major_incidents.time_as_major([(T0, None)], timeline, T0 + 3 * HOUR, T0 + 10 * HOUR) == 3 * HOUR


def test_time_as_major_runs_until_now_while_it_is_unresolved() -> None:
    assert major_incidents.time_as_major([(T0, None)], [(T0, "major")], None, T0 + 2 * HOUR) == 2 * HOUR


def test_time_as_major_adds_up_each_declaration_until_it_was_stood_down() -> None:
    spans = [(T0, T0 + HOUR), (T0 + 4 * HOUR, None)]
    timeline = [(T0 + HOUR, "stood_down"), (T0 + 6 * HOUR, "resolved")]
    assert major_incidents.time_as_major(spans, timeline, T0 + 6 * HOUR, T0 + 9 * HOUR) == 3 * HOUR


def test_time_as_major_leaves_out_the_gap_while_a_reopened_major_incident_was_resolved() -> None:
    """Declared at 0, resolved at 2, reopened at 5 (a requester's reply), resolved again at 6: 3 hours, not 6."""
    timeline = [(T0 + 2 * HOUR, "resolved"), (T0 + 5 * HOUR, "reopened"), (T0 + 6 * HOUR, "resolved")]
    assert major_incidents.time_as_major([(T0, None)], timeline, T0 + 6 * HOUR, T0 + 9 * HOUR) == 3 * HOUR


def test_time_as_major_runs_again_until_now_once_reopened() -> None:
    timeline = [(T0 + 2 * HOUR, "resolved"), (T0 + 3 * HOUR, "closed"), (T0 + 5 * HOUR, "open")]
    assert major_incidents.time_as_major([(T0, None)], timeline, None, T0 + 7 * HOUR) == 4 * HOUR


def test_time_as_major_ends_where_it_was_stood_down_after_a_reopening() -> None:
    spans = [(T0, T0 + 6 * HOUR)]
    timeline = [(T0 + HOUR, "resolved"), (T0 + 4 * HOUR, "open"), (T0 + 6 * HOUR, "stood_down")]
    assert major_incidents.time_as_major(spans, timeline, None, T0 + 9 * HOUR) == 3 * HOUR


def test_time_as_major_counts_nothing_from_before_it_was_declared() -> None:
    """Resolved and reopened before anyone declared it: only the time since the declaration counts."""
    timeline = [(T0 - 3 * HOUR, "resolved"), (T0 - 2 * HOUR, "reopened"), (T0 + HOUR, "resolved")]
    assert major_incidents.time_as_major([(T0, None)], timeline, T0 + HOUR, T0 + 9 * HOUR) == HOUR


def test_time_as_major_of_a_merged_duplicate_ends_when_it_was_closed() -> None:
    """A merge closes the duplicate with no resolved entry: its resolved_at says when."""
    timeline = [(T0 + 2 * HOUR, "merged")]
    assert major_incidents.time_as_major([(T0, None)], timeline, T0 + 2 * HOUR, T0 + 9 * HOUR) == 2 * HOUR
