"""The requester's "Follow your request" link: which mail carries it, and what its page is told."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from hub import incident_notes, request_links, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Incident, OutboxMessage
from hub.outbox import body_of
from hub.signed_links import Claim, StaleLink
from hub.verifying_keys import VerifyingKeys

KEY = "test-secret-key"
KEYS = VerifyingKeys(KEY)  # what the pages read links under
BASE = "https://desk.example.com"
AGENT = Actor("bob@example.com")
MAIL = Mail("desk@example.com", BASE, secret_key=KEY)
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nIt jams")


def p3(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
    return Decision(priority=3)


def mailed_in(db: Database) -> int:
    event = InboundEvent(source="email", title="Printer jams", requester="ann@example.org", message_id="<p@x>")
    outcome = Intake(db, p3, NoticeSettings(("desk@example.com",), BASE)).record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def mail_of(db: Database, kind: str) -> OutboxMessage:
    with db.read() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()


def tracked(text: str) -> Claim:
    [url] = [word for word in text.split() if word.startswith(f"{BASE}/requests/")]
    return request_links.LINKS.read(KEYS, unquote(url.removeprefix(f"{BASE}/requests/")))


def test_the_acknowledgement_and_an_agents_reply_carry_the_link_made_as_they_are_sent(db: Database) -> None:
    incident_id = mailed_in(db)
    acknowledgement = mail_of(db, "acknowledgement")
    assert acknowledgement.facts is not None and "track_url" not in acknowledgement.facts
    assert tracked(body_of(acknowledgement, secret_key=KEY)[0]) == Claim(incident_id, "ann@example.org")
    incident_notes.reply(db, incident_id, "Please restart it.", AGENT, MAIL)
    assert tracked(body_of(mail_of(db, "reply"), secret_key=KEY)[0]) == Claim(incident_id, "ann@example.org")
    assert "/requests/" not in body_of(acknowledgement)[0]  # no key, no link


@pytest.mark.parametrize(
    ("status", "label"),
    [("open", "Open"), ("acknowledge", "In progress"), ("wait", "Waiting for you"), ("resolve", "Resolved")],
)
def test_the_page_says_where_the_request_stands_in_the_requesters_words(db: Database, status: str, label: str) -> None:
    incident_id = mailed_in(db)
    if status != "open":
        if status == "wait":
            triage.change_status(db, incident_id, "acknowledge", AGENT, MAIL)
        triage.change_status(db, incident_id, status, AGENT, MAIL,
                             resolution="Cleared the jam." if status == "resolve" else None)  # fmt: skip
    with db.read() as session:
        found = request_links.view(session, Claim(incident_id, "ann@example.org"))
    assert found.label == label and found.ref == f"INC-{incident_id}"
    assert (found.resolution == "Cleared the jam.") is (status == "resolve")


def test_a_link_stops_working_when_the_request_has_another_requester(db: Database) -> None:
    incident_id = mailed_in(db)
    with db.transaction() as session:
        session.get_one(Incident, incident_id).requester = "bea@example.org"
    with db.read() as session, pytest.raises(StaleLink):
        request_links.view(session, Claim(incident_id, "ann@example.org"))


def test_links_last_ninety_days() -> None:
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    token = request_links.LINKS.sign(KEY, 7, "ann@example.org", now=issued)
    assert request_links.LINKS.read(KEYS, token, now=datetime(2026, 3, 31, 23, 0, tzinfo=UTC)).incident_id == 7
