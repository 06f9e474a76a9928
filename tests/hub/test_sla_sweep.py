"""The SLA sweep and what follows it, on SQLite and on PostgreSQL: warnings and breaches announced once, the
next-update clock kept by agents' updates, and the rules deciding on each warning and breach for its incident."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from hub import accounts, escalation, incident_notes, rulebook, sla, sla_pauses, triage
from hub.agent_action import Actor, Mail
from hub.catalogue import Targets, add_policy
from hub.channels import create_channel
from hub.config import Settings
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.maintenance import plugged_chores, upkeep
from hub.models import Escalation, Event, Incident, OutboxMessage, TimelineEntry
from hub.sla_events import SlaRules
from ingest.pipeline import sla_rules
from rules import rules_file
from tests.conftest import KEYS, make_settings

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
H = timedelta(hours=1)
AGENT = Actor("bob@example.com")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Each test here runs on a SQLite file and again on a PostgreSQL database."""
    return make_settings(tmp_path / "var", database_url=database_url)


@pytest.fixture
def notice_settings(settings: Settings) -> NoticeSettings:
    return NoticeSettings(desk_addresses=settings.desk_addresses, base_url=settings.base_url)


@pytest.fixture
def mail(settings: Settings) -> Mail:
    return Mail(desk_address=settings.desk_addresses[0], base_url=settings.base_url)


@pytest.fixture
def p1_policy(db: Database) -> None:
    """All P1 incidents (critical alerts): respond in 30 minutes, update every hour, resolve within 4 hours."""
    with db.transaction() as session:
        add_policy(session, name="P1", priority=1,
                   targets=Targets(first_response=30 * (H / 60), next_update=H, resolution=4 * H))  # fmt: skip


def alert(key: str = "disk-db1", action: Action = Action.TRIGGER) -> InboundEvent:
    return InboundEvent(source="generic", title="Disk full on db1", severity="critical", dedup_key=key, action=action)


def incident(db: Database, incident_id: int) -> Incident:
    with db.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found


def opened(db: Database, intake: Intake) -> Incident:
    return incident(db, intake.record(RAW, alert()).incident_id or 0)


def question(db: Database, intake: Intake) -> Incident:
    """An email from Ann, which the desk can reply to."""
    event = InboundEvent(source="email", title="Printer on fire", severity="critical", requester="ann@example.com",
                         message_id="<q1@example.com>")  # fmt: skip
    return incident(db, intake.record(RAW, event).incident_id or 0)


def timeline(db: Database, incident_id: int, kind: str) -> list[TimelineEntry]:
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id,
                                                                TimelineEntry.kind == kind)))  # fmt: skip


def backdate(db: Database, incident_id: int, by: timedelta) -> None:
    """As if everything about the incident's clocks had happened `by` earlier."""
    columns = ("first_seen", "acknowledged_at", "sla_response_warn_at", "sla_response_due_at", "sla_warn_at",
               "sla_due_at", "sla_update_warn_at", "sla_update_due_at", "sla_next_at")  # fmt: skip
    with db.transaction() as session:
        row = session.get(Incident, incident_id)
        assert row is not None
        for name in columns:
            if getattr(row, name) is not None:
                setattr(row, name, getattr(row, name) - by)


# -- the sweep ---------------------------------------------------------------------------------------------------


def test_the_sweep_announces_a_warning_once_as_an_sla_event_on_the_timeline(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    first = opened(db, intake)
    at = first.first_seen + timedelta(minutes=25)  # past the response warning (22.5 min), before it is due
    announced = sla.sweep(db, notice_settings, now=at)
    assert [(c.clock, c.kind) for c in announced] == [("first_response", "warning")]
    assert sla.sweep(db, notice_settings, now=at) == []
    assert incident(db, first.id).sla_state == "warning"
    with db.read() as session:
        event = session.scalars(select(Event).where(Event.source == "sla")).one()
    [entry] = timeline(db, first.id, "sla_warning")
    assert json.loads(event.raw) | {"due_at": None} == {
        "kind": "warning", "clock": "first_response", "incident": first.ref, "due_at": None, "priority": 1,
        "service": None, "assignee": "service-desk",
    }  # fmt: skip
    assert (event.incident_id, event.status, entry.event_id) == (first.id, "pending", event.id)


def test_a_breach_notifies_an_assignee_who_is_a_person(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="agent")
    first = opened(db, intake)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == first.id).values(assignee="ann@example.com"))
    announced = sla.sweep(db, notice_settings, now=first.first_seen + 5 * H)
    assert [c.kind for c in announced].count("breach") == 2  # first response and resolution
    assert incident(db, first.id).sla_state == "breached"
    with db.read() as session:
        subjects = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.kind == "sla_breach")).all()
    assert len(subjects) == 2 and all("SLA breached" in s for s in subjects)


def test_an_assignees_breach_mail_gives_the_due_time_in_their_zone_and_the_timeline_in_utc(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="agent")
        accounts.set_timezone(session, "ann@example.com", "Asia/Kolkata")  # IST, UTC+05:30 all year
    first = opened(db, intake)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == first.id).values(assignee="ann@example.com"))
    sla.sweep(db, notice_settings, now=first.first_seen + 5 * H)
    due = first.sla_response_due_at
    assert due is not None
    with db.read() as session:
        subjects = session.scalars(select(OutboxMessage.subject).where(OutboxMessage.kind == "sla_breach")).all()
    ist = due + timedelta(hours=5, minutes=30)
    assert f"first response due {ist:%Y-%m-%d %H:%M} IST" in " ".join(subjects)
    summaries = [e.summary for e in timeline(db, first.id, "sla_breach")]
    assert f"SLA breached: first response due {due:%Y-%m-%d %H:%M} UTC" in summaries


def test_the_upkeep_sweeps_sla_clocks(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings
) -> None:
    first = opened(db, intake)
    backdate(db, first.id, 10 * H)
    upkeep(db, notice_settings)
    assert incident(db, first.id).sla_state == "breached"


# -- the next-update clock ---------------------------------------------------------------------------------------


def test_the_first_response_starts_the_next_update_clock(db: Database, intake: Intake, p1_policy: None) -> None:
    first = opened(db, intake)
    assert first.sla_update_due_at is None
    intake.record(RAW, alert(action=Action.ACKNOWLEDGE))
    acknowledged = incident(db, first.id)
    assert acknowledged.acknowledged_at is not None
    assert acknowledged.sla_update_due_at == acknowledged.acknowledged_at + H
    assert acknowledged.sla_next_at == acknowledged.sla_update_warn_at  # the first thing that can happen now


def test_a_reply_to_the_requester_starts_the_next_update_clock_again(
    db: Database, intake: Intake, p1_policy: None, mail: Mail
) -> None:
    asked = question(db, intake)
    incident_notes.reply(db, asked.id, "Looking at it.", AGENT, mail)
    backdate(db, asked.id, 30 * (H / 60))
    before = incident(db, asked.id)
    incident_notes.reply(db, asked.id, "Still on it: the fire brigade is here.", AGENT, mail)
    after = incident(db, asked.id)
    assert before.sla_update_due_at is not None and after.sla_update_due_at is not None
    assert after.sla_update_due_at - before.sla_update_due_at > 25 * (H / 60)
    assert after.sla_update_missed_at is None and after.sla_state == "ok"


def test_an_internal_note_is_no_update(db: Database, intake: Intake, p1_policy: None, mail: Mail) -> None:
    asked = question(db, intake)
    incident_notes.reply(db, asked.id, "Looking at it.", AGENT, mail)
    before = incident(db, asked.id)
    incident_notes.add_note(db, asked.id, "Ann's printer is the old one.", AGENT)
    assert incident(db, asked.id).sla_update_due_at == before.sla_update_due_at


def test_the_sweep_announces_a_missed_update_and_a_late_one_stays_a_breach(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings, mail: Mail
) -> None:
    asked = question(db, intake)
    incident_notes.reply(db, asked.id, "Looking at it.", AGENT, mail)
    backdate(db, asked.id, 90 * (H / 60))
    announced = sla.sweep(db, notice_settings)
    assert [(c.clock, c.kind) for c in announced] == [("next_update", "warning"), ("next_update", "breach")]
    assert [e.summary.split(":")[0] for e in timeline(db, asked.id, "sla_breach")] == ["SLA breached"]
    incident_notes.reply(db, asked.id, "Sorry for the silence.", AGENT, mail)
    late = incident(db, asked.id)
    assert late.sla_update_missed_at is not None and late.sla_state == "breached"
    assert sla.live_state(late) == "breached"


def test_waiting_on_the_requester_pauses_the_next_update_clock(
    db: Database, intake: Intake, p1_policy: None, mail: Mail
) -> None:
    asked = question(db, intake)
    incident_notes.reply(db, asked.id, "Which floor?", AGENT, mail)
    with db.transaction() as session:
        sla_pauses.wait_on_requester(session.connection(), asked.id, AGENT.name)
    waiting = incident(db, asked.id)
    assert (waiting.sla_state, waiting.sla_next_at) == ("paused", None)
    assert waiting.sla_update_due_at is not None


def test_the_incident_page_lists_the_next_update_clock(
    db: Database, intake: Intake, p1_policy: None, mail: Mail
) -> None:
    asked = question(db, intake)
    incident_notes.reply(db, asked.id, "Looking at it.", AGENT, mail)
    with db.read() as session:
        names = [view.name for view in sla.clock_views(session, incident(db, asked.id))]
    assert names == ["First response", "Next update", "Resolution"]


# -- the rules on SLA warnings and breaches ----------------------------------------------------------------------

BREACH_RULE = """
rules:
- name: everything to the service desk
  when: {field: source, op: exists}
  set: {assignee: service-desk, category: general}
- name: P1 breaches page the DBAs
  when:
    all:
    - {field: source, op: equals, value: sla}
    - {field: labels.sla, op: equals, value: breach}
    - {field: labels.priority, op: equals, value: "1"}
  set: {channels: [ops-slack], escalation: db-oncall}
"""


@pytest.fixture
def breach_rule(db: Database) -> None:
    """A catch-all rule, and one that notifies the ops-slack channel and escalates with db-oncall on any breach of
    a P1."""
    with db.transaction() as session:
        accounts.create_user(session, email="oncall@example.com", password="a long passphrase", role="agent")
        create_channel(session, kind="slack", name="ops-slack", url="https://hooks.slack.example/T0/B0", keys=KEYS)
        escalation.create_policy(session, "db-oncall", escalation.parse_steps(["5m:oncall@example.com"]))
        parsed = rules_file.parse_file(BREACH_RULE)
        rulebook.replace_all(session, parsed.rules, parsed.settings)


@pytest.fixture
def decide(db: Database, settings: Settings) -> SlaRules:
    return sla_rules(settings, db)


def breached(db: Database, intake: Intake, notice_settings: NoticeSettings) -> Incident:
    """A P1 whose first response is overdue, swept."""
    first = opened(db, intake)
    sla.sweep(db, notice_settings, now=first.first_seen + 45 * (H / 60))  # the response warning and breach
    return first


def test_a_rule_on_an_sla_breach_notifies_its_channel_and_escalates_that_incident(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    first = breached(db, intake, notice_settings)
    assert decide() == 2  # the warning and the breach
    with db.read() as session:
        slack = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "slack")).one()
        steps = session.scalars(select(Escalation)).all()
        incidents = session.scalar(select(func.count()).select_from(Incident))
    assert (slack.incident_id, slack.status, slack.kind) == (first.id, "pending", "sla breach")
    assert [(s.incident_id, s.status) for s in steps] == [(first.id, "scheduled")]
    assert incidents == 1  # an SLA event never opens an incident
    [decided] = timeline(db, first.id, "sla_rules")
    assert "notify ops-slack" in decided.summary and "escalate under db-oncall" in decided.summary


def test_without_a_matching_rule_only_the_assignee_hears_of_a_breach(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    with db.transaction() as session:
        accounts.create_user(session, email="ann@example.com", password="a long passphrase", role="agent")
    first = opened(db, intake)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == first.id).values(assignee="ann@example.com",
                                                                               priority=2))  # fmt: skip
    sla.sweep(db, notice_settings, now=first.first_seen + 45 * (H / 60))
    decide()
    with db.read() as session:
        sent = session.execute(select(OutboxMessage.channel, OutboxMessage.recipient)).all()
        steps = session.scalar(select(func.count()).select_from(Escalation))
    assert set(sent) == {("email", "ann@example.com")} and steps == 0
    assert timeline(db, first.id, "sla_rules") == []
    assert incident(db, first.id).assignee == "ann@example.com"  # the catch-all rule's assignee is not applied


def test_the_sla_event_is_kept_processed_with_its_rules_trace(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    breached(db, intake, notice_settings)
    decide()
    with db.read() as session:
        events = {json.loads(e.raw)["kind"]: e for e in session.scalars(select(Event).where(Event.source == "sla"))}
    breach, warning = events["breach"], events["warning"]
    assert (breach.status, warning.status) == ("processed", "processed")
    assert breach.trace is not None and [step["rule"] for step in breach.trace["rules"]] == [
        "everything to the service desk",
        "P1 breaches page the DBAs",
    ]
    assert breach.trace["decision"]["escalation"] == "db-oncall"
    assert warning.trace is not None and warning.trace["decision"]["escalation"] is None


def test_a_later_breach_does_not_start_a_running_escalation_again(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    first = breached(db, intake, notice_settings)
    decide()
    sla.sweep(db, notice_settings, now=first.first_seen + 5 * H)  # now the resolution breaches too
    decide()
    with db.read() as session:
        steps = session.scalar(select(func.count()).select_from(Escalation))
    assert steps == 1
    assert any("not started again" in e.summary for e in timeline(db, first.id, "escalation"))


def test_a_breach_of_an_acknowledged_incident_escalates_until_it_is_resolved(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings, mail: Mail,
) -> None:  # fmt: skip
    first = opened(db, intake)
    intake.record(RAW, alert(action=Action.ACKNOWLEDGE))  # someone has it, in time
    sla.sweep(db, notice_settings, now=first.first_seen + 5 * H)  # but it is not resolved within 4 hours
    decide()
    with db.read() as session:
        [step] = session.scalars(select(Escalation)).all()
    assert (step.status, step.until) == ("scheduled", "resolved")
    fired = escalation.fire(db, step.id, desk_address="desk@example.com", base_url="http://x")
    assert fired.notified == ("oncall@example.com",)  # acknowledged, yet still escalated: it is not resolved
    assert timeline(db, first.id, "escalation")[-1].summary.startswith("Not resolved: escalated (step 1 of db-oncall)")


def test_resolving_stops_an_escalation_that_runs_until_resolution(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, decide: SlaRules,
    notice_settings: NoticeSettings, mail: Mail,
) -> None:  # fmt: skip
    first = opened(db, intake)
    intake.record(RAW, alert(action=Action.ACKNOWLEDGE))
    sla.sweep(db, notice_settings, now=first.first_seen + 5 * H)
    decide()
    triage.change_status(db, first.id, "resolve", AGENT, mail)
    with db.read() as session:
        [step] = session.scalars(select(Escalation)).all()
    assert step.status == "stopped"
    assert escalation.fire(db, step.id, desk_address="desk@example.com", base_url="http://x").stopped


def test_the_dispatcher_upkeep_lets_the_plugged_in_rules_decide_in_the_same_round(
    db: Database, intake: Intake, p1_policy: None, breach_rule: None, settings: Settings,
    notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    first = opened(db, intake)
    backdate(db, first.id, 45 * (H / 60))
    chores = plugged_chores(settings, db)
    assert [type(chore) for chore in chores if isinstance(chore, SlaRules)] == [SlaRules]
    upkeep(db, notice_settings, chores)
    with db.read() as session:
        pending = session.scalar(select(func.count()).select_from(Event).where(Event.status == "pending"))
        channels = session.scalars(select(OutboxMessage.channel)).all()
    assert pending == 0 and "slack" in channels


def test_a_rule_that_fails_leaves_its_event_unprocessable_and_the_rest_decided(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings,
) -> None:  # fmt: skip
    calls: list[str] = []

    def flaky(event: InboundEvent, *_: object) -> object:
        calls.append(event.labels["sla"])
        raise ValueError("boom")

    breached(db, intake, notice_settings)
    SlaRules(db, flaky, notice_settings).run(now=datetime.now().astimezone())  # type: ignore[arg-type]
    with db.read() as session:
        errors = session.scalars(select(Event.error).where(Event.source == "sla")).all()
    assert calls == ["warning", "breach"]
    assert errors == ["the rules failed: ValueError: boom"] * 2


def test_a_reopened_incident_owes_its_next_update_a_whole_target_after_the_reopening(
    db: Database, intake: Intake, p1_policy: None, notice_settings: NoticeSettings, mail: Mail
) -> None:
    first = opened(db, intake)
    intake.record(RAW, alert(action=Action.ACKNOWLEDGE))
    intake.record(RAW, alert(action=Action.RESOLVE))
    backdate(db, first.id, 3 * H)  # resolved within its update target, three hours ago
    with db.transaction() as session:
        row = session.get(Incident, first.id)
        assert row is not None and row.resolved_at is not None
        row.resolved_at -= 3 * H
    triage.change_status(db, first.id, "reopen", AGENT, mail)
    reopened = incident(db, first.id)
    assert reopened.sla_update_due_at is not None and reopened.resolved_at is None
    assert reopened.sla_update_due_at > datetime.now(reopened.sla_update_due_at.tzinfo) + 50 * (H / 60)
    assert reopened.sla_update_missed_at is None
    assert sla.sweep(db, notice_settings) == []  # no update was owed while it was resolved
