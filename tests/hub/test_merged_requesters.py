"""The requesters of requests merged into an incident hear when it is resolved: who is mailed, on which request,
and who is not (hub/merged_requesters.py); what their request's page and list say of it (hub/request_links.py)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import event, select

from hub import merged_requesters, requester_erasure, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.domain import Action, InboundEvent, MailFacts, SenderCheck
from hub.intake import Intake, Raw
from hub.models import OutboxMessage, TimelineEntry, utcnow
from hub.my_requests import listing
from hub.request_links import view
from hub.signed_links import Claim

AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: x\r\n\r\ny")
ALERT = Raw(source="alertmanager", content_type="application/json", body=b"{}")
ANN, CAROL, DAVE = "ann@example.org", "carol@example.org", "dave@example.org"
FORGED = MailFacts(sender_check=SenderCheck("fail", "example.org", "DMARC failed", "mx.example.com"))


def mailed_in(intake: Intake, requester: str, title: str = "Printer is broken", **fields: object) -> int:
    event = InboundEvent(source="email", title=title, requester=requester, message_id=f"<{title}.{requester}>",
                         **fields)  # type: ignore[arg-type]  # fmt: skip
    outcome = intake.record(EMAIL, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def merged(db: Database, duplicate: int, into: int) -> int:
    triage.merge(db, duplicate, into, AGENT, MAIL)
    return duplicate


def resolutions(db: Database) -> list[tuple[int | None, str, str]]:
    """(request, recipient, subject) of every resolution mail to a requester, in the order owed."""
    with db.read() as session:
        rows = session.execute(
            select(OutboxMessage.incident_id, OutboxMessage.recipient, OutboxMessage.subject)
            .where(OutboxMessage.template == "requester_resolved")
            .order_by(OutboxMessage.id)
        )
        return [(incident_id, recipient, subject) for incident_id, recipient, subject in rows]


def resolved(db: Database, incident_id: int, how: str | None = "Replaced the fuser.") -> None:
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL, resolution=how)


def test_resolving_an_incident_mails_each_merged_requester_the_resolution_about_their_own_request(
    db: Database, intake: Intake
) -> None:
    survivor, carols = mailed_in(intake, ANN), mailed_in(intake, CAROL, "Printer smoking")
    merged(db, carols, survivor)
    resolved(db, survivor)
    assert resolutions(db) == [
        (survivor, ANN, f"[INC-{survivor}] Resolved: Printer is broken"),
        (carols, CAROL, f"[INC-{carols}] Resolved: Printer smoking"),
    ]
    with db.read() as session:
        to_carol = OutboxMessage.recipient == CAROL
        mail = session.scalars(
            select(OutboxMessage).where(to_carol, OutboxMessage.template == "requester_resolved")
        ).one()
    assert mail.facts is not None
    assert (mail.facts["into"], mail.facts["resolution"]) == (f"INC-{survivor}", "Replaced the fuser.")
    assert "<Printer smoking.carol@example.org>" in mail.headers["References"]  # under her own conversation


def test_requests_merged_into_one_later_merged_on_hear_of_the_last_ones_resolution(
    db: Database, intake: Intake
) -> None:
    survivor, carols, daves = (mailed_in(intake, who, f"Printer {n}") for n, who in enumerate((ANN, CAROL, DAVE)))
    merged(db, daves, carols)
    merged(db, carols, survivor)
    resolved(db, survivor)
    assert [(incident, to) for incident, to, _ in resolutions(db)] == [(survivor, ANN), (carols, CAROL), (daves, DAVE)]


def test_the_incidents_own_requester_and_the_person_resolving_hear_once_and_someone_with_several_of_the_newest(
    db: Database, intake: Intake
) -> None:
    survivor = mailed_in(intake, ANN)
    merged(db, mailed_in(intake, ANN, "Printer again"), survivor)
    first, newest = mailed_in(intake, CAROL, "Printer smoking"), mailed_in(intake, CAROL, "Printer still smoking")
    merged(db, first, survivor)
    merged(db, newest, survivor)
    merged(db, mailed_in(intake, AGENT.name, "Printer, noticed at the desk"), survivor)
    resolved(db, survivor)
    assert [(incident, to) for incident, to, _ in resolutions(db)] == [(survivor, ANN), (newest, CAROL)]


def test_a_requester_whose_opening_mail_was_not_verified_is_not_mailed_and_their_request_says_why(
    db: Database, intake: Intake
) -> None:
    survivor, forged = mailed_in(intake, ANN), mailed_in(intake, CAROL, "Send me the payroll", mail=FORGED)
    merged(db, forged, survivor)
    resolved(db, survivor)
    assert [to for _, to, _ in resolutions(db)] == [ANN]
    with db.read() as session:
        said = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == forged)).all()
    assert (f"No resolution mail to {CAROL} when INC-{survivor} was resolved: the mail that opened this was not "
            "verified as theirs by the receiving mail server") in said  # fmt: skip


def test_a_merged_requester_who_follows_the_incident_hears_of_its_resolution_once(db: Database, intake: Intake) -> None:
    """As its own requester does when they watch it: the watcher's notice is the one mail of this resolution."""
    with db.transaction() as session:
        create_user(session, email=CAROL, password="long enough", role="agent")
    survivor = mailed_in(intake, ANN)
    merged(db, mailed_in(intake, CAROL, "Printer smoking"), survivor)
    triage.watch(db, survivor, Actor(CAROL))
    resolved(db, survivor)
    assert [to for _, to, _ in resolutions(db)] == [ANN]
    with db.read() as session:
        to_carol = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == CAROL)).all()
    assert to_carol == ["acknowledgement", "merged", "resolved"]  # the last as a watcher: on INC-1, not her request


def test_the_incidents_own_requester_not_mailed_on_it_hears_on_their_own_request_merged_into_it(
    db: Database, intake: Intake
) -> None:
    """Someone's forged mail opened it, so its requester is sent nothing there; the real person's own request was
    verified as theirs, and is what they are told of."""
    survivor = mailed_in(intake, CAROL, "Send me the payroll", mail=FORGED)
    carols = merged(db, mailed_in(intake, CAROL, "Printer smoking"), survivor)
    resolved(db, survivor)
    assert resolutions(db) == [(carols, CAROL, f"[INC-{carols}] Resolved: Printer smoking")]


def test_a_merged_request_opened_by_mail_no_one_typed_is_not_told_of_the_resolution_and_says_why(
    db: Database, intake: Intake
) -> None:
    survivor = mailed_in(intake, ANN)
    away = merged(db, mailed_in(intake, CAROL, "Out of office", auto_submitted=True), survivor)
    resolved(db, survivor)
    assert [to for _, to, _ in resolutions(db)] == [ANN]
    with db.read() as session:
        said = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == away)).all()
    assert (f"No resolution mail to {CAROL} when INC-{survivor} was resolved: the mail that opened this was sent "
            "automatically (no one typed it), so the desk answers it nothing") in said  # fmt: skip


def test_an_erased_requester_of_a_merged_request_is_not_mailed(
    db: Database, intake: Intake, settings: Settings
) -> None:
    survivor = mailed_in(intake, ANN)
    merged(db, mailed_in(intake, CAROL, "Printer smoking"), survivor)
    requester_erasure.erase(db, CAROL, key=settings.secret_key or "", actor="cli")
    resolved(db, survivor)
    assert [to for _, to, _ in resolutions(db)] == [ANN]


def test_reopening_the_incident_mails_no_merged_requester(db: Database, intake: Intake) -> None:
    survivor = mailed_in(intake, ANN)
    merged(db, mailed_in(intake, CAROL, "Printer smoking"), survivor)
    resolved(db, survivor)
    with db.read() as session:
        before = session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == CAROL)).all()
    triage.change_status(db, survivor, "reopen", AGENT, MAIL)
    with db.read() as session:
        assert session.scalars(select(OutboxMessage.id).where(OutboxMessage.recipient == CAROL)).all() == before


def test_the_merged_requests_are_found_in_one_statement_however_many(db: Database, intake: Intake) -> None:
    survivor = mailed_in(intake, ANN)
    for n in range(5):
        merged(db, mailed_in(intake, f"user{n}@example.org", f"Printer {n}"), survivor)
    statements: list[str] = []
    with db.read() as session:
        conn = session.connection()
        event.listen(conn, "before_cursor_execute", lambda *args: statements.append(args[2]))
        found = merged_requesters.merged_into(conn, survivor)
    assert sorted(m.requester for m in found) == [f"user{n}@example.org" for n in range(5)]
    assert len(statements) == 1


def page_of(db: Database, incident_id: int, person: str = CAROL) -> tuple[str, str | None, str | None]:
    with db.read() as session:
        shown = view(session, Claim(incident_id, person))
    return shown.label, shown.outcome, shown.resolution


def listed_outcome(db: Database, person: str = CAROL) -> list[tuple[str, str | None]]:
    with db.read() as session:
        return [(r.label, r.outcome) for r in listing(session, Claim(0, person), utcnow()).requests]


def test_a_merged_requests_page_and_list_say_what_became_of_the_one_it_is_followed_under(
    db: Database, intake: Intake
) -> None:
    survivor = mailed_in(intake, ANN)
    carols = merged(db, mailed_in(intake, CAROL, "Printer smoking"), survivor)
    assert page_of(db, carols) == ("Merged", None, None)  # being worked on: the explanation says so
    resolved(db, survivor)
    says = f"INC-{survivor} was resolved: we think it is fixed."
    label, outcome, resolution = page_of(db, carols)
    assert (label, resolution) == ("Merged", "Replaced the fuser.") and outcome is not None and says in outcome
    assert listed_outcome(db)[0][1] == outcome
    triage.change_status(db, survivor, "reopen", AGENT, MAIL)
    reopened = f"INC-{survivor} was reopened: the desk is working on it again."
    assert page_of(db, carols) == ("Merged", reopened, None)
    assert listed_outcome(db) == [("Merged", reopened)]


def test_an_alert_resolved_by_its_monitoring_tools_recovery_tells_the_requesters_merged_into_it(
    db: Database, intake: Intake
) -> None:
    alert = InboundEvent(source="alertmanager", title="Printer offline", dedup_key="printer-3")
    survivor = intake.record(ALERT, alert).incident_id
    assert survivor is not None
    carols = merged(db, mailed_in(intake, CAROL, "Cannot print"), survivor)
    intake.record(ALERT, replace(alert, action=Action.RESOLVE))
    assert resolutions(db) == [(carols, CAROL, f"[INC-{carols}] Resolved: Cannot print")]
