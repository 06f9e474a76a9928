"""Approvals on incidents (hub/approvals.py): asked of a named active user, decided once by them, or withdrawn;
each one transaction with its timeline entry and its mail. On SQLite and PostgreSQL, whose row locks are what keep
two decisions at once from both landing."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from hub import approval_links, approvals, triage
from hub.accounts import change_user, create_user
from hub.agent_action import Actor, Mail, TriageError
from hub.approvals import AlreadyDecided, NotTheApprover
from hub.db import Database
from hub.intake import Intake
from hub.models import OutboxMessage
from hub.outbox import body_of
from hub.signed_links import StaleLink
from hub.verifying_keys import VerifyingKeys
from tests.hub.test_triage import open_email, timeline
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

AGENT = Actor("agent@example.com")
MANAGER = "manager@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
SECRET = "s" * 32


@pytest.fixture
def people(db: Database) -> None:
    with db.transaction() as session:
        create_user(session, email="agent@example.com", password="correct horse battery", role="agent")
        create_user(session, email=MANAGER, password="correct horse battery", role="viewer")


def mails(db: Database, incident_id: int, kind: str) -> list[OutboxMessage]:
    with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.incident_id == incident_id, OutboxMessage.kind == kind)
        return list(session.scalars(query))


@pytest.mark.usefixtures("people")
def test_asking_records_the_approval_on_the_timeline_and_mails_the_approver(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, "Manager@Example.com", "Within budget?", AGENT, MAIL)
    assert (asked.approver, asked.asked_by, asked.state) == (MANAGER, "agent@example.com", "pending")
    assert ("approval", f"Approval asked of {MANAGER} by agent@example.com: Within budget?") in timeline(
        db, incident_id
    )
    [mail] = mails(db, incident_id, "approval_asked")
    assert mail.recipient == MANAGER


@pytest.mark.usefixtures("people")
def test_the_mail_carries_a_signed_link_naming_the_approval_and_the_approver(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    [mail] = mails(db, incident_id, "approval_asked")
    text, _ = body_of(mail, secret_key=SECRET)
    token = text.split("https://desk.example.com/approve/")[1].split()[0]
    claim = approval_links.read(VerifyingKeys(SECRET), token)
    assert (claim.incident_id, claim.person) == (asked.id, MANAGER)


@pytest.mark.usefixtures("people")
def test_asking_someone_who_is_no_active_user_is_refused(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    with pytest.raises(TriageError, match="not an active user"):
        approvals.ask(db, incident_id, "stranger@example.com", "", AGENT, MAIL)
    with db.transaction() as session:
        change_user(session, MANAGER, active=False)
    with pytest.raises(TriageError, match="not an active user"):
        approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)


@pytest.mark.usefixtures("people")
def test_asking_the_same_person_twice_while_pending_is_refused(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    with pytest.raises(TriageError, match=r"pending on INC-\d+ already"):
        approvals.ask(db, incident_id, MANAGER, "again", AGENT, MAIL)


@pytest.mark.usefixtures("people")
def test_a_resolved_incident_asks_nobody(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    with pytest.raises(TriageError, match="reopen it"):
        approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)


@pytest.mark.usefixtures("people")
def test_the_approver_approves_and_whoever_asked_is_mailed_the_comment(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    decided = approvals.decide(db, asked.id, "approve", "Go ahead", Actor(MANAGER), MAIL)
    assert (decided.state, decided.comment) == ("approved", "Go ahead")
    assert ("approval", f"Approved by {MANAGER}: Go ahead") in timeline(db, incident_id)
    [mail] = mails(db, incident_id, "approval_decided")
    assert mail.recipient == "agent@example.com"
    assert "Go ahead" in body_of(mail)[0]


@pytest.mark.usefixtures("people")
def test_a_rejection_is_recorded_as_one(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    assert ("approval", f"Rejected by {MANAGER}: Not this quarter") in timeline(db, incident_id)


@pytest.mark.usefixtures("people")
def test_a_decision_on_an_approval_asked_by_no_user_mails_the_assignee(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.assign(db, incident_id, "agent@example.com", Actor("a token"), MAIL)
    asked = approvals.ask(db, incident_id, MANAGER, "", Actor("token:automation"), MAIL)
    assert asked.asked_by == "token:automation"  # shown as the asker, but no one to mail
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    assert [m.recipient for m in mails(db, incident_id, "approval_decided")] == ["agent@example.com"]


@pytest.mark.usefixtures("people")
def test_only_the_approver_decides(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    with pytest.raises(NotTheApprover):
        approvals.decide(db, asked.id, "approve", "", AGENT, MAIL)
    with db.read() as session:
        assert approvals.get(session, asked.id).state == "pending"


@pytest.mark.usefixtures("people")
def test_a_second_decision_is_refused_and_the_first_stands(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    approvals.decide(db, asked.id, "approve", "yes", Actor(MANAGER), MAIL)
    with pytest.raises(AlreadyDecided, match="approved already"):
        approvals.decide(db, asked.id, "reject", "no", Actor(MANAGER), MAIL)
    with db.read() as session:
        assert approvals.get(session, asked.id).comment == "yes"


def decided_at_once(db: Database, approval_id: int, decisions: Sequence[str]) -> list[str]:
    """The manager's `decisions` on one approval, each clicked from its own thread at once: what each came to, the
    decision or "refused" (AlreadyDecided), in the order they finished."""
    outcomes: list[str] = []

    def click(decision: str) -> None:
        try:
            approvals.decide(db, approval_id, decision, "", Actor(MANAGER), MAIL)
            outcomes.append(decision)
        except AlreadyDecided:
            outcomes.append("refused")

    clicks = [threading.Thread(target=click, args=(d,)) for d in decisions]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    return outcomes


@pytest.mark.usefixtures("people")
def test_two_decisions_at_once_leave_exactly_one(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    outcomes = decided_at_once(db, asked.id, ("approve", "reject"))
    assert len(outcomes) == 2 and outcomes.count("refused") == 1  # either may win; the other is told it is decided
    assert len([s for k, s in timeline(db, incident_id) if s.startswith(("Approved", "Rejected"))]) == 1


@pytest.mark.usefixtures("people")
def test_withdrawing_ends_a_pending_approval_and_its_link(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    approvals.withdraw(db, asked.id, AGENT, MAIL)
    assert ("approval", f"Approval withdrawn (asked of {MANAGER}) by agent@example.com") in timeline(db, incident_id)
    with pytest.raises(AlreadyDecided, match="withdrawn already"):
        approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    approvals.ask(db, incident_id, MANAGER, "asked again", AGENT, MAIL)  # no longer pending: may be asked again


@pytest.mark.usefixtures("people")
def test_withdrawing_mails_the_approver_that_it_is_no_longer_needed(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    approvals.withdraw(db, asked.id, AGENT, MAIL)
    [mail] = mails(db, incident_id, "approval_withdrawn")
    assert mail.recipient == MANAGER


@pytest.mark.usefixtures("people")
def test_withdrawing_mails_no_approver_who_is_no_longer_active(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    with db.transaction() as session:
        change_user(session, MANAGER, active=False)
    approvals.withdraw(db, asked.id, AGENT, MAIL)
    assert mails(db, incident_id, "approval_withdrawn") == []
    assert ("approval", f"Approval withdrawn (asked of {MANAGER}) by agent@example.com") in timeline(db, incident_id)


@pytest.mark.usefixtures("people")
def test_a_link_names_no_approval_once_its_approver_is_deactivated(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    claim = approval_links.read(VerifyingKeys(SECRET), approval_links.LINKS.sign(SECRET, asked.id, MANAGER))
    with db.transaction() as session:
        change_user(session, MANAGER, active=False)
    with db.read() as session, pytest.raises(StaleLink):
        approvals.by_link(session, claim)


@pytest.mark.usefixtures("people")
def test_an_incident_awaits_approval_while_one_is_pending(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    with db.reader() as conn:
        assert approvals.pending_among(conn, [incident_id]) == set()
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    with db.reader() as conn:
        assert approvals.pending_among(conn, [incident_id]) == {incident_id}
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    with db.reader() as conn:
        assert approvals.pending_among(conn, [incident_id]) == set()


@pytest.mark.usefixtures("people")
def test_a_hostile_title_and_note_arrive_as_text_in_the_html_mail(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake)
    triage.retitle(db, incident_id, "<script>alert(1)</script>", AGENT)
    approvals.ask(db, incident_id, MANAGER, '<img src=x onerror="alert(2)">', AGENT, MAIL)
    [mail] = mails(db, incident_id, "approval_asked")
    _, html = body_of(mail, secret_key=SECRET)
    assert html is not None and "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
