"""What a requester may read of their request's mail on their own page: their messages and the desk's replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from hub import incident_notes, request_conversation, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import Decision, InboundEvent, MailFacts, RuleBook, SenderCheck
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Incident, OutboxMessage
from hub.request_conversation import Conversation, Entry, Message

BASE = "https://desk.example.com"
AGENT = Actor("bob@example.com")
MAIL = Mail("desk@example.com", BASE)
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def p3(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
    return Decision(priority=3)


def record(db: Database, **fields: object) -> int:
    event = InboundEvent(**{"source": "email", "title": "Printer jams", **fields})  # type: ignore[arg-type]
    outcome = Intake(db, p3, NoticeSettings(("desk@example.com",), BASE)).record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def mailed_in(db: Database, requester: str = "ann@example.org", n: int = 1) -> int:
    return record(db, requester=requester, description=f"Mail {n} from {requester}", message_id=f"<{n}@x>")


def answered(db: Database, incident_id: int, sender: str, text: str, **fields: object) -> None:
    assert record(db, requester=sender, description=text, message_id=f"<{text}@x>", in_reply_to=("<1@x>",),
                  **fields) == incident_id  # fmt: skip


def said(db: Database, incident_id: int, person: str = "ann@example.org") -> Conversation:
    with db.read() as session:
        incident = session.get_one(Incident, incident_id)
        return request_conversation.read(session, incident, person)


def texts(conversation: Conversation) -> list[tuple[str, str]]:
    return [(message.who, message.text) for message in conversation.messages]


def from_ann(n: int) -> Entry:
    return Entry("email", AT, f"Reply from ann@example.org: Re: {n}", body=f"Reply {n}", sender="ann@example.org")


def test_only_the_newest_messages_are_shown_saying_there_are_earlier_ones() -> None:
    entries = [from_ann(n) for n in range(request_conversation.MAX_MESSAGES + 5)]
    shown = request_conversation.conversation(entries, person="ann@example.org", source="email", description="",
                                              deliveries={}, newest_part=lambda text: None)  # fmt: skip
    assert len(shown.messages) == request_conversation.MAX_MESSAGES and shown.earlier
    assert shown.messages[0].text == "Reply 5" and shown.messages[-1].text == f"Reply {len(entries) - 1}"


def test_mail_stored_before_its_sender_was_kept_is_told_by_the_intakes_summary() -> None:
    older = Entry("email", AT, "Reply from ann@example.org: Re: Printer jams", body="Still jams")
    other = Entry("email", AT, "Reply from carl@example.net: Re: Printer jams", body="Aside")
    shown = request_conversation.conversation([older, other], person="ann@example.org", source="email",
                                              description="", deliveries={}, newest_part=lambda text: None)  # fmt: skip
    assert shown.messages == (Message(AT, True, "Still jams"),)


def test_a_reply_whose_mail_was_given_up_on_is_not_shown(database: Database) -> None:
    incident_id = mailed_in(database)
    incident_notes.reply(database, incident_id, "Never arrived", AGENT, MAIL)
    incident_notes.reply(database, incident_id, "Arrived", AGENT, MAIL)
    with database.transaction() as session:
        first = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.kind == "reply").order_by(OutboxMessage.id)
        )
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first.first()).values(status="dead"))
    assert texts(said(database, incident_id)) == [
        ("You", "Mail 1 from ann@example.org"),
        ("The service desk", "Arrived"),
    ]


#: Mail the receiving server found forged-looking: it may not be the requester's.
FORGED = MailFacts(sender_check=SenderCheck("fail", "example.org", "DMARC failed", "mx.example.com"))


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        pytest.param("I am away until Monday", {"auto_submitted": True}, id="an_out_of_office_from_the_requester"),
        pytest.param("Send my new password to eve@example.net", {"mail": FORGED}, id="mail_whose_sender_is_unverified"),
    ],
)
def test_mail_that_is_not_the_requester_writing_is_not_shown_as_theirs(
    database: Database, text: str, fields: dict[str, object]
) -> None:
    incident_id = mailed_in(database)
    answered(database, incident_id, "ann@example.org", text, **fields)
    answered(database, incident_id, "ann@example.org", "Back, it still jams")
    assert texts(said(database, incident_id)) == [
        ("You", "Mail 1 from ann@example.org"),
        ("You", "Back, it still jams"),
    ]


def test_a_request_opened_by_mail_whose_sender_could_not_be_verified_shows_it_not_as_theirs(
    database: Database,
) -> None:
    incident_id = record(database, requester="ann@example.org", description="I asked for nothing", mail=FORGED)
    incident_notes.reply(database, incident_id, "Did you write to us?", AGENT, MAIL)
    assert texts(said(database, incident_id)) == [("The service desk", "Did you write to us?")]


def test_a_merged_request_shows_only_its_own_conversation(database: Database) -> None:
    duplicate = mailed_in(database)
    survivor = mailed_in(database, "bea@example.org", 2)
    incident_notes.reply(database, survivor, "Bea: a new toner is on its way", AGENT, MAIL)
    triage.merge(database, duplicate, survivor, AGENT, MAIL)
    answered(database, survivor, "ann@example.org", "Ann, after the merge")  # lands in the survivor
    assert texts(said(database, duplicate)) == [("You", "Mail 1 from ann@example.org")]
    assert texts(said(database, survivor, "bea@example.org")) == [
        ("You", "Mail 2 from bea@example.org"),
        ("The service desk", "Bea: a new toner is on its way"),
    ]


def test_an_incident_an_agent_logged_shows_the_desks_words_as_no_mail_of_the_requester(database: Database) -> None:
    incident_id = record(database, source="desk", requester="ann@example.org", description="Caller says: jams; VIP")
    incident_notes.reply(database, incident_id, "We logged your call", AGENT, MAIL)
    assert texts(said(database, incident_id)) == [("The service desk", "We logged your call")]
