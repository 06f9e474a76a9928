"""What a request type's approver's answer does to the request (hub/approval_outcome.py): a rejection resolves it
with "Not approved: <why>", naming no one, an approval tells its requester; an agent's own approvals do neither. On
SQLite and PostgreSQL, whose row locks keep two decisions at once from both landing."""

from __future__ import annotations

import pytest

from hub import approvals, groups, my_requests, request_links, request_types, triage
from hub.agent_action import Actor, Mail
from hub.approvals import Approval
from hub.db import Database
from hub.domain import InboundEvent, MailFacts
from hub.intake import Intake, Raw
from hub.models import OutboxMessage, utcnow
from hub.outbox import body_of
from hub.signed_links import Claim
from tests.hub.test_approvals import decided_at_once, mails
from tests.hub.test_triage import incident, open_email, outbox, timeline
from tests.staff import agents
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (the fixture `settings`)

MANAGER = "manager@example.com"
WORKER = "hw@example.com"
REQUESTER = "carol@example.org"
AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")


@pytest.fixture
def laptops(db: Database) -> None:
    """The New laptop request type: the hardware group fulfils it, a manager who is a viewer approves it."""
    with db.transaction() as session:
        agents(session, MANAGER, role="viewer")
        agents(session, AGENT.name)
        groups.save_group(session, "hardware", agents(session, WORKER))
        request_types.add(session, name="New laptop", summary="A laptop for a new starter", group="hardware",
                          questions=[], approver=MANAGER)  # fmt: skip


def requested(intake: Intake, requester: str = REQUESTER, name: str | None = None) -> tuple[int, Approval]:
    """A New laptop request mailed in by its requester (From `name`, when given), and the approval its type asked as
    it opened."""
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Laptop\r\n\r\nFor Dana")
    event = InboundEvent(source="email", title="A laptop for Dana", requester=requester,
                         message_id="<laptop@example.org>", request_type="New laptop",
                         mail=MailFacts(sender_name=name) if name else None)  # fmt: skip
    incident_id = intake.record(raw, event).incident_id
    assert incident_id is not None
    with intake.db.read() as session:
        [asked] = approvals.of_incident(session, incident_id)
    return incident_id, asked


def to_requester(db: Database, incident_id: int) -> list[OutboxMessage]:
    """What was owed to the requester since the acknowledgement of their request."""
    return [m for m in outbox(db, incident_id) if m.recipient == REQUESTER and m.kind != "acknowledgement"]


@pytest.mark.usefixtures("laptops")
def test_a_rejection_resolves_the_request_saying_why_and_only_the_timeline_who(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    rejected = incident(db, incident_id)
    assert (rejected.status, rejected.resolution) == ("resolved", "Not approved: Not this quarter")
    assert ("resolved", f"Resolved by {MANAGER}") in timeline(db, incident_id)


@pytest.mark.usefixtures("laptops")
def test_a_rejection_mails_the_requester_the_resolution_and_the_group_the_decision(
    db: Database, intake: Intake
) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    [resolution] = to_requester(db, incident_id)
    assert resolution.template == "requester_resolved"
    body = body_of(resolution)[0]
    assert "Not approved: Not this quarter" in body and MANAGER not in body
    assert [m.recipient for m in mails(db, incident_id, "approval_decided")] == [WORKER]


@pytest.mark.usefixtures("laptops")
def test_the_approval_mail_greets_the_requester_by_the_name_their_mail_gave(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake, name="Carol Diaz")
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    [approved] = to_requester(db, incident_id)
    assert approved.template == "requester_approved" and body_of(approved)[0].startswith("Hello Carol Diaz,")


@pytest.mark.usefixtures("laptops")
def test_a_rejection_without_a_comment_resolves_as_not_approved(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "", Actor(MANAGER), MAIL)
    assert incident(db, incident_id).resolution == "Not approved."


@pytest.mark.usefixtures("laptops")
def test_the_requesters_page_and_list_say_a_rejected_request_was_not_approved(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    claim = Claim(incident_id, REQUESTER)
    with db.read() as session:
        page = request_links.view(session, claim)
        [listed] = my_requests.listing(session, Claim(0, REQUESTER), utcnow()).requests
    assert (page.label, page.explanation) == request_links.REJECTED
    assert page.resolution == "Not approved: Not this quarter"
    assert listed.label == "Not approved"


@pytest.mark.usefixtures("laptops")
def test_a_request_resolved_otherwise_is_said_resolved(db: Database, intake: Intake) -> None:
    incident_id, _ = requested(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Dana took an old one")
    with db.read() as session:
        assert request_links.view(session, Claim(incident_id, REQUESTER)).label == "Resolved"


def label(db: Database, incident_id: int) -> tuple[str, str]:
    """What the requester's page and their list call the request."""
    with db.read() as session:
        page = request_links.view(session, Claim(incident_id, REQUESTER))
        [listed] = my_requests.listing(session, Claim(0, REQUESTER), utcnow()).requests
    return page.label, listed.label


@pytest.mark.usefixtures("laptops")
def test_an_agent_typing_the_rejections_words_resolves_it_as_any_resolution(db: Database, intake: Intake) -> None:
    incident_id, _ = requested(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Not approved: budget")
    assert label(db, incident_id) == ("Resolved", "Resolved")


@pytest.mark.usefixtures("laptops")
def test_a_rejected_request_reopened_and_resolved_again_is_said_resolved(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    triage.change_status(db, incident_id, "reopen", AGENT, MAIL)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Approved after all; Dana has one")
    assert label(db, incident_id) == ("Resolved", "Resolved")


@pytest.mark.usefixtures("laptops")
def test_a_rejected_request_its_requester_reopens_by_replying_is_no_longer_said_not_approved(
    db: Database, intake: Intake
) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    reply = InboundEvent(source="email", title="Re: A laptop for Dana", requester=REQUESTER, thread_ref=incident_id,
                         message_id="<again@example.org>", in_reply_to=("<laptop@example.org>",))  # fmt: skip
    intake.record(Raw(source="email", content_type="message/rfc822", body=b"Subject: Re\r\n\r\nPlease?"), reply)
    reopened = incident(db, incident_id)
    assert (reopened.status, reopened.not_approved) == ("open", False)


@pytest.mark.usefixtures("laptops")
def test_a_rejection_resolves_a_request_waiting_on_its_requester(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    triage.change_status(db, incident_id, "wait", AGENT, MAIL)
    approvals.decide(db, asked.id, "reject", "", Actor(MANAGER), MAIL)
    assert incident(db, incident_id).status == "resolved"


@pytest.mark.usefixtures("laptops")
def test_a_rejection_leaves_a_request_resolved_meanwhile_as_it_is_and_says_so(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution="Dana took an old one")
    approvals.decide(db, asked.id, "reject", "Not this quarter", Actor(MANAGER), MAIL)
    left = incident(db, incident_id)
    assert (left.status, left.resolution) == ("resolved", "Dana took an old one")
    assert ("approval", f"INC-{incident_id} was resolved already, so the rejection leaves it as it is") in timeline(
        db, incident_id
    )
    assert len([m for m in to_requester(db, incident_id) if m.template == "requester_resolved"]) == 1


@pytest.mark.usefixtures("laptops")
def test_an_approval_tells_the_requester_the_desk_goes_ahead_and_leaves_it_open(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    approvals.decide(db, asked.id, "approve", "Charge it to R&D", Actor(MANAGER), MAIL)
    assert incident(db, incident_id).status == "open"
    [told] = to_requester(db, incident_id)
    assert told.template == "requester_approved"
    text, _ = body_of(told)
    assert f"Your request INC-{incident_id} was approved; the desk is working on it" in text
    assert "Charge it to R&D" not in text and MANAGER not in text
    assert ("notification", f"approved to {REQUESTER} queued") in timeline(db, incident_id)


@pytest.mark.usefixtures("laptops")
def test_an_approval_is_not_mailed_to_a_requester_the_gate_refuses_and_the_timeline_says_why(
    db: Database, intake: Intake
) -> None:
    incident_id, asked = requested(intake, requester="noreply@example.org")
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    assert mails(db, incident_id, "approved") == []
    assert ("notification", "No mail to noreply@example.org about the approval: the address is one only automatic "
            "mail comes from (no-reply)") in timeline(db, incident_id)  # fmt: skip


@pytest.mark.usefixtures("laptops")
def test_an_approval_of_a_request_resolved_meanwhile_tells_the_requester_nothing(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    assert [m.template for m in to_requester(db, incident_id)] == ["requester_resolved"]
    assert ("notification", f"{REQUESTER} not told of the approval: the request is resolved already") in timeline(
        db, incident_id
    )


@pytest.mark.usefixtures("laptops")
def test_an_agents_rejection_leaves_the_request_open_and_its_requester_unmailed(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake, requester=REQUESTER)
    asked = approvals.ask(db, incident_id, MANAGER, "Internal: budget line?", AGENT, MAIL)
    approvals.decide(db, asked.id, "reject", "No budget", Actor(MANAGER), MAIL)
    assert incident(db, incident_id).status == "open"
    assert to_requester(db, incident_id) == []


@pytest.mark.usefixtures("laptops")
def test_an_agents_approval_does_not_mail_the_requester(db: Database, intake: Intake) -> None:
    incident_id = open_email(intake, requester=REQUESTER)
    asked = approvals.ask(db, incident_id, MANAGER, "", AGENT, MAIL)
    approvals.decide(db, asked.id, "approve", "", Actor(MANAGER), MAIL)
    assert to_requester(db, incident_id) == []


@pytest.mark.usefixtures("laptops")
def test_an_api_tokens_rejection_leaves_the_request_open(db: Database, intake: Intake) -> None:
    """A token is no user, as a request type is none, but it asked on purpose (and is named as the asker)."""
    incident_id = open_email(intake, requester=REQUESTER)
    asked = approvals.ask(db, incident_id, MANAGER, "", Actor("token:automation"), MAIL)
    assert asked.asked_by == "token:automation"
    approvals.decide(db, asked.id, "reject", "", Actor(MANAGER), MAIL)
    assert incident(db, incident_id).status == "open"


@pytest.mark.usefixtures("laptops")
def test_two_decisions_at_once_decide_and_resolve_at_most_once(db: Database, intake: Intake) -> None:
    incident_id, asked = requested(intake)
    outcomes = decided_at_once(db, asked.id, ("reject", "reject", "approve"))
    [decided] = [o for o in outcomes if o != "refused"]
    assert outcomes.count("refused") == 2
    said = [(kind, s) for kind, s in timeline(db, incident_id)]
    assert len([s for _, s in said if s.startswith(("Approved by", "Rejected by"))]) == 1
    assert [kind for kind, _ in said].count("resolved") == (decided == "reject")
    assert incident(db, incident_id).status == ("resolved" if decided == "reject" else "open")
