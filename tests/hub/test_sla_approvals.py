"""An approval pending on an incident holds its SLA clocks still, as waiting on its requester does
(hub/sla_holds.py): paused when asked, running again when the last pending one is decided or withdrawn, with due
times moved on by the wait, which re-planning keeps too; the clocks run only when neither hold stands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub import approvals, request_types, sla, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.catalogue import Targets, add_policy
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from hub.intake_notices import NoticeSettings
from hub.models import Incident, SlaWait
from tests.hub.replanned import RAW, H, critical, incident, sla_timeline

AGENT = Actor("agent@example.com")
MANAGER, OWNER = "manager@example.com", "owner@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")


@pytest.fixture
def opened(db: Database, intake: Intake) -> Incident:
    """A P1 incident under a policy (4 hours to resolve, P3: 3 days) and the people who work and approve it."""
    with db.transaction() as session:
        create_user(session, email=AGENT.name, password="correct horse battery", role="agent")
        for approver in (MANAGER, OWNER):
            create_user(session, email=approver, password="correct horse battery", role="viewer")
        add_policy(session, name="P1", priority=1, targets=Targets(resolution=4 * H))
        add_policy(session, name="P3", priority=3, targets=Targets(resolution=72 * H))
    return incident(db, intake.record(RAW, critical("db")).incident_id or 0)


def asked(db: Database, incident_id: int, approver: str = MANAGER, hours_ago: int = 2) -> approvals.Approval:
    """Ask `approver`, as if the clocks had stood still since `hours_ago`."""
    approval = approvals.ask(db, incident_id, approver, "", AGENT, MAIL)
    with db.transaction() as session:
        paused = incident(db, incident_id).sla_paused_at
        assert paused is not None
        since = paused - timedelta(hours=hours_ago)
        session.execute(update(Incident).where(Incident.id == incident_id).values(sla_paused_at=since))
    return approval


def waited(db: Database, incident_id: int) -> timedelta:
    """How long the incident's completed waits lasted, all told."""
    with db.read() as session:
        rows = session.execute(select(SlaWait.started_at, SlaWait.ended_at).where(SlaWait.incident_id == incident_id))
        return sum((ended - started for started, ended in rows), timedelta())


def test_asking_an_approval_pauses_the_clocks_and_says_so(db: Database, opened: Incident) -> None:
    approvals.ask(db, opened.id, MANAGER, "", AGENT, MAIL)
    paused = incident(db, opened.id)
    assert (paused.sla_state, paused.sla_next_at) == ("paused", None) and paused.sla_paused_at is not None
    assert sla_timeline(db, opened.id)[-1] == "SLA clocks paused: awaiting approval"


def test_deciding_the_last_pending_approval_runs_the_clocks_again_moved_on_by_the_wait(
    db: Database, opened: Incident
) -> None:
    first, second = asked(db, opened.id), approvals.ask(db, opened.id, OWNER, "", AGENT, MAIL)
    approvals.decide(db, first.id, "approve", "", Actor(MANAGER), MAIL)
    assert incident(db, opened.id).sla_paused_at is not None  # the owner's is still pending
    approvals.decide(db, second.id, "reject", "", Actor(OWNER), MAIL)
    running = incident(db, opened.id)
    assert running.sla_paused_at is None and waited(db, opened.id) > 2 * H
    assert running.sla_due_at == opened.sla_due_at + waited(db, opened.id)
    assert sla_timeline(db, opened.id)[-1] == "SLA clocks run again: no approval pending"


def test_withdrawing_the_approval_runs_the_clocks_again_moved_on_by_the_wait(db: Database, opened: Incident) -> None:
    approval = asked(db, opened.id)
    approvals.withdraw(db, approval.id, AGENT, MAIL)
    running = incident(db, opened.id)
    assert running.sla_paused_at is None
    assert running.sla_due_at == opened.sla_due_at + waited(db, opened.id)


def test_the_requester_ending_a_wait_leaves_the_clocks_paused_while_an_approval_is_pending(
    db: Database, opened: Incident
) -> None:
    triage.change_status(db, opened.id, "wait", AGENT, MAIL)
    since = incident(db, opened.id).sla_paused_at
    approval = approvals.ask(db, opened.id, MANAGER, "", AGENT, MAIL)
    triage.change_status(db, opened.id, "resume", AGENT, MAIL)
    assert incident(db, opened.id).sla_paused_at == since
    approvals.decide(db, approval.id, "approve", "", Actor(MANAGER), MAIL)
    assert incident(db, opened.id).sla_paused_at is None
    with db.read() as session:
        assert session.scalar(select(SlaWait.started_at).where(SlaWait.incident_id == opened.id)) == since


def test_deciding_an_approval_while_the_incident_waits_leaves_the_clocks_paused_till_it_is_resumed(
    db: Database, opened: Incident
) -> None:
    approval = approvals.ask(db, opened.id, MANAGER, "", AGENT, MAIL)
    since = incident(db, opened.id).sla_paused_at
    triage.change_status(db, opened.id, "wait", AGENT, MAIL)
    approvals.decide(db, approval.id, "approve", "", Actor(MANAGER), MAIL)
    assert incident(db, opened.id).sla_paused_at == since
    triage.change_status(db, opened.id, "resume", AGENT, MAIL)
    assert incident(db, opened.id).sla_paused_at is None
    assert sla_timeline(db, opened.id) == [f"SLA P1: resolution due {opened.sla_due_at:%Y-%m-%d %H:%M} UTC",
                                           "SLA clocks paused: awaiting approval"]  # fmt: skip


def test_reopening_with_an_approval_still_pending_pauses_the_clocks_again(db: Database, opened: Incident) -> None:
    approvals.ask(db, opened.id, MANAGER, "", AGENT, MAIL)
    triage.change_status(db, opened.id, "resolve", AGENT, MAIL)
    assert incident(db, opened.id).sla_paused_at is None  # the resolution ended the wait
    triage.change_status(db, opened.id, "reopen", AGENT, MAIL)
    assert incident(db, opened.id).sla_state == "paused"


def test_a_request_types_approval_holds_the_clocks_from_the_requests_opening(
    db: Database, intake: Intake, opened: Incident
) -> None:
    with db.transaction() as session:
        request_types.add(session, name="New laptop", summary="A laptop", approver=MANAGER)
    event = InboundEvent(source="generic", title="A laptop", severity="critical", request_type="New laptop")
    request = incident(db, intake.record(RAW, event).incident_id or 0)
    assert request.sla_paused_at == request.first_seen and request.sla_policy_id is not None


def test_the_sweep_does_not_breach_an_incident_awaiting_approval(
    db: Database, settings: Settings, opened: Incident
) -> None:
    approvals.ask(db, opened.id, MANAGER, "", AGENT, MAIL)
    notices = NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url)
    assert sla.sweep(db, notices, now=opened.first_seen + 10 * H) == []
    assert incident(db, opened.id).sla_state == "paused"


def test_a_replan_after_an_approvals_wait_stands_still_through_it(db: Database, opened: Incident) -> None:
    since = opened.first_seen - 3 * H  # opened before the approval was asked, two hours ago
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == opened.id).values(first_seen=since))
    approvals.withdraw(db, asked(db, opened.id).id, AGENT, MAIL)
    triage.set_priority(db, opened.id, 3, AGENT)
    assert incident(db, opened.id).sla_due_at == since + 72 * H + waited(db, opened.id)
