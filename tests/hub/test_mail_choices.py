"""Each person chooses which mail the desk sends them: what they turn down is never written to the outbox, the
timeline says so, and the mail someone relies on (escalation pages, SLA breaches) is sent whatever they chose. On
SQLite and on PostgreSQL, since the choices are read as the drivers hand them over."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from hub import escalation, groups, incident_notes, mail_choices, sla, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.domain import Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.mail_choices import DEFAULTS, MailChoices, read, stored, wants
from hub.models import Escalation, OutboxMessage, TimelineEntry
from tests.web.helpers import statements

AGENT = Actor("agent@example.com")
ANN = "ann@example.com"
BOB = "bob@example.com"
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
NOTICE = NoticeSettings(("helpdesk@example.com",), "https://desk.example.com")
ALERT = Raw(source="generic", content_type="application/json", body=b"{}")
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")
#: Everything a person can turn off, turned off.
NOTHING = MailChoices(assigned_up_to=mail_choices.NEVER, mentioned=False, watching=False, replies=False,
                      sla_warnings=False)  # fmt: skip
P1_P2 = MailChoices(assigned_up_to=2)


def people(db: Database, *emails: str, choices: MailChoices = DEFAULTS) -> None:
    with db.transaction() as session:
        for email in emails:
            create_user(session, email=email, password="long enough", role="agent")
            mail_choices.choose(session, email, choices)


def open_alert(db: Database, *, priority: int = 3, assignee: str | None = ANN, key: str = "disk",
               escalate: str | None = None) -> int:  # fmt: skip
    def decide(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
        return Decision(priority=priority, category="outage", assignee=assignee, escalation=escalate)

    outcome = Intake(db, decide, NOTICE).record(ALERT, InboundEvent(source="generic", title="Disk full",
                                                                    dedup_key=key))  # fmt: skip
    assert outcome.incident_id is not None
    return outcome.incident_id


def mailed(db: Database, incident_id: int, kind: str) -> list[str]:
    query = select(OutboxMessage.recipient).where(OutboxMessage.incident_id == incident_id, OutboxMessage.kind == kind)
    with db.read() as session:
        return sorted(session.scalars(query))


def notes(db: Database, incident_id: int) -> list[str]:
    query = (
        select(TimelineEntry.summary)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "notification")
        .order_by(TimelineEntry.id)
    )
    with db.read() as session:
        return list(session.scalars(query))


# -- the rule (pure) -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["assigned", "mentioned", "resolved", "reopened", "stable", "requester_replied", "sla_warning"]
)
@pytest.mark.parametrize("watcher", [False, True])
def test_someone_who_never_chose_is_sent_every_notice_as_before(kind: str, watcher: bool) -> None:
    assert all(wants(DEFAULTS, kind, priority, watcher=watcher) for priority in (1, 2, 3, 4, 5, None))


@pytest.mark.parametrize(
    "kind", ["escalated", "on_call", "sla_breach", "status_confirmation", "ask_confirmation", "my_requests"]
)
def test_pages_breaches_and_confirmation_links_are_sent_whatever_was_chosen(kind: str) -> None:
    assert wants(NOTHING, kind, 5)


def test_a_watcher_who_turned_watching_off_is_not_paged_by_an_escalation_step() -> None:
    assert not wants(NOTHING, "escalated", 1, watcher=True)
    assert wants(MailChoices(watching=True), "escalated", 1, watcher=True)


def test_the_assignment_choice_holds_the_incidents_later_news_to_its_priority_too() -> None:
    assert [wants(P1_P2, "reopened", priority) for priority in (1, 2, 3)] == [True, True, False]


def test_only_choices_that_differ_from_the_defaults_are_stored_and_read_back() -> None:
    assert stored(DEFAULTS) is None
    assert stored(P1_P2) == {"assigned_up_to": 2}
    assert read(stored(NOTHING)) == NOTHING
    assert read('{"mentioned": false}') == MailChoices(mentioned=False)  # as SQLite's driver hands it over


@pytest.mark.parametrize("value", ["{not json", "[1]", {"assigned_up_to": 9}, {"assigned_up_to": True},
                                   {"mentioned": "no"}, {"escalated": False}])  # fmt: skip
def test_a_damaged_or_foreign_stored_value_reads_as_everything_on(value: object) -> None:
    assert read(value) == DEFAULTS


# -- where notices are owed ----------------------------------------------------------------------------------------


def test_p1_p2_only_gets_the_assignment_mail_for_a_p1_alert_and_none_for_a_p3(database: Database) -> None:
    people(database, ANN, choices=P1_P2)
    urgent = open_alert(database, priority=1, key="p1")
    minor = open_alert(database, priority=3, key="p3")
    assert mailed(database, urgent, "assigned") == [ANN]
    assert mailed(database, minor, "assigned") == []
    assert notes(database, minor) == [f"assigned to {ANN} not mailed: turned off by them"]


def test_a_group_member_who_chose_p1_only_is_left_out_of_a_p2_group_assignment(database: Database) -> None:
    people(database, ANN, choices=MailChoices(assigned_up_to=1))
    people(database, BOB)
    with database.transaction() as session:
        groups.save_group(session, "dba", [ANN, BOB])
    incident_id = open_alert(database, priority=2, assignee="dba")
    assert mailed(database, incident_id, "assigned") == [BOB]


def test_an_agent_assigning_to_someone_who_chose_never_mails_them_nothing(database: Database) -> None:
    people(database, ANN, choices=MailChoices(assigned_up_to=mail_choices.NEVER))
    incident_id = open_alert(database, priority=1, assignee=None)
    triage.assign(database, incident_id, ANN, AGENT, MAIL)
    assert mailed(database, incident_id, "assigned") == []
    assert notes(database, incident_id) == [f"assigned to {ANN} not mailed: turned off by them"]


def test_mentions_off_mails_no_one_but_the_note_and_the_mention_are_kept(database: Database) -> None:
    people(database, AGENT.name)
    people(database, ANN, choices=MailChoices(mentioned=False))
    incident_id = open_alert(database, assignee=None)
    said = incident_notes.add_note(database, incident_id, "@ann can you look?", AGENT, MAIL)
    assert (said.people, said.not_mailed) == ((), (ANN,))
    assert mailed(database, incident_id, "mentioned") == []
    with database.read() as session:
        note = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "note")).one()
    assert note.data is not None and note.data["mentioned"] == [ANN] and note.data["body"] == "@ann can you look?"
    assert notes(database, incident_id) == [f"mentioned to {ANN} not mailed: turned off by them"]


def test_watching_off_hears_nothing_of_a_watched_incident_while_other_watchers_do(database: Database) -> None:
    people(database, ANN, choices=MailChoices(watching=False))
    people(database, BOB)
    incident_id = open_alert(database, assignee=None)
    for watcher in (ANN, BOB):
        triage.watch(database, incident_id, Actor(watcher))
    triage.change_status(database, incident_id, "resolve", AGENT, MAIL)
    assert mailed(database, incident_id, "resolved") == [BOB]
    assert f"resolved to {ANN} not mailed: turned off by them" in notes(database, incident_id)


def test_one_of_the_desks_people_who_asked_hears_of_their_own_requests_resolution_with_watching_off(
    database: Database,
) -> None:
    """The choice is about what they watch; their own request's resolution they get as any requester does, and the
    timeline does not say they turned off the mail they are sent."""
    people(database, ANN, choices=MailChoices(watching=False))
    event = InboundEvent(source="email", title="Printer is broken", requester=ANN, message_id="<m1@example.com>")
    incident_id = Intake(database, lambda *_: Decision(priority=3), NOTICE).record(EMAIL, event).incident_id
    assert incident_id is not None
    triage.watch(database, incident_id, Actor(ANN))
    triage.change_status(database, incident_id, "resolve", AGENT, MAIL)
    assert mailed(database, incident_id, "resolved") == [ANN]
    assert not any(ANN in line and "turned off" in line for line in notes(database, incident_id))


def test_replies_off_the_assignee_hears_nothing_of_the_requesters_reply(database: Database) -> None:
    people(database, ANN, choices=MailChoices(replies=False))
    people(database, BOB)

    def decide(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
        return Decision(priority=3, assignee=ANN)

    intake = Intake(database, decide, NOTICE)
    first = InboundEvent(source="email", title="Printer", requester="carl@example.org", message_id="<m1@x>")
    incident_id = intake.record(EMAIL, first).incident_id
    assert incident_id is not None
    triage.watch(database, incident_id, Actor(BOB))
    again = InboundEvent(source="email", title="Re: Printer", requester="carl@example.org", message_id="<m2@x>",
                         in_reply_to=("<m1@x>",), description="still broken")  # fmt: skip
    intake.record(EMAIL, again)
    assert mailed(database, incident_id, "requester_replied") == [BOB]


def test_an_escalation_pages_its_target_whatever_they_chose(database: Database) -> None:
    people(database, ANN, BOB, choices=NOTHING)
    with database.transaction() as session:
        escalation.create_policy(session, "page", escalation.parse_steps([f"5m:{ANN}"]), 0)
    incident_id = open_alert(database, priority=5, assignee=None, escalate="page")
    triage.watch(database, incident_id, Actor(BOB))
    with database.read() as session:
        step_id = session.scalars(select(Escalation.id).where(Escalation.incident_id == incident_id)).one()
    fired = escalation.fire(database, step_id, desk_address="helpdesk@example.com", base_url="https://desk")
    assert mailed(database, incident_id, "escalated") == [ANN]
    assert fired.notified == (ANN,)  # not "its watchers": the one watching turned that off
    assert notes(database, incident_id)[0] == f"escalated to {BOB} not mailed: turned off by them"


def test_sla_warnings_off_a_breach_is_mailed_all_the_same(database: Database) -> None:
    people(database, ANN, choices=MailChoices(sla_warnings=False))
    with database.transaction() as session:
        add_policy(session, name="P1", priority=1, targets=Targets(first_response=timedelta(minutes=30)))
    incident_id = open_alert(database, priority=1)
    with database.read() as session:
        opened_at = session.scalars(select(TimelineEntry.at).where(TimelineEntry.kind == "opened")).one()
    warned = sla.sweep(database, NOTICE, now=opened_at + timedelta(minutes=25))
    breached = sla.sweep(database, NOTICE, now=opened_at + timedelta(hours=1))
    assert [c.kind for c in warned] == ["warning"] and [c.kind for c in breached] == ["breach"]
    assert mailed(database, incident_id, "sla_warning") == []
    assert mailed(database, incident_id, "sla_breach") == [ANN]
    assert f"sla_warning to {ANN} not mailed: turned off by them" in notes(database, incident_id)


def test_the_choices_of_everyone_told_of_a_change_are_read_in_one_statement(database: Database) -> None:
    people(database, ANN, choices=P1_P2)
    people(database, BOB, "cy@example.com", "dee@example.com")
    incident_id = open_alert(database)
    for watcher in (BOB, "cy@example.com", "dee@example.com"):
        triage.watch(database, incident_id, Actor(watcher))
    with statements(database) as sent:
        triage.change_status(database, incident_id, "resolve", AGENT, MAIL)
    assert len([s for s in sent if "mail_choices" in s]) == 1
    assert mailed(database, incident_id, "resolved") == [BOB, "cy@example.com", "dee@example.com"]
