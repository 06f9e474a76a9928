"""Bounces and our own mail coming back: never an incident of their own, attached when they refer to one."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Event, Incident, OutboxMessage, TimelineEntry
from ingest.mail import parse

MAIL = Path(__file__).parent.parent / "data" / "mail"
RAW = Raw("email", "message/rfc822", b"...")


def postfix_bounce(message_id: str) -> bytes:
    return (MAIL / "postfix_bounce.eml").read_bytes().replace(b"MESSAGE_ID_PLACEHOLDER", message_id.encode())


def count(db: Database, model: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_postfix_bounce_is_recognised_with_the_failed_address_and_the_returned_message() -> None:
    event = parse(postfix_bounce("<ack-1@localhost>"), envelope_from="")
    assert event.bounce and event.auto_submitted
    assert "<ack-1@localhost>" in event.in_reply_to and event.labels["bounced"] == "ann@example.com"


def test_bounce_of_our_acknowledgement_is_attached_to_its_incident(intake: Intake, db: Database) -> None:
    opened = intake.record(RAW, InboundEvent(source="email", title="Printer on fire", requester="ann@example.com"))
    with db.read() as s:
        ack_id = s.scalars(select(OutboxMessage.message_id)).one()
    outcome = intake.record(RAW, parse(postfix_bounce(ack_id or ""), envelope_from=""))
    assert outcome.incident_id == opened.incident_id and count(db, Incident) == 1
    assert count(db, OutboxMessage) == 1  # the bounce itself is never answered
    with db.read() as s:
        assert s.scalars(select(TimelineEntry.kind).order_by(TimelineEntry.id.desc())).first() == "email"


def test_bounce_that_refers_to_nothing_we_sent_is_kept_but_opens_nothing(intake: Intake, db: Database) -> None:
    outcome = intake.record(RAW, parse(postfix_bounce("<unknown@elsewhere>"), envelope_from=""))
    assert outcome.incident_id is None and count(db, Incident) == 0
    with db.read() as s:
        assert s.scalars(select(Event.status)).one() == "ignored"


def own_notification() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "helpdesk@localhost", "helpdesk@localhost", "[INC-9] assigned to you"
    msg["X-Switchboard-Delivery"] = "0b1c"
    msg.set_content("...")
    return msg.as_bytes()


def test_our_own_notification_coming_back_opens_nothing(intake: Intake, db: Database) -> None:
    event = parse(own_notification())
    assert event.looped
    assert intake.record(RAW, event).incident_id is None and count(db, Incident) == 0


def test_loop_and_responder_headers_mark_mail_automatic() -> None:
    for header in ("X-Loop: helpdesk", "X-AutoReply-From: ann@example.com", "X-Mail-Autoreply: yes",
                   "Return-Path: <>"):  # fmt: skip
        raw = f"From: ann@example.com\r\nSubject: away\r\n{header}\r\n\r\nI am away.".encode()
        assert parse(raw).auto_submitted, header


def test_an_address_that_bounced_gets_no_automatic_mail_for_a_while(intake: Intake, db: Database) -> None:
    intake.record(RAW, InboundEvent(source="email", title="Printer on fire", requester="ann@example.com"))
    with db.read() as s:
        ack_id = s.scalars(select(OutboxMessage.message_id)).one()
    intake.record(RAW, parse(postfix_bounce(ack_id or ""), envelope_from=""))
    intake.record(RAW, InboundEvent(source="email", title="Another question", requester="ann@example.com"))
    assert count(db, OutboxMessage) == 1  # only the first acknowledgement, before the bounce
    with db.read() as s:
        held = s.scalars(select(TimelineEntry.summary).where(TimelineEntry.summary.like("%bounced%"))).all()
    assert len(held) == 1 and "automatic mail to it pauses until" in held[0]
