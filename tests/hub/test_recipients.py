"""Who hears about an incident: group members, the requester of its resolution, watchers, and the rules' channels."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import select

from hub import desks, escalation, groups, rulebook, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.channels import create_channel
from hub.config import Settings
from hub.db import Database
from hub.domain import Action, Decision, InboundEvent, RuleBook
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.models import Escalation, OutboxMessage, TimelineEntry
from hub.outbox import PER_INCIDENT, body_of
from ingest.mail import parse
from rules import rules_file
from tests.conftest import KEYS
from tests.staff import deactivate

AGENT = Actor("agent@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")
NOTICE = NoticeSettings(("helpdesk@example.com",), "https://desk.example.com")
ALERT = Raw(source="generic", content_type="application/json", body=b"{}")
EMAIL = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nbroken")


def users(db: Database, *emails: str) -> None:
    with db.transaction() as session:
        for email in emails:
            create_user(session, email=email, password="long enough", role="agent")


def assigning_to(assignee: str | None, *channels: str):  # type: ignore[no-untyped-def]
    def decide(event: InboundEvent, book: RuleBook, now: datetime, *_: object) -> Decision:
        return Decision(priority=2, category="outage", assignee=assignee, channels=channels)

    return decide


def open_alert(db: Database, assignee: str | None = None, *channels: str) -> int:
    intake = Intake(db, assigning_to(assignee, *channels), NOTICE)
    outcome = intake.record(ALERT, InboundEvent(source="generic", title="Disk full", dedup_key="disk"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def open_email(db: Database, requester: str = "ann@example.org") -> int:
    event = InboundEvent(source="email", title="Printer is broken", requester=requester,
                         message_id="<m1@example.org>")  # fmt: skip
    return open_mailed(db, EMAIL, event)


def open_mailed(db: Database, raw: Raw, event: InboundEvent) -> int:
    outcome = Intake(db, assigning_to(None), NOTICE).record(raw, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def said(db: Database, incident_id: int) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id)))


def owed(db: Database, incident_id: int, kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.incident_id == incident_id).order_by(OutboxMessage.id)
    with db.read() as session:
        return [row for row in session.scalars(query) if kind is None or row.kind == kind]


def recipients_of(db: Database, incident_id: int, kind: str) -> list[str]:
    return sorted(row.recipient for row in owed(db, incident_id, kind))


def test_incident_a_rule_assigns_to_a_group_name_tells_each_active_member(db: Database) -> None:
    users(db, "dba1@example.com", "dba2@example.com", "gone@example.com")
    with db.transaction() as session:
        groups.save_group(session, "dba", ["dba1@example.com", "dba2@example.com", "gone@example.com"])
    deactivate(db, "gone@example.com")
    incident_id = open_alert(db, "dba")
    rows = owed(db, incident_id, "assigned")
    assert sorted(r.recipient for r in rows) == ["dba1@example.com", "dba2@example.com"]
    assert rows[0].subject == f"[INC-{incident_id}] P2 assigned to your group dba: Disk full"


def test_agent_assigning_to_a_group_tells_its_members_but_not_the_agent(db: Database) -> None:
    users(db, AGENT.name, "dba1@example.com")
    with db.transaction() as session:
        groups.save_group(session, "dba", [AGENT.name, "dba1@example.com"])
    incident_id = open_alert(db)
    triage.assign(db, incident_id, "dba", AGENT, MAIL)
    assert recipients_of(db, incident_id, "assigned") == ["dba1@example.com"]


def test_a_large_group_is_held_to_the_per_incident_mail_cap(db: Database) -> None:
    members = [f"m{n}@example.com" for n in range(PER_INCIDENT + 3)]
    users(db, *members)
    with db.transaction() as session:
        groups.save_group(session, "everyone", members)
    incident_id = open_alert(db, "everyone")
    assert len(owed(db, incident_id, "assigned")) == PER_INCIDENT
    with db.read() as session:
        held = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.summary.like("%not sent%"))).all()
    assert len(held) == 3


def test_requester_of_an_email_incident_hears_of_its_resolution_threaded(db: Database) -> None:
    incident_id = open_email(db)
    [ack] = owed(db, incident_id, "acknowledgement")
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    [resolved] = owed(db, incident_id, "resolved")
    assert resolved.recipient == "ann@example.org"
    assert resolved.subject == f"[INC-{incident_id}] Resolved: Printer is broken"
    assert resolved.headers["References"] == f"<m1@example.org> {ack.message_id}"
    assert resolved.headers["In-Reply-To"] == ack.message_id
    assert resolved.headers["Auto-Submitted"] == "auto-generated"
    text, html = body_of(resolved)  # as the worker will send it
    assert "reply to this email" in text and html is not None


def test_two_agent_mails_about_one_incident_name_the_same_thread_root(db: Database) -> None:
    users(db, "bob@example.com")
    incident_id = open_alert(db, "bob@example.com")
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    [assigned] = owed(db, incident_id, "assigned")
    [resolved] = owed(db, incident_id, "resolved")
    root = f"<inc-{incident_id}.agents@example.com>"
    for mail in (assigned, resolved):
        assert (mail.headers["References"], mail.headers["In-Reply-To"]) == (root, root)
        assert mail.subject.startswith(f"[INC-{incident_id}] ")


def test_a_requesters_mail_is_not_threaded_under_the_agents_root(db: Database) -> None:
    users(db, "bob@example.com")
    event = InboundEvent(source="email", title="Printer is broken", requester="ann@example.org",
                         message_id="<m1@example.org>")  # fmt: skip
    incident_id = Intake(db, assigning_to("bob@example.com"), NOTICE).record(EMAIL, event).incident_id
    assert incident_id is not None
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    told_ann = [row for row in owed(db, incident_id) if row.recipient == "ann@example.org"]
    assert [row.kind for row in told_ann] == ["acknowledgement", "resolved"]
    assert all(".agents@" not in str(row.headers) for row in told_ann)


def test_a_requester_whose_opening_mail_no_one_typed_hears_nothing_of_its_resolution_and_the_timeline_says_why(
    database: Database,
) -> None:
    """As the desk did not acknowledge it: an out-of-office or a list's copy that opened a request is answered
    nothing of the desk's own accord (an agent may still reply)."""
    raw = (b"From: Ann <ann@example.org>\r\nTo: helpdesk@example.com\r\nSubject: Away until Monday\r\n"
           b"Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.org>\r\n\r\nI am away.\r\n")  # fmt: skip
    incident_id = open_mailed(database, Raw(source="email", content_type="message/rfc822", body=raw), parse(raw))
    triage.change_status(database, incident_id, "resolve", AGENT, MAIL)
    assert owed(database, incident_id) == []  # neither acknowledged nor told of the resolution
    assert ("No resolution mail to ann@example.org: the mail that opened this was sent automatically (no one typed "
            "it), so the desk answers it nothing") in said(database, incident_id)  # fmt: skip


def test_a_requester_at_a_no_reply_address_hears_nothing_of_its_resolution(db: Database) -> None:
    """Mail from such an address is automatic; a request opened before the desk kept that, or logged by an agent
    for one, is not answered there either."""
    incident_id = open_email(db, "no-reply@vendor.example")
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert owed(db, incident_id, "resolved") == []
    assert any(line.startswith("No resolution mail to no-reply@vendor.example: ") for line in said(db, incident_id))


def test_the_desks_own_address_is_not_sent_the_resolution_of_a_request_it_sent(db: Database) -> None:
    incident_id = open_email(db, MAIL.desk_address)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert owed(db, incident_id) == []  # neither acknowledged nor told: it would only come back in


def test_the_desks_second_address_is_not_sent_the_resolution_of_a_request_it_sent(
    db: Database, settings: Settings
) -> None:
    """Every address the desk receives mail at is its own, not only the one it sends from: from the agent's page,
    the API and the command line (Mail.of the installation's settings) as from the intake."""
    settings = replace(settings, desk_addresses=("helpdesk@example.com", "it-help@example.com"))
    event = InboundEvent(source="email", title="Printer", requester="IT-Help@example.com", message_id="<m@x.org>")
    intake = Intake(db, assigning_to(None), replace(NOTICE, desk_addresses=settings.desk_addresses))
    opened = intake.record(EMAIL, event)
    assert opened.incident_id is not None
    triage.change_status(db, opened.incident_id, "resolve", AGENT, Mail.of(settings))
    assert owed(db, opened.incident_id) == []  # neither acknowledged nor told of its resolution


def test_a_desk_added_with_the_command_is_not_sent_the_resolution_nor_the_merge_of_a_request_it_sent(
    db: Database,
) -> None:
    """Read with the request itself, as the facts of its opening mail are: no statement of its own."""
    with db.transaction() as session:
        desks.add_desk(session, "hr-help@example.com")
    into, merged = (open_mailed(db, EMAIL, InboundEvent(source="email", title=title, requester="hr-help@example.com",
                                                        message_id=f"<{title}@example.com>"))
                    for title in ("Contracts", "Payslips"))  # fmt: skip
    triage.merge(db, merged, into, AGENT, MAIL)
    triage.change_status(db, into, "resolve", AGENT, MAIL)
    assert owed(db, into) == [] and owed(db, merged) == []


def test_watchers_hear_of_resolution_and_reopening(db: Database) -> None:
    users(db, "watcher@example.com")
    incident_id = open_alert(db)
    assert triage.watch(db, incident_id, Actor("watcher@example.com"))
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    triage.change_status(db, incident_id, "reopen", AGENT, MAIL)
    assert [(r.kind, r.recipient) for r in owed(db, incident_id)] == [
        ("resolved", "watcher@example.com"),
        ("reopened", "watcher@example.com"),
    ]


def test_an_alert_resolving_itself_tells_watchers_once(db: Database) -> None:
    users(db, "watcher@example.com")
    incident_id = open_alert(db)
    triage.watch(db, incident_id, Actor("watcher@example.com"))
    intake = Intake(db, assigning_to(None), NOTICE)
    resolve = InboundEvent(source="generic", title="Disk full", dedup_key="disk", action=Action.RESOLVE)
    intake.record(ALERT, resolve)
    intake.record(ALERT, resolve)  # a repeat of the resolve changes nothing and owes nothing
    assert recipients_of(db, incident_id, "resolved") == ["watcher@example.com"]


def test_an_assignee_who_also_watches_gets_one_notice_per_change(db: Database) -> None:
    users(db, "bob@example.com")
    incident_id = open_alert(db, "bob@example.com")
    triage.watch(db, incident_id, Actor("bob@example.com"))
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert recipients_of(db, incident_id, "resolved") == ["bob@example.com"]


def test_the_agent_who_makes_the_change_is_not_told_of_it(db: Database) -> None:
    users(db, AGENT.name)
    incident_id = open_alert(db)
    triage.watch(db, incident_id, AGENT)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert owed(db, incident_id, "resolved") == []


def test_unwatching_stops_the_notices_and_watching_twice_is_one_watcher(db: Database) -> None:
    users(db, "watcher@example.com")
    watcher = Actor("watcher@example.com")
    incident_id = open_alert(db)
    assert triage.watch(db, incident_id, watcher) and not triage.watch(db, incident_id, watcher)
    assert triage.watch(db, incident_id, watcher, on=False)
    assert not triage.watch(db, incident_id, watcher, on=False)
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    assert owed(db, incident_id, "resolved") == []


def test_channels_named_at_opening_hear_of_resolution_and_reopening(db: Database) -> None:
    with db.transaction() as session:
        create_channel(session, kind="webhook", name="ops", url="https://ops.example/hook", keys=KEYS)
        create_channel(session, kind="email", name="dba-list", to="dba@example.com", keys=KEYS)
    incident_id = open_alert(db, None, "ops", "dba-list")
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    triage.change_status(db, incident_id, "reopen", AGENT, MAIL)
    rows = [(r.kind, r.channel, r.recipient) for r in owed(db, incident_id)]
    assert rows == [
        ("opened", "webhook", "ops"),
        ("opened", "email", "dba@example.com"),
        ("resolved", "webhook", "ops"),
        ("resolved", "email", "dba@example.com"),
        ("reopened", "webhook", "ops"),
        ("reopened", "email", "dba@example.com"),
    ]
    resolved_hook = owed(db, incident_id, "resolved")[0]
    assert resolved_hook.payload is not None and resolved_hook.payload["status"] == "resolved"


def test_a_channel_removed_since_the_opening_is_noted_on_the_timeline(db: Database) -> None:
    incident_id = open_alert(db, None, "gone")
    triage.change_status(db, incident_id, "resolve", AGENT, MAIL)
    with db.read() as session:
        summaries = session.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == incident_id))
        assert list(summaries).count("channel 'gone' does not exist or is disabled; nothing sent to it") == 2


def test_an_escalation_step_tells_the_watchers_too(db: Database, intake: Intake) -> None:
    users(db, "oncall@example.com", "watcher@example.com")
    with db.transaction() as session:
        escalation.create_policy(session, "page", escalation.parse_steps(["5m:oncall@example.com"]), 0)
        parsed = rules_file.parse_file(
            "rules:\n- name: page\n  when: {field: severity, op: equals, value: critical}\n  set: {escalation: page}\n"
        )
        rulebook.replace_all(session, parsed.rules, parsed.settings)
    event = InboundEvent(source="generic", title="DB down", severity="critical", dedup_key="db",
                         labels=MappingProxyType({}))  # fmt: skip
    incident_id = intake.record(ALERT, event).incident_id
    assert incident_id is not None
    triage.watch(db, incident_id, Actor("watcher@example.com"))
    with db.read() as session:
        step_id = session.scalars(select(Escalation.id).where(Escalation.incident_id == incident_id)).one()
    fired = escalation.fire(db, step_id, desk_address="desk@example.com", base_url="http://desk")
    assert fired.notified == ("oncall@example.com", "its watchers")
    assert recipients_of(db, incident_id, "escalated") == ["oncall@example.com", "watcher@example.com"]
