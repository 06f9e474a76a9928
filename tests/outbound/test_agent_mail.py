"""An agent answers an incident's mail from their mailbox (hub/agent_mail.py): with the receiving server's verdict
`pass` believed from SWITCHBOARD_MAIL_AUTHSERV_ID, an active agent's answer is their reply to the requester (or,
after `#note`, an internal note), as the page's is; anything less is added to the thread as before."""

from __future__ import annotations

from dataclasses import replace
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from hub import triage
from hub.accounts import change_user, create_user
from hub.agent_action import Actor, Mail
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.models import Incident, OutboxMessage, TimelineEntry
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts

MX = "mx.example.com"
ANN, BOB, CAROL, DESK = "ann@example.com", "bob@example.com", "carol@example.com", "helpdesk@localhost"
#: What Bob's mail client quotes of the assignment mail he answers.
QUOTED = "On Mon, 30 Nov 2026 at 10:02, Service desk <helpdesk@localhost> wrote:\n> INC-1 is assigned to you.\n"


def assigned(parts: Parts) -> tuple[int, str]:
    """Ann's request, assigned to Bob (an agent who signs as Bob Stone); its id and the Message-ID of Bob's mail."""
    with parts.db.transaction() as session:
        create_user(session, email=BOB, password="long enough", role="agent", display_name="Bob Stone")
        create_user(session, email=CAROL, password="long enough", role="viewer")
    mailed(parts, ANN, "Printer on fire", "Third floor, next to the kitchen.", authserv_id=None)
    with parts.db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    return incident_id, assigned_to_bob(parts, incident_id)


def assigned_to_bob(parts: Parts, incident_id: int) -> str:
    """The incident assigned to Bob; the Message-ID of the mail telling him."""
    triage.assign(parts.db, incident_id, BOB, Actor("lead@example.com"),
                  Mail(parts.settings.desk_address, parts.settings.base_url))  # fmt: skip
    with parts.db.read() as session:
        message_id = session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.recipient == BOB)).one()
    assert message_id is not None
    return message_id


def mailed(
    parts: Parts, sender: str, subject: str, body: str, *, dmarc: str = "pass", replying_to: str | None = None,
    authserv_id: str | None = MX, headers: dict[str, str] | None = None, files: dict[str, bytes] | None = None,
) -> None:  # fmt: skip
    """Mail the desk as `sender` through the intake (believing `authserv_id`'s verdicts), with the receiving server's
    DMARC verdict on top, as a border server writes it, and `files` attached."""
    msg = EmailMessage()
    msg["Authentication-Results"] = f"{MX}; dmarc={dmarc} (p=reject dis=none) header.from=example.com"
    msg["Received"] = "from relay.example.net (relay.example.net [198.51.100.23]) by mx.example.com (Postfix)"
    msg["From"], msg["To"], msg["Subject"] = sender, DESK, subject
    msg["Message-ID"] = f"<{abs(hash((sender, subject, body, dmarc)))}@relay.example.net>"
    if replying_to is not None:
        msg["In-Reply-To"] = msg["References"] = replying_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data in (files or {}).items():
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    intake = make_intake(replace(parts.settings, mail_authserv_id=authserv_id), parts.db)
    assert not store_message(intake, msg.as_bytes(policy=policy.SMTP), envelope_from=sender).unprocessable


def answered(
    parts: Parts, sender: str = BOB, text: str = "Please open tray 2 and pull the sheet out.", **kw: Any
) -> int:
    """Ann's request, assigned to Bob, and `sender`'s answer to Bob's assignment mail; the incident's id."""
    incident_id, assignment = assigned(parts)
    mailed(parts, sender, "Re: [INC-1] Assigned to you", f"{text}\n\n{QUOTED}", replying_to=assignment, **kw)
    return incident_id


def timeline(parts: Parts, incident_id: int) -> list[TimelineEntry]:
    with parts.db.read() as session:
        return list(session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                                    .order_by(TimelineEntry.id)))  # fmt: skip


def to_requester(parts: Parts, requester: str = ANN) -> list[str]:
    """The kinds of mail owed to the requester."""
    with parts.db.read() as session:
        return list(session.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == requester)))


def only_added(parts: Parts, incident_id: int, sender: str = BOB, requester: str = ANN) -> None:
    """The mail was added to the thread as any participant's is, and the requester was mailed nothing for it."""
    written = [e for e in timeline(parts, incident_id) if e.kind in ("email", "reply", "note")]
    assert [(e.kind, e.summary.startswith(f"Reply from {sender}")) for e in written] == [("email", True)]
    assert to_requester(parts, requester) == ["acknowledgement"]


def test_a_verified_agents_answer_reaches_the_requester_from_the_desk_as_their_reply(any_parts: Parts) -> None:
    parts = any_parts  # on PostgreSQL too, where the agent's row and the incident's are locked
    incident_id = answered(parts)
    deliver_everything(parts.queue, parts.db)
    to_her = [r.message for r in parts.sink.handler.wait_for(3) if r.rcpt_tos == [ANN]]  # and Bob's assignment
    [reply] = [m for m in to_her if "tray 2" in m.get_body(("plain",)).get_content()]
    text = reply.get_body(("plain",)).get_content()
    assert (reply["From"].addresses[0].addr_spec, "[INC-1]" in reply["Subject"]) == (DESK, True)
    assert "Please open tray 2 and pull the sheet out." in text and "Bob Stone" in text
    assert "is assigned to you" not in text  # the quoted history stays behind
    entries = [e for e in timeline(parts, incident_id) if e.kind in ("email", "reply")]
    assert [(e.kind, e.summary, e.data["by"]) for e in entries] == [("reply", f"Reply by {BOB} by email to {ANN}", BOB)]
    assert entries[0].event_id is not None  # the raw mail, kept and linked


def test_an_agents_answer_starting_with_note_is_an_internal_note_the_requester_never_gets(parts: Parts) -> None:
    incident_id = answered(parts, text="#note\nThe vendor says Tuesday.")
    last = timeline(parts, incident_id)[-1]
    assert (last.kind, last.summary, last.data["body"]) == (
        "note",
        f"Note by {BOB} by email",
        "The vendor says Tuesday.",
    )
    assert to_requester(parts) == ["acknowledgement"]


@pytest.mark.parametrize(("dmarc", "authserv_id"), [("fail", MX), ("pass", None)], ids=["failed", "unchecked"])
def test_an_agents_answer_the_server_did_not_verify_is_only_added(
    parts: Parts, dmarc: str, authserv_id: str | None
) -> None:
    only_added(parts, answered(parts, dmarc=dmarc, authserv_id=authserv_id))


def test_a_deactivated_agents_answer_is_only_added(parts: Parts) -> None:
    incident_id, assignment = assigned(parts)
    with parts.db.transaction() as session:
        change_user(session, BOB, active=False)
    mailed(parts, BOB, "Re: [INC-1] Assigned to you", "Done.", replying_to=assignment)
    only_added(parts, incident_id)


def test_a_viewers_answer_is_only_added(parts: Parts) -> None:
    only_added(parts, answered(parts, sender=CAROL), sender=CAROL)


def test_an_agents_out_of_office_is_only_added(parts: Parts) -> None:
    only_added(parts, answered(parts, text="I am away until Monday.", headers={"Auto-Submitted": "auto-replied"}))


def test_an_answer_of_only_the_quoted_history_is_only_added(parts: Parts) -> None:
    only_added(parts, answered(parts, text=""))


def test_an_agent_who_is_the_requester_writes_as_the_requester(parts: Parts) -> None:
    with parts.db.transaction() as session:
        create_user(session, email=BOB, password="long enough", role="agent")
    mailed(parts, BOB, "My laptop will not boot", "It beeps three times.")
    with parts.db.read() as session:
        incident_id = session.scalars(select(Incident.id)).one()
    mailed(parts, BOB, "Re: [INC-1] My laptop will not boot", "Now it beeps four times.")
    only_added(parts, incident_id, requester=BOB)


def resolved(parts: Parts, incident_id: int) -> None:
    triage.change_status(parts.db, incident_id, "resolve", Actor(BOB), Mail(DESK, parts.settings.base_url))


def test_an_agents_resolve_line_resolves_with_the_rest_as_its_resolution_mailed_instead_of_a_reply(
    parts: Parts,
) -> None:
    incident_id = answered(parts, text="#resolve\nReplaced the fuser unit.")
    with parts.db.read() as session:
        incident = session.get_one(Incident, incident_id)
        assert (incident.status, incident.resolution) == ("resolved", "Replaced the fuser unit.")
    assert to_requester(parts) == ["acknowledgement", "resolved"]
    [done] = [e for e in timeline(parts, incident_id) if e.kind in ("resolved", "email", "reply")]
    assert (done.kind, done.summary, done.event_id is not None) == ("resolved", f"Resolved by {BOB} by email", True)


def test_an_agents_waiting_line_replies_and_sets_the_incident_waiting_on_the_requester(parts: Parts) -> None:
    incident_id = answered(parts, text="#waiting Which floor is it on?")
    with parts.db.read() as session:
        assert session.get_one(Incident, incident_id).status == "waiting"
    assert to_requester(parts) == ["acknowledgement", "reply"]
    reply = next(e for e in timeline(parts, incident_id) if e.kind == "reply")
    assert reply.data["body"] == "Which floor is it on?"


def test_a_resolve_line_the_page_would_refuse_is_added_with_the_reason_on_the_timeline(parts: Parts) -> None:
    incident_id, assignment = assigned(parts)
    resolved(parts, incident_id)
    mailed(parts, BOB, "Re: [INC-1] Assigned to you", "#resolve Fixed twice.", replying_to=assignment)
    *_, added, why = timeline(parts, incident_id)
    assert (added.kind, added.summary.startswith(f"Reply from {BOB}"), why.kind) == ("email", True, "notification")
    assert why.summary == (f"#resolve from {BOB} by email not applied: INC-1 is resolved; "
                           "only open, acknowledged or waiting incidents can be resolved")  # fmt: skip
    assert to_requester(parts) == ["acknowledgement", "resolved"]  # the first resolution's only


def test_an_agents_answer_to_an_alert_is_added_with_why_no_reply_went_on_the_timeline(parts: Parts) -> None:
    with parts.db.transaction() as session:
        create_user(session, email=BOB, password="long enough", role="agent")
    alert = InboundEvent(source="prometheus", title="Disk full on db-1")
    incident_id = parts.intake.record(Raw("prometheus", "application/json", b"{}"), alert).incident_id
    assert incident_id is not None
    assignment = assigned_to_bob(parts, incident_id)
    mailed(parts, BOB, "Re: [INC-1] Assigned to you", "Cleared /var/log.", replying_to=assignment)
    *_, added, why = timeline(parts, incident_id)
    assert (added.kind, added.summary.startswith(f"Reply from {BOB}")) == ("email", True)
    assert why.summary == (f"A reply from {BOB} by email not sent: INC-1 has no requester to reply to (it came from "
                           "prometheus)")  # fmt: skip


def test_an_agents_answer_to_a_resolved_incident_is_their_reply_and_reopens_nothing(parts: Parts) -> None:
    incident_id, assignment = assigned(parts)
    resolved(parts, incident_id)
    mailed(parts, BOB, "Re: [INC-1] Assigned to you", "It should hold now.", replying_to=assignment)
    with parts.db.read() as session:
        assert session.get_one(Incident, incident_id).status == "resolved"
    assert to_requester(parts) == ["acknowledgement", "resolved", "reply"]


def test_an_agents_emailed_file_reaches_the_requester_with_their_reply(parts: Parts) -> None:
    answered(parts, text="The manual, page 12.", files={"manual.pdf": b"%PDF-1.4 tray 2"})
    deliver_everything(parts.queue, parts.db)
    to_her = [r.message for r in parts.sink.handler.wait_for(3) if r.rcpt_tos == [ANN]]
    [reply] = [m for m in to_her if "page 12" in m.get_body(("plain",)).get_content()]
    [file] = list(reply.iter_attachments())
    assert (file.get_filename(), file.get_content()) == ("manual.pdf", b"%PDF-1.4 tray 2")
