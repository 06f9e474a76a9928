"""Approval mail through the real worker and relay: the approver gets the request with a signed link that opens
the decision page; whoever asked gets the decision; the approver hears when it is withdrawn, and is reminded
of one that waits."""

from __future__ import annotations

from datetime import timedelta

from hub import accounts, approval_links, approval_reminders, approvals
from hub.agent_action import Actor, Mail
from hub.approvals import Approval
from hub.domain import InboundEvent
from hub.intake import Outcome, Raw
from hub.mail_templates import MailTemplates
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts

HOSTILE = "<img src=x onerror=alert(1)>"


def ann_and_boss(parts: Parts) -> None:
    """Ann the agent who asks, and the boss asked to approve."""
    with parts.db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="correct horse", role="agent")
        accounts.create_user(session, email="boss@example.com", password="correct horse", role="viewer")


def mail_of(parts: Parts) -> Mail:
    """The installation's mail, as the page and the CLI pass it to the approval writes."""
    return Mail(parts.settings.desk_address, parts.settings.base_url, MailTemplates.at(parts.settings.home))


def asked_of_boss(parts: Parts, title: str) -> tuple[Outcome, Approval, Mail]:
    """An incident titled `title` whose approval Ann asked of the boss with no note: where most of these start."""
    ann_and_boss(parts)
    alert = InboundEvent(source="generic", title=title, dedup_key="figma")
    outcome = parts.intake.record(Raw(source="generic", content_type="application/json", body=b"{}"), alert)
    assert outcome.incident_id is not None
    mail = mail_of(parts)
    asked = approvals.ask(parts.db, outcome.incident_id, "boss@example.com", "", Actor("ann@example.com"), mail)
    return outcome, asked, mail


def test_the_approver_receives_the_request_with_a_link_signed_for_them(parts: Parts) -> None:
    ann_and_boss(parts)
    request = InboundEvent(source="email", title=f"Laptop {HOSTILE}", description=f"For Carol {HOSTILE}",
                           requester="carol@example.org", message_id="<laptop@example.org>")  # fmt: skip
    outcome = parts.intake.record(Raw(source="email", content_type="message/rfc822", body=b"x"), request)
    assert outcome.incident_id is not None
    mail = mail_of(parts)
    note, ann = f"Budget? {HOSTILE}", Actor("ann@example.com")
    asked = approvals.ask(parts.db, outcome.incident_id, "boss@example.com", note, ann, mail)

    deliver_everything(parts.queue, parts.db)
    [received] = [m.message for m in parts.sink.handler.wait_for(2) if m.message["To"] == "boss@example.com"]
    ref = f"INC-{outcome.incident_id}"
    assert received["Subject"] == f"[{ref}] Approval asked of you: Laptop {HOSTILE}"
    text = received.get_body(("plain",)).get_content()
    assert "carol@example.org" in text and f"For Carol {HOSTILE}" in text and f"Budget? {HOSTILE}" in text
    token = text.split(f"{parts.settings.base_url}/approve/")[1].split()[0]
    claim = approval_links.read(parts.settings.verifying_keys, token)
    assert (claim.incident_id, claim.person) == (asked.id, "boss@example.com")
    html = received.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_whoever_asked_receives_the_decision_and_its_comment(parts: Parts) -> None:
    outcome, asked, mail = asked_of_boss(parts, "Licence for Figma")
    approvals.decide(parts.db, asked.id, "reject", "Use the free plan", Actor("boss@example.com"), mail)

    deliver_everything(parts.queue, parts.db)
    [received] = [m.message for m in parts.sink.handler.wait_for(2) if m.message["To"] == "ann@example.com"]
    assert received["Subject"] == f"[INC-{outcome.incident_id}] Rejected by boss@example.com: Licence for Figma"
    assert "Use the free plan" in received.get_body(("plain",)).get_content()


def test_the_approver_is_told_when_the_approval_is_withdrawn(parts: Parts) -> None:
    outcome, asked, mail = asked_of_boss(parts, f"Licence {HOSTILE}")
    approvals.withdraw(parts.db, asked.id, Actor("ann@example.com"), mail)

    deliver_everything(parts.queue, parts.db)
    received = [m.message for m in parts.sink.handler.wait_for(2) if m.message["To"] == "boss@example.com"]
    ref = f"INC-{outcome.incident_id}"
    [withdrawn] = [m for m in received if "no longer needed" in m["Subject"]]
    # Over 78 characters, the header is folded after "Subject:"; unfolding leaves that line break's space.
    assert withdrawn["Subject"].strip() == f"[{ref}] Approval no longer needed: Licence {HOSTILE}"
    text = withdrawn.get_body(("plain",)).get_content()
    assert f"ann@example.com withdrew the approval asked of you for {ref}: Licence {HOSTILE}" in text
    html = withdrawn.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_approver_receives_a_reminder_with_a_fresh_link_once_it_waited(parts: Parts) -> None:
    outcome, asked, mail = asked_of_boss(parts, "Licence for Figma")
    approval_reminders.remind_due(parts.db, mail, timedelta(hours=48), now=asked.asked_at + timedelta(days=3))

    deliver_everything(parts.queue, parts.db)
    [reminder] = [m.message for m in parts.sink.handler.wait_for(2) if "Reminder" in m.message["Subject"]]
    ref = f"INC-{outcome.incident_id}"
    assert reminder["To"] == "boss@example.com"
    assert reminder["Subject"] == f"[{ref}] Reminder: approval waiting for you: Licence for Figma"
    text = reminder.get_body(("plain",)).get_content()
    assert f"{ref} has waited 3 days" in text and "Asked by: ann@example.com" in text
    token = text.split(f"{parts.settings.base_url}/approve/")[1].split()[0]
    claim = approval_links.read(parts.settings.verifying_keys, token)
    assert (claim.incident_id, claim.person) == (asked.id, "boss@example.com")
