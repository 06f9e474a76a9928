"""The signed "Acknowledge" link: which mail carries it, made as the mail is sent, and how long it works."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from hub import ack_links, satisfaction
from hub.accounts import create_user
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import OutboxMessage
from hub.outbox import body_of
from hub.signed_links import BadLink, Claim, ExpiredLink
from hub.verifying_keys import VerifyingKeys

KEY = "test-secret-key"
KEYS = VerifyingKeys(KEY)  # what the pages read links under
BASE = "https://desk.example.com"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ALERT = Raw(source="generic", content_type="application/json", body=b"{}")


def to_ann(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
    return Decision(priority=1, assignee="ann@example.com")


def assignment_mail(db: Database) -> OutboxMessage:
    with db.transaction() as session:
        create_user(session, email="ann@example.com", password="long enough", role="agent")
    Intake(db, to_ann, NoticeSettings(("helpdesk@example.com",), BASE)).record(
        ALERT, InboundEvent(source="generic", title="Disk full on db1", dedup_key="disk")
    )
    with db.read() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "assigned")).one()


def test_a_link_names_the_incident_and_the_person_for_seven_days() -> None:
    token = ack_links.LINKS.sign(KEY, 7, "Ann@Example.com", now=NOW)
    assert ack_links.read(KEYS, token, now=NOW + timedelta(days=7)) == Claim(7, "ann@example.com")
    with pytest.raises(ExpiredLink, match="links work for 7 days"):
        ack_links.read(KEYS, token, now=NOW + timedelta(days=7, seconds=1))


def test_a_survey_link_or_another_installations_link_is_not_an_acknowledge_link() -> None:
    with pytest.raises(BadLink):
        ack_links.read(KEYS, satisfaction.sign(KEY, 7, "ann@example.com", now=NOW), now=NOW)
    with pytest.raises(BadLink):
        ack_links.read(KEYS, ack_links.LINKS.sign("another-key", 7, "ann@example.com", now=NOW), now=NOW)


@pytest.mark.parametrize(
    ("kind", "incident_id", "recipient", "carries"),
    [("assigned", 7, "ann@example.com", True), ("escalated", 7, "ann@example.com", True),
     ("resolved", 7, "ann@example.com", False), ("on_call", None, "ann@example.com", False),
     ("assigned", 7, "chat-ops", False)],
)  # fmt: skip
def test_only_mail_asking_a_person_to_act_on_an_incident_carries_the_link(
    kind: str, incident_id: int | None, recipient: str, carries: bool
) -> None:
    facts = ack_links.LINKS.facts(KEY, BASE, kind, incident_id, recipient, now=NOW)
    assert bool(facts) is carries
    if carries:
        url = facts["acknowledge_url"]
        assert url.startswith(f"{BASE}/ack/")
        assert ack_links.read(KEYS, unquote(url.removeprefix(f"{BASE}/ack/")), now=NOW) == Claim(7, recipient)


def test_the_worker_adds_the_link_as_it_renders_the_mail_and_the_stored_row_holds_none(db: Database) -> None:
    mail = assignment_mail(db)
    assert mail.facts is not None and "acknowledge_url" not in mail.facts  # minted when sent, not when owed
    text, html = body_of(mail, secret_key=KEY)
    [url] = [line.rpartition(" ")[2] for line in text.splitlines() if line.startswith("Acknowledge it")]
    assert url.startswith(f"{BASE}/ack/") and html is not None and f'href="{url}"' in html
    claim = ack_links.read(KEYS, unquote(url.removeprefix(f"{BASE}/ack/")))
    assert claim == Claim(mail.incident_id or 0, "ann@example.com")


def test_without_a_secret_key_the_mail_has_no_link(db: Database) -> None:
    text, html = body_of(assignment_mail(db))
    assert "/ack/" not in text and html is not None and "/ack/" not in html
