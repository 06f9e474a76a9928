"""The people a requester copies on their mail stay in the conversation (hub/copied.py): agents' replies and the
resolution mail reach them on Cc, through the real relay; internal notes and the acknowledgement do not."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from hub import copied, incident_notes, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail, TriageError
from hub.copied_changes import change
from hub.models import Incident, OutboxMessage, TimelineEntry
from hub.outbox import mark_bounced
from ingest.mail_intake import store_message
from tests.delivery import deliver_everything
from tests.outbound.conftest import Parts

ANN, CARL, DINA, BOB, DESK = (
    "ann@example.com", "carl@example.com", "dina@example.com", "bob@example.com", "helpdesk@localhost",
)  # fmt: skip


def mailed(parts: Parts, sender: str, *, cc: str = "", subject: str = "Printer on fire", to: str = DESK,
           replying_to: str | None = None, headers: dict[str, str] | None = None) -> int:  # fmt: skip
    """`sender` mails the desk (copying `cc`); the incident it went to."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    msg["Message-ID"] = f"<{abs(hash((sender, subject, cc, replying_to)))}@mail.example.com>"
    if replying_to is not None:
        msg["In-Reply-To"] = msg["References"] = replying_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content("Third floor, next to the kitchen.")
    stored = store_message(parts.intake, msg.as_bytes(policy=policy.SMTP), envelope_from=sender)
    assert stored.incident_id is not None
    return stored.incident_id


def mail(parts: Parts) -> Mail:
    return Mail(parts.settings.desk_address, parts.settings.base_url, secret_key="k")


def copied_on(parts: Parts, incident_id: int) -> list[str]:
    with parts.db.read() as session:
        return copied.copied(session.connection(), incident_id)


def delivered(parts: Parts, count: int) -> dict[str, EmailMessage]:
    """The `count` messages the relay got, by their one envelope recipient."""
    deliver_everything(parts.queue, parts.db)
    found = {}
    for received in parts.sink.handler.wait_for(count):
        [to] = received.rcpt_tos
        found[to] = received.message
    assert len(parts.sink.handler.received) == count
    return found


def test_an_agents_reply_goes_to_the_requester_with_the_people_they_copied_on_cc(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=f"Carl <{CARL}>, {DINA}")
    parts.sink.handler.received.clear()
    deliver_everything(parts.queue, parts.db)  # the acknowledgement: to Ann alone
    assert [r.rcpt_tos for r in parts.sink.handler.received] == [[ANN]]
    parts.sink.handler.received.clear()
    incident_notes.reply(parts.db, incident_id, "Pull the sheet out of tray 2.", Actor(BOB), mail(parts))
    got = delivered(parts, 3)
    assert sorted(got) == sorted([ANN, CARL, DINA])
    for message in got.values():
        assert message["To"] == ANN and message["Cc"] == f"{CARL}, {DINA}"
        assert "Pull the sheet out of tray 2." in message.get_body(("plain",)).get_content()


def test_a_copy_carries_no_link_to_the_requesters_own_page(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    parts.sink.handler.received.clear()
    with parts.db.transaction() as session:
        session.execute(OutboxMessage.__table__.delete())
    incident_notes.reply(parts.db, incident_id, "Done.", Actor(BOB), mail(parts))
    got = delivered(parts, 2)
    assert "/requests/" in got[ANN].get_body(("plain",)).get_content()
    assert "/requests/" not in got[CARL].get_body(("plain",)).get_content()


def test_an_internal_note_reaches_no_one_copied(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    incident_notes.add_note(parts.db, incident_id, "Carl is Ann's manager.", Actor(BOB), mail(parts))
    with parts.db.read() as session:
        assert CARL not in session.scalars(select(OutboxMessage.recipient)).all()


def test_the_resolution_mail_copies_them_too(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    triage.change_status(parts.db, incident_id, "resolve", Actor(BOB), mail(parts), resolution="Cleared the jam.")
    with parts.db.read() as session:
        rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.kind)).all()
    assert sorted(tuple(row) for row in rows) == [(ANN, "acknowledgement"), (ANN, "resolved"), (CARL, "resolved")]


def test_the_desk_its_people_and_the_sender_are_never_kept_as_copied(parts: Parts) -> None:
    with parts.db.transaction() as session:
        create_user(session, email=BOB, password="long enough", role="agent")
    incident_id = mailed(parts, ANN, cc=f"{BOB}, {DESK}, {ANN}, noreply@example.com, {CARL}")
    assert copied_on(parts, incident_id) == [CARL]


def test_a_bounced_address_is_not_kept(parts: Parts) -> None:
    with parts.db.transaction() as session:
        mark_bounced(session.connection(), [CARL], "bounce: user unknown")
    assert copied_on(parts, mailed(parts, ANN, cc=CARL)) == []


def test_an_out_of_office_copies_no_one(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, headers={"Auto-Submitted": "auto-replied"}, cc=CARL)
    assert copied_on(parts, incident_id) == []


def test_a_later_reply_from_the_requester_adds_someone(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    mailed(parts, ANN, cc=f"{CARL}, {DINA}", subject=f"Re: [INC-{incident_id}] Printer on fire")
    assert copied_on(parts, incident_id) == [CARL, DINA]


def test_a_reply_from_someone_copied_threads_in_without_making_them_the_requester(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    again = mailed(parts, CARL, cc=f"{ANN}, {DINA}", subject=f"Re: [INC-{incident_id}] Printer on fire")
    with parts.db.read() as session:
        assert again == incident_id
        assert session.scalar(select(Incident.requester).where(Incident.id == incident_id)) == ANN
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "email")).all()
    assert any(s.startswith(f"Reply from {CARL}") for s in summaries)
    assert copied_on(parts, incident_id) == [CARL]  # Carl's own Cc adds no one to Ann's conversation


def test_an_agent_adds_and_removes_someone_on_the_timeline(parts: Parts) -> None:
    incident_id = mailed(parts, ANN)
    assert change(parts.db, incident_id, DINA, Actor(BOB), on=True, mail=mail(parts))
    assert copied_on(parts, incident_id) == [DINA]
    assert change(parts.db, incident_id, DINA, Actor(BOB), on=False, mail=mail(parts))
    with parts.db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "copied")).all()
    assert summaries == [f"{DINA} copied on the conversation by {BOB}", f"{DINA} no longer copied, removed by {BOB}"]
    assert copied_on(parts, incident_id) == []


def test_an_agent_cannot_copy_the_desk_itself(parts: Parts) -> None:
    incident_id = mailed(parts, ANN)
    with pytest.raises(TriageError, match="one of the desk's own addresses"):
        change(parts.db, incident_id, DESK, Actor(BOB), on=True, mail=mail(parts))


def test_the_resolution_mail_holds_back_for_a_copied_address_that_bounced_since(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    with parts.db.transaction() as session:
        mark_bounced(session.connection(), [CARL], "bounce: mailbox full")
    triage.change_status(parts.db, incident_id, "resolve", Actor(BOB), mail(parts), resolution="Cleared the jam.")
    with parts.db.read() as session:
        assert CARL not in session.scalars(select(OutboxMessage.recipient)).all()
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "notification")).all()
    assert any(s.startswith(f"resolved to {CARL} not sent: the address bounced") for s in summaries)


def test_removing_someone_discards_the_copies_still_waiting_for_them(parts: Parts) -> None:
    incident_id = mailed(parts, ANN, cc=CARL)
    incident_notes.reply(parts.db, incident_id, "Pull the sheet out of tray 2.", Actor(BOB), mail(parts))
    assert change(parts.db, incident_id, CARL, Actor(BOB), on=False, mail=mail(parts))
    with parts.db.read() as session:
        rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.status)).all()
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "notification")).all()
    assert sorted(tuple(row) for row in rows) == [(ANN, "acknowledgement", "pending"), (ANN, "reply", "pending"),
                                                  (CARL, "reply", "discarded")]  # fmt: skip
    assert [s for s in summaries if "discarded" in s] == [f"reply to {CARL} discarded by {BOB}"]
