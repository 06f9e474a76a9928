"""Escalation policies: steps parsed, owed with the incident, fired once while it stays unacknowledged."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import MappingProxyType

import pytest
from sqlalchemy import select

from hub import escalation, groups, oncall, rulebook, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.domain import Action, InboundEvent
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.models import Escalation, OutboxMessage, TimelineEntry, utcnow
from rules import rules_file
from tests.staff import deactivate

RAW = Raw(source="generic", content_type="application/json", body=b"{}")
DESK = {"desk_address": "desk@example.com", "base_url": "http://desk"}


def test_steps_are_a_delay_then_targets() -> None:
    [first, second] = escalation.parse_steps(["5m:oncall@example.com", "15m:group:dba,channel:ops"])
    assert first.after == timedelta(minutes=5) and first.notify == ("oncall@example.com",)
    assert second.notify == ("group:dba", "channel:ops")


@pytest.mark.parametrize(("text", "message"), [("oncall@example.com", "not a step"), ("5m:pager", "not a target"),
                                               ("soon:a@b.c", "soon")])  # fmt: skip
def test_bad_steps_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        escalation.parse_steps([text])


def test_after_the_last_step_the_list_runs_again_as_often_as_asked() -> None:
    assert escalation.next_step(3, 0, 0, repeat=1) == (1, 0)
    assert escalation.next_step(3, 2, 0, repeat=1) == (0, 1)
    assert escalation.next_step(3, 2, 1, repeat=1) is None


def escalating(db: Database, intake: Intake, *steps: str, repeat: int = 0) -> int:
    """A policy, a rule that starts it for critical alerts, people to tell, and one incident under it."""
    with db.transaction() as session:
        for email in ("oncall@example.com", "dba1@example.com", "dba2@example.com"):
            create_user(session, email=email, password="long enough", role="agent")
        groups.save_group(session, "dba", ["dba1@example.com", "dba2@example.com"])
        escalation.create_policy(session, "db-oncall", escalation.parse_steps(steps), repeat)
        parsed = rules_file.parse_file(
            "rules:\n- name: page\n  when: {field: severity, op: equals, value: critical}\n"
            "  set: {escalation: db-oncall}\n"
        )
        rulebook.replace_all(session, parsed.rules, parsed.settings)
    event = InboundEvent(source="generic", title="DB down", severity="critical", dedup_key="db",
                         labels=MappingProxyType({}))  # fmt: skip
    outcome = intake.record(RAW, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


def steps_of(db: Database, incident_id: int) -> list[Escalation]:
    with db.read() as session:
        return list(session.scalars(select(Escalation).where(Escalation.incident_id == incident_id)
                                    .order_by(Escalation.id)))  # fmt: skip


def mails(db: Database, kind: str = "escalated") -> list[str]:
    with db.read() as session:
        return sorted(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == kind)))


def timeline(db: Database) -> list[str]:
    """The escalation entries of the incidents' timelines, oldest first."""
    with db.read() as session:
        return list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "escalation")
                                    .order_by(TimelineEntry.id)))  # fmt: skip


def test_opening_an_incident_under_a_policy_owes_its_first_step(db: Database, intake: Intake) -> None:
    before = utcnow()
    incident_id = escalating(db, intake, "5m:oncall@example.com")
    [step] = steps_of(db, incident_id)
    assert step.status == "scheduled" and step.step == 0
    assert timedelta(minutes=5) <= step.due_at - before < timedelta(minutes=5, seconds=30)


def test_a_due_step_tells_its_targets_and_owes_the_next(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall@example.com", "10m:group:dba")
    first = steps_of(db, incident_id)[0]
    fired = escalation.fire(db, first.id, **DESK)
    assert fired.notified == ("oncall@example.com",) and mails(db) == ["oncall@example.com"]
    done, following = steps_of(db, incident_id)
    assert done.status == "done" and (following.step, following.status) == (1, "scheduled")
    escalation.fire(db, following.id, **DESK)
    assert mails(db) == ["dba1@example.com", "dba2@example.com", "oncall@example.com"]
    assert len(steps_of(db, incident_id)) == 2  # no repeat: the policy ends there


def test_firing_a_step_twice_tells_people_once(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall@example.com")
    step_id = steps_of(db, incident_id)[0].id
    escalation.fire(db, step_id, **DESK)
    assert escalation.fire(db, step_id, **DESK).stopped == "already handled"
    assert mails(db) == ["oncall@example.com"]


def test_acknowledging_stops_the_escalation(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall@example.com")
    step_id = steps_of(db, incident_id)[0].id
    triage.change_status(db, incident_id, "acknowledge", Actor("a@example.com"), Mail("desk@example.com", "http://x"))
    assert steps_of(db, incident_id)[0].status == "stopped"
    assert escalation.fire(db, step_id, **DESK).stopped == "already handled"
    assert mails(db) == []


def test_an_acknowledgement_the_step_did_not_hear_of_still_stops_it(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall@example.com")
    step_id = steps_of(db, incident_id)[0].id
    ack = InboundEvent(source="generic", title="", dedup_key="db", action=Action.ACKNOWLEDGE)
    intake.record(RAW, ack)  # acknowledged by the monitoring tool, not in the UI
    assert escalation.fire(db, step_id, **DESK).stopped == "incident is acknowledged"
    assert mails(db) == []


def test_the_timeline_says_who_was_told(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall@example.com")
    escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert timeline(db)[-1] == "Not acknowledged: escalated (step 1 of db-oncall) to oncall@example.com"


def test_an_oncall_step_tells_whoever_is_on_call_when_it_fires(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall:dba")
    _weekly_rotation(db, weeks_started_days_ago=8)  # the rotation's second member is on call
    fired = escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert fired.notified == ("dba2@example.com (on call for dba)",) and mails(db) == ["dba2@example.com"]


def _weekly_rotation(db: Database, *, weeks_started_days_ago: int) -> datetime:
    """dba rotates weekly, its first week having begun that many days ago; returns now."""
    now = utcnow()
    with db.transaction() as session:
        handoff = f"{now - timedelta(days=weeks_started_days_ago):%Y-%m-%d %H:%M}"
        oncall.set_rotation(session, "dba", zone="UTC", shift="1w", handoff=handoff, now=now)
    return now


def test_an_oncall_step_passes_over_someone_on_call_deactivated_since_to_the_next_in_rota(
    db: Database, intake: Intake
) -> None:
    incident_id = escalating(db, intake, "5m:oncall:dba")
    _weekly_rotation(db, weeks_started_days_ago=8)
    deactivate(db, "dba2@example.com")  # on call this week
    fired = escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert fired.notified == ("dba1@example.com (on call for dba; dba2@example.com, on call, is deactivated)",)
    assert mails(db) == ["dba1@example.com"]


def test_the_timeline_says_whom_an_oncall_step_passed_over_and_why(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall:dba")
    now = _weekly_rotation(db, weeks_started_days_ago=1)
    with db.transaction() as session:
        oncall.add_override(session, "dba", "oncall@example.com", now - timedelta(hours=1), now + timedelta(hours=1),
                            by="cli", now=now)  # fmt: skip
    deactivate(db, "oncall@example.com", "dba1@example.com")  # the cover, and dba1 whose week it is
    escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert timeline(db)[-1] == (
        "Not acknowledged: escalated (step 1 of db-oncall) to dba2@example.com (on call for dba; oncall@example.com, "
        "on call, is deactivated; dba1@example.com, next in line, is deactivated)"
    )


def test_an_oncall_step_no_one_in_the_rotation_can_answer_tells_the_group_saying_why(
    db: Database, intake: Intake
) -> None:
    incident_id = escalating(db, intake, "5m:oncall:dba")
    _weekly_rotation(db, weeks_started_days_ago=1)
    deactivate(db, "dba1@example.com", "dba2@example.com")
    fired = escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert fired.notified == ("group dba (no one on call can answer; dba1@example.com, on call, is deactivated; "
                              "dba2@example.com, next in line, is deactivated)",)  # fmt: skip


def test_an_oncall_step_with_no_one_on_call_tells_the_whole_group(db: Database, intake: Intake) -> None:
    incident_id = escalating(db, intake, "5m:oncall:dba")
    fired = escalation.fire(db, steps_of(db, incident_id)[0].id, **DESK)
    assert fired.notified == ("group dba (no one on call)",)
    assert mails(db) == ["dba1@example.com", "dba2@example.com"]


@pytest.mark.parametrize(
    ("target", "said"),
    [("ghost@example.com", "escalation target ghost@example.com: no active user has that address; `switchboard "
                           "user list`"),
     ("group:nogroup", "escalation target group:nogroup: there is no such group; `switchboard group list`"),
     ("channel:nowhere", "escalation target channel:nowhere: there is no such channel; `switchboard channel list`")],
)  # fmt: skip
def test_an_escalation_target_no_one_has_made_is_refused(db: Database, target: str, said: str) -> None:
    with pytest.raises(BadInput, match="^" + re.escape(said)), db.transaction() as session:
        escalation.create_policy(session, "page", escalation.parse_steps([f"5m:{target}"]))
