"""Reminders of pending approvals (hub/approval_reminders.py): the dispatcher's step, run at chosen moments (its
`now`, as the other upkeep steps are tested), mails the approver once per period, skips approvers no longer active
and resolved incidents, and claims each reminder so two dispatchers never both send it. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub import approval_links, approval_reminders, approvals
from hub.accounts import change_user, create_user
from hub.agent_action import Actor, Mail, TriageError
from hub.approval_reminders import DUE, Due, remind, remind_due
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import Approval, Incident, OutboxMessage
from hub.outbox import body_of
from hub.verifying_keys import VerifyingKeys
from tests.hub.test_triage import open_email, timeline
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

AGENT = Actor("agent@example.com")
MANAGER = "manager@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
SECRET = "s" * 32
EVERY = timedelta(hours=48)


@pytest.fixture
def people(db: Database) -> None:
    with db.transaction() as session:
        create_user(session, email="agent@example.com", password="correct horse battery", role="agent")
        create_user(session, email=MANAGER, password="correct horse battery", role="viewer")


@pytest.fixture
def asked(db: Database, intake: Intake, people: None) -> approvals.Approval:
    return approvals.ask(db, open_email(intake), MANAGER, "Within budget?", AGENT, MAIL)


def reminders(db: Database, incident_id: int) -> list[OutboxMessage]:
    with db.read() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.incident_id == incident_id, OutboxMessage.kind == "approval_reminder"
        )
        return list(session.scalars(query))


def test_no_reminder_before_the_period_has_passed(db: Database, asked: approvals.Approval) -> None:
    assert remind_due(db, MAIL, EVERY, now=asked.asked_at + EVERY - timedelta(minutes=1)) == 0
    assert reminders(db, asked.incident_id) == []


def test_the_approver_is_reminded_once_the_period_has_passed(db: Database, asked: approvals.Approval) -> None:
    assert remind_due(db, MAIL, EVERY, now=asked.asked_at + EVERY + timedelta(minutes=1)) == 1
    [mail] = reminders(db, asked.incident_id)
    assert mail.recipient == MANAGER
    assert ("approval", f"Reminder sent to {MANAGER}: approval {asked.id} has waited 2 days") in timeline(
        db, asked.incident_id
    )


def test_the_reminder_says_who_asked_how_long_it_waited_and_carries_a_fresh_link(
    db: Database, asked: approvals.Approval
) -> None:
    remind_due(db, MAIL, EVERY, now=asked.asked_at + timedelta(days=3))
    [mail] = reminders(db, asked.incident_id)
    text, _ = body_of(mail, secret_key=SECRET)
    assert f"INC-{asked.incident_id} has waited 3 days for your approval: Printer is broken" in text
    assert "Asked by: agent@example.com" in text and "Within budget?" in text
    token = text.split("https://desk.example.com/approve/")[1].split()[0]
    claim = approval_links.read(VerifyingKeys(SECRET), token)
    assert (claim.incident_id, claim.person) == (asked.id, MANAGER)


def test_the_approver_is_not_reminded_twice_within_a_period(db: Database, asked: approvals.Approval) -> None:
    first = asked.asked_at + EVERY + timedelta(minutes=1)
    remind_due(db, MAIL, EVERY, now=first)
    assert remind_due(db, MAIL, EVERY, now=first + EVERY - timedelta(minutes=2)) == 0
    assert remind_due(db, MAIL, EVERY, now=first + EVERY) == 1
    assert len(reminders(db, asked.incident_id)) == 2


def test_a_dispatcher_that_read_the_approval_before_another_reminded_it_sends_nothing(
    db: Database, asked: approvals.Approval
) -> None:
    now = asked.asked_at + EVERY + timedelta(minutes=1)
    with db.read() as session:
        [row] = session.execute(DUE, {"cutoff": now - EVERY, "batch": 10}).all()
    remind_due(db, MAIL, EVERY, now=now)  # the other dispatcher, first
    with db.transaction() as session:
        assert not approval_reminders._claimed(session.connection(), Due(**row._mapping), now)
    assert len(reminders(db, asked.incident_id)) == 1


def test_a_decided_approval_is_not_chased(db: Database, asked: approvals.Approval) -> None:
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    assert remind_due(db, MAIL, EVERY, now=asked.asked_at + timedelta(days=5)) == 0


def test_an_approver_no_longer_active_is_not_reminded_and_the_timeline_says_so_once(
    db: Database, asked: approvals.Approval
) -> None:
    with db.transaction() as session:
        change_user(session, MANAGER, active=False)
    for days in (3, 6, 9):
        assert remind_due(db, MAIL, EVERY, now=asked.asked_at + timedelta(days=days)) == 0
    assert reminders(db, asked.incident_id) == []
    said = [s for kind, s in timeline(db, asked.incident_id) if s.startswith("No reminder sent")]
    assert said == [f"No reminder sent for approval {asked.id}: {MANAGER} is no longer active; ask someone else"]


def test_an_approval_on_a_resolved_incident_is_not_chased(db: Database, asked: approvals.Approval) -> None:
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == asked.incident_id).values(status="resolved"))
    assert remind_due(db, MAIL, EVERY, now=asked.asked_at + timedelta(days=3)) == 0
    assert reminders(db, asked.incident_id) == []


def test_many_due_approvals_are_all_reminded_in_batches(db: Database, intake: Intake, people: None) -> None:
    ids = [open_email(intake, message_id=f"<m{n}@example.org>") for n in range(5)]
    for incident_id in ids:
        approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    assert remind_due(db, MAIL, EVERY, now=datetime.now().astimezone() + timedelta(days=3), batch=2) == 5


def test_the_step_is_off_when_the_period_is_zero(db: Database, settings: Settings, asked: approvals.Approval) -> None:
    with db.transaction() as session:
        session.execute(update(Approval).values(asked_at=asked.asked_at - timedelta(days=30)))
    assert approval_reminders.chore(replace(settings, approval_remind_hours=0), db)() == 0
    assert approval_reminders.chore(settings, db)() == 1  # the default: 48 hours


def test_the_due_approvals_are_found_through_their_index(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics; an empty table is scanned whatever its indexes")
    with db.reader() as conn:
        sql = str(DUE.compile(dialect=conn.dialect))
        cutoff = "2026-01-01 00:00:00"
        found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("pending", cutoff, "pending", cutoff, 200, 0)).all()
    steps = " ".join(str(row[-1]) for row in found)
    # Each arm a range of the index: never reminded and asked before the cutoff; last reminded before it.
    assert "INDEX ix_approvals_state_reminded (state=? AND reminded_at=? AND asked_at<?)" in steps
    assert "INDEX ix_approvals_state_reminded (state=? AND reminded_at<?)" in steps and "SCAN approvals" not in steps


def test_an_agent_reminds_now_and_the_next_reminder_waits_a_whole_period(
    db: Database, asked: approvals.Approval
) -> None:
    soon = asked.asked_at + timedelta(hours=1)
    remind(db, asked.id, AGENT, MAIL, now=soon)
    assert ("approval", f"Reminder sent to {MANAGER}: approval {asked.id} has waited 1 hour (sent by "
            "agent@example.com)") in timeline(db, asked.incident_id)  # fmt: skip
    assert remind_due(db, MAIL, EVERY, now=asked.asked_at + EVERY + timedelta(minutes=1)) == 0
    assert remind_due(db, MAIL, EVERY, now=soon + EVERY) == 1


def test_reminding_a_decided_approval_now_is_refused(db: Database, asked: approvals.Approval) -> None:
    approvals.withdraw(db, asked.id, AGENT, MAIL)
    with pytest.raises(TriageError, match="is withdrawn; only a pending approval is chased"):
        remind(db, asked.id, AGENT, MAIL)
