"""Who a new request's acknowledgement goes to: whom the requester-mail gate lets the desk write to of its own accord
(hub/requester_mail_gate.py), as for the request's resolution and merge. Through the desk's real SMTP listener, or
the intake for a request an agent logs, on a real SQLite file; the outbox says what was owed."""

from __future__ import annotations

from sqlalchemy import select

from hub import desks
from hub.accounts import create_user
from hub.db import Database
from hub.intake import Intake, Raw
from hub.models import OutboxMessage, TimelineEntry
from ingest.logged import normalise
from tests.hub.requester_mail import ANN, desk_listener, send  # noqa: F401  (the fixture `desk`)

AGENT = "agent@example.com"
LOGGED = Raw(source="desk", content_type="application/json", body=b'{"title": "Cannot print"}')


def acknowledged(db: Database) -> list[str]:
    with db.read() as session:
        kind = OutboxMessage.kind == "acknowledgement"
        return list(session.scalars(select(OutboxMessage.recipient).where(kind).order_by(OutboxMessage.id)))


def timeline(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).order_by(TimelineEntry.id)))


def log(intake: Intake, **fields: object) -> None:
    outcome = intake.record(LOGGED, normalise({"title": "Cannot print", **fields}, by=AGENT))
    assert outcome.created


def test_a_person_who_mails_the_desk_is_acknowledged(desk: int, db: Database) -> None:
    send(desk, "Printer broken", "It jams on every page.")
    assert acknowledged(db) == [ANN]


def test_an_out_of_office_that_opens_a_request_is_not_acknowledged_and_the_timeline_says_why(
    desk: int, db: Database
) -> None:
    """The agent sees the requester's address and would expect them to have had the reference."""
    send(desk, "Away until Monday", "I am out of the office.", Auto_Submitted="auto-replied")
    assert acknowledged(db) == []
    assert (f"No acknowledgement to {ANN}: the mail that opened this was sent automatically (no one typed it), so "
            "the desk answers it nothing") in timeline(db)  # fmt: skip


def test_a_desk_added_while_the_listener_runs_is_not_acknowledged_when_it_mails_the_desk(
    desk: int, db: Database
) -> None:
    """Another desk's address (one forwarding to this one, say) would only get the mail back in; the intake learns
    of the new desk from its revision, without reading the desks for every mail."""
    send(desk, "Printer broken", "It jams on every page.")
    with db.transaction() as session:
        desks.add_desk(session, "hr-help@example.com")
    send(desk, "Forwarded: contract question", "See below.", sender="hr-help@example.com", name="HR")
    assert acknowledged(db) == [ANN]


def test_a_requester_at_a_no_reply_address_is_not_acknowledged_and_the_timeline_says_why(
    intake: Intake, db: Database
) -> None:
    """Logged by an agent for a vendor's no-reply address: nothing written there is read, and the resolution would
    not be sent there either."""
    log(intake, requester="no-reply@vendor.example")
    assert acknowledged(db) == []
    assert any(line.startswith("No acknowledgement to no-reply@vendor.example: ") for line in timeline(db))


def test_the_agent_who_logs_their_own_request_is_not_acknowledged(intake: Intake, db: Database) -> None:
    """They have its reference on the page they are looking at, as whoever makes a change is not told of it."""
    with db.transaction() as session:
        create_user(session, email=AGENT, password="correct horse", role="agent")
    log(intake, requester=AGENT.upper())
    assert acknowledged(db) == []
    assert not any(line.startswith("No acknowledgement") for line in timeline(db))  # plain from the page


def test_the_agents_untick_keeps_the_acknowledgement_from_the_requester_without_a_note(
    intake: Intake, db: Database
) -> None:
    log(intake, requester="ann@example.com", acknowledge_requester=False)
    assert acknowledged(db) == []
    assert not any(line.startswith("No acknowledgement") for line in timeline(db))  # the agent's own choice
