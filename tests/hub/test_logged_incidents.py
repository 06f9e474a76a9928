"""Incidents logged by hand go through the intake like any event: stored as received, routed by the rules, owed
the same notices; what the agent chose wins over the rules. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from hub import cis, silences, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.catalogue import add_service
from hub.config import Settings
from hub.db import Database
from hub.domain import Matcher, RuleSpec
from hub.intake import Intake, InvalidChoice, Raw
from hub.models import Contact, Event, Incident, OutboxMessage, TimelineEntry, utcnow
from hub.rulebook import add_rule
from ingest.logged import normalise
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake

AGENT = "agent@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
RAW = Raw(source="desk", content_type="application/json", body=b'{"title": "Cannot print on floor 3"}')


@pytest.fixture
def db(database: Database) -> Database:
    """Each test on a SQLite file, then on a PostgreSQL database."""
    return database


@pytest.fixture
def intake(settings: Settings, database: Database) -> Intake:
    return make_intake(settings, database)


@pytest.fixture
def people(db: Database) -> Iterator[None]:
    with db.transaction() as s:
        for email in (AGENT, "bob@example.com", "oncall@example.com"):
            create_user(s, email=email, password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="printers to on-call", field="title", op="contains", value="print",
                             set_category="printing", set_assignee="oncall@example.com"))  # fmt: skip
    yield


def log(intake: Intake, **fields: Any) -> int:
    outcome = intake.record(RAW, normalise({"title": "Cannot print on floor 3", **fields}, by=AGENT))
    assert outcome.created and outcome.incident_id is not None
    return outcome.incident_id


def owed(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(m.kind, m.recipient) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def incident(db: Database, incident_id: int) -> Incident:
    with db.read() as s:
        row = s.get(Incident, incident_id)
        assert row is not None
        return row


def test_left_to_them_the_rules_route_it_and_the_assignee_is_told(intake: Intake, db: Database, people: None) -> None:
    opened = incident(db, log(intake))
    assert (opened.source, opened.category, opened.assignee) == ("desk", "printing", "oncall@example.com")
    assert owed(db) == [("assigned", "oncall@example.com")]


def test_the_agents_choices_win_over_the_rules(intake: Intake, db: Database, people: None) -> None:
    opened = incident(db, log(intake, priority=2, assignee="bob@example.com"))
    assert (opened.priority, opened.category, opened.assignee) == (2, "printing", "bob@example.com")
    assert owed(db) == [("assigned", "bob@example.com")]


def test_the_agent_who_gives_it_to_themselves_is_not_mailed_about_it(
    intake: Intake, db: Database, people: None
) -> None:
    log(intake, assignee=AGENT)
    assert owed(db) == []


def test_the_requester_is_mailed_the_reference_so_replies_thread_in(intake: Intake, db: Database, people: None) -> None:
    incident_id = log(intake, requester="ann@example.com", assignee=AGENT)
    with db.read() as s:
        (ack,) = s.scalars(select(OutboxMessage)).all()
    assert (ack.kind, ack.recipient, ack.subject) == (
        "acknowledgement", "ann@example.com", f"[INC-{incident_id}] Cannot print on floor 3"
    )  # fmt: skip


def test_the_requester_is_not_mailed_when_the_agent_says_so(intake: Intake, db: Database, people: None) -> None:
    opened = incident(db, log(intake, requester="ann@example.com", assignee=AGENT, acknowledge_requester=False))
    assert opened.requester == "ann@example.com" and owed(db) == []


def test_an_assignee_who_is_no_active_user_is_refused_and_nothing_is_stored(
    intake: Intake, db: Database, people: None
) -> None:
    event = normalise({"title": "Cannot print", "assignee": "bbo@example.com"}, by=AGENT)
    with pytest.raises(InvalidChoice, match=r"bbo@example\.com is not an active user"):
        intake.record(RAW, event)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_the_agents_ci_and_service_win_over_the_rules(intake: Intake, db: Database, people: None) -> None:
    with db.transaction() as s:
        add_service(s, name="mail")
        add_service(s, name="printing")
        cis.create(s, cis.CiFields("printer-3", "other", service="printing"))
        cis.create(s, cis.CiFields("mx1", "server", service="mail"))
        add_rule(s, RuleSpec(id=0, name="printers", when={"field": "title", "op": "contains", "value": "print"},
                             actions={"ci": "printer-3", "service": "printing"}))  # fmt: skip
    opened = incident(db, log(intake, ci="MX1", service="mail"))
    assert opened.ci is not None and (opened.ci.name, opened.service) == ("mx1", "mail")


def test_a_ci_that_is_no_active_ci_is_refused_naming_the_field_and_nothing_is_stored(
    intake: Intake, db: Database, people: None
) -> None:
    with db.transaction() as s:
        cis.create(s, cis.CiFields("old", "server"))
        cis.retire(s, "old")
    for name, why in (("nope", "there is no CI 'nope'"), ("OLD", "old is retired")):
        with pytest.raises(InvalidChoice, match=why) as refused:
            intake.record(RAW, normalise({"title": "Cannot print", "ci": name}, by=AGENT))
        assert refused.value.field == "ci"
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_group_can_be_chosen_as_assignee(intake: Intake, db: Database, people: None) -> None:
    assert incident(db, log(intake, assignee="printing-team")).assignee == "printing-team"


def test_a_rule_that_suppresses_does_not_swallow_what_a_person_reported(
    intake: Intake, db: Database, people: None
) -> None:
    with db.transaction() as s:
        add_rule(s, RuleSpec(id=0, name="drop printers", when={"field": "title", "op": "contains", "value": "print"},
                             actions={"suppress": True}))  # fmt: skip
    assert incident(db, log(intake)).status == "open"


def test_a_silence_does_not_hold_back_its_notices(intake: Intake, db: Database, people: None) -> None:
    with db.transaction() as s:
        silences.add_silence(s, matchers=[Matcher("labels.channel", "=", "phone")],
                             ends_at=utcnow() + timedelta(hours=1), created_by="t")  # fmt: skip
    log(intake)
    assert owed(db) == [("assigned", "oncall@example.com")]


def test_the_timeline_says_who_logged_it_and_how_it_came_in(intake: Intake, db: Database, people: None) -> None:
    incident_id = log(intake, channel="walk-in", priority=2)
    with db.read() as s:
        opened = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)).first()
    assert opened is not None and opened.kind == "opened"
    assert opened.summary.startswith(f"Logged by {AGENT} (walk-in) as P2")
    assert opened.data["by"] == AGENT


def test_what_the_agent_sent_is_stored_as_received(intake: Intake, db: Database, people: None) -> None:
    incident_id = log(intake)
    with db.read() as s:
        (event,) = s.scalars(select(Event)).all()
    assert (event.source, event.raw, event.incident_id) == ("desk", RAW.body, incident_id)


def test_the_requester_hears_of_the_resolution_as_an_emailing_one_does(
    intake: Intake, db: Database, people: None
) -> None:
    incident_id = log(intake, requester="ann@example.com", assignee=AGENT)
    triage.change_status(db, incident_id, "resolve", Actor(AGENT), MAIL)
    with db.read() as s:
        resolved = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "resolved")).all()
    assert [(m.recipient, m.subject) for m in resolved] == [
        ("ann@example.com", f"[INC-{incident_id}] Resolved: Cannot print on floor 3")
    ]


def test_the_caller_becomes_a_contact_and_their_organisation_a_label_slas_select_on(
    intake: Intake, db: Database, people: None
) -> None:
    incident_id = log(intake, requester="ann@acme.example", assignee=AGENT)
    assert incident(db, incident_id).labels == {"channel": "phone", "organisation": "acme.example"}
    with db.read() as s:
        assert [c.email for c in s.scalars(select(Contact))] == ["ann@acme.example"]


def test_the_requesters_answer_to_the_acknowledgement_threads_into_the_incident(
    intake: Intake, db: Database, people: None
) -> None:
    incident_id = log(intake, requester="ann@example.com", assignee=AGENT)
    with db.read() as s:
        (ack,) = s.scalars(select(OutboxMessage)).all()
    answer = EmailMessage()
    answer["From"], answer["To"], answer["Subject"] = "ann@example.com", "helpdesk@localhost", f"Re: {ack.subject}"
    answer["In-Reply-To"] = ack.message_id
    answer.set_content("It is printing again, thanks.")
    assert store_message(intake, answer.as_bytes()).incident_id == incident_id
