"""A desk with people and a major-incident group, and incidents to declare major: what the major-incident and
review tests share."""

from __future__ import annotations

from sqlalchemy import select

from hub import accounts, groups, major_incidents, triage
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import OutboxMessage

MAIL = Mail("helpdesk@localhost", "https://desk.example")
RAW = Raw(source="generic", content_type="application/json", body=b"{}")
ANN, BOB, CAROL = Actor("ann@example.com"), Actor("bob@example.com"), Actor("carol@example.com")
#: SWITCHBOARD_MAJOR_INCIDENT_GROUP in these tests: dave and erin.
GROUP = "major-incident"


def staff(db: Database) -> None:
    """Ann, Bob and Carol work incidents (Carol as admin), Vic only views; Dave and Erin form the major-incident
    group."""
    with db.transaction() as session:
        for email, role in (("ann@example.com", "agent"), ("bob@example.com", "agent"),
                            ("carol@example.com", "admin"), ("vic@example.com", "viewer"),
                            ("dave@example.com", "agent"), ("erin@example.com", "agent")):  # fmt: skip
            accounts.create_user(session, email=email, password="correct horse battery", role=role)
        groups.save_group(session, GROUP, ["dave@example.com", "erin@example.com"])


def opened(intake: Intake, title: str = "Payroll is down", *, assignee: str | None = None) -> int:
    """A new P1 incident from an alert, assigned (by Carol) to `assignee` if given."""
    outcome = intake.record(RAW, InboundEvent(source="generic", title=title, dedup_key=title, severity="critical"))
    assert outcome.incident_id is not None
    if assignee is not None:
        triage.assign(intake.db, outcome.incident_id, assignee, CAROL, MAIL)
    return outcome.incident_id


def declared(
    intake: Intake, title: str = "Payroll is down", *, resolved: bool = False, coordinator: str | None = None
) -> int:
    """An incident Ann declared major (coordinated by her unless someone is named), resolved if asked."""
    number = opened(intake, title)
    major_incidents.declare(intake.db, number, "Nobody can run payroll", ANN, MAIL, coordinator=coordinator,
                            group=GROUP)  # fmt: skip
    if resolved:
        triage.change_status(intake.db, number, "resolve", ANN, MAIL, resolution="Freed disk on the database")
    return number


def mailed(db: Database, incident_id: int, kind: str) -> list[str]:
    """The recipients of the incident's outbox rows of `kind`, in the order they were owed."""
    with db.read() as session:
        query = select(OutboxMessage.recipient).where(
            OutboxMessage.incident_id == incident_id, OutboxMessage.kind == kind
        )
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def rendered(db: Database, kind: str, recipient: str) -> tuple[str, str]:
    """The text and HTML of the one mail of `kind` owed to `recipient`, rendered from its facts as the worker does."""
    with db.read() as session:
        query = select(OutboxMessage.facts).where(OutboxMessage.kind == kind, OutboxMessage.recipient == recipient)
        facts = session.scalars(query).one()
    text, html = MAIL.templates.render_body(kind, facts or {})
    assert html is not None, f"{kind} has an HTML part"
    return text, html
