"""Periodic upkeep: incidents of integrations with auto-resolve resolve once they go quiet; resolved incidents no one
reopened are closed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.accounts import configure_integration, create_integration, create_user
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.errors import StorageUnavailable
from hub.intake import Intake, Raw
from hub.intake_notices import NoticeSettings
from hub.maintenance import auto_close_chore, auto_close_resolved, auto_resolve_quiet, settle_flapping, upkeep
from hub.models import Incident, Integration, OutboxMessage, TimelineEntry, utcnow
from hub.rulebook import add_rule


def test_quiet_incidents_resolve_and_notify_once_while_noisy_ones_stay_open(
    db: Database, intake: Intake, settings: Settings
) -> None:
    with db.transaction() as s:
        quiet_source = create_integration(s, name="quiet")[0].id
        other = create_integration(s, name="other")[0].id
        configure_integration(s, "quiet", auto_resolve_after=600)
        create_user(s, email="oncall@example.com", password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="to me", field="source", op="exists", set_assignee="oncall@example.com"))
    for integration_id in (quiet_source, other):
        intake.record(Raw("generic", "application/json", b"{}", integration_id),
                      InboundEvent(source="generic", title="Disk", dedup_key="disk"))  # fmt: skip
    notice = NoticeSettings(settings.desk_addresses, settings.base_url)
    assert auto_resolve_quiet(db, notice) == 0  # nothing has been quiet for ten minutes yet
    later = utcnow() + timedelta(minutes=11)
    assert auto_resolve_quiet(db, notice, now=later) == 1
    assert auto_resolve_quiet(db, notice, now=later) == 0
    with db.read() as s:
        statuses = dict(s.execute(select(Incident.integration_id, Incident.status)).all())
        kinds = list(s.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert statuses == {quiet_source: "resolved", other: "open"}
    assert kinds == ["assigned", "assigned", "resolved"]


def test_flapping_alert_holds_its_notices_until_it_settles_then_sends_one(
    db: Database, intake: Intake, settings: Settings
) -> None:
    from hub.domain import Action, Policy

    with db.transaction() as s:
        integration_id = create_integration(s, name="flappy")[0].id
        configure_integration(s, "flappy", flapping=(3, 600), reopen_window=600)
        create_user(s, email="oncall@example.com", password="correct horse", role="agent")
        add_rule(s, RuleSpec(id=0, name="to me", field="source", op="exists", set_assignee="oncall@example.com"))
    raw = Raw("generic", "application/json", b"{}", integration_id)
    policy = Policy(reopen_window=600, flap_changes=3, flap_window=600)
    for action in (Action.TRIGGER, Action.RESOLVE, Action.TRIGGER, Action.RESOLVE, Action.TRIGGER, Action.RESOLVE):
        intake.record(raw, InboundEvent(source="generic", title="Link down", dedup_key="link", action=action),
                      policy=policy)  # fmt: skip
    with db.read() as s:
        held = list(s.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
    assert held == ["assigned", "resolved"]  # the third change made it flapping: the rest wait
    notice = NoticeSettings(settings.desk_addresses, settings.base_url)
    assert settle_flapping(db, notice) == 0  # still within its window
    assert settle_flapping(db, notice, now=utcnow() + timedelta(minutes=11)) == 1
    with db.read() as s:
        kinds = list(s.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)))
        subject = s.scalars(select(OutboxMessage.subject).order_by(OutboxMessage.id.desc())).first()
    assert kinds == ["assigned", "resolved", "stable"] and "Stable, resolved" in (subject or "")


def resolved_incident(db: Database, intake: Intake, key: str, days_ago: float) -> int:
    from hub import triage
    from hub.agent_action import Actor, Mail

    outcome = intake.record(Raw("generic", "application/json", b"{}"), InboundEvent(source="generic", title=key,
                                                                                    dedup_key=key))  # fmt: skip
    assert outcome.incident_id is not None
    triage.change_status(db, outcome.incident_id, "resolve", Actor("agent@example.com"),
                         Mail("helpdesk@localhost", "http://x"))  # fmt: skip
    with db.transaction() as s:
        s.execute(update(Incident).where(Incident.id == outcome.incident_id)
                  .values(resolved_at=utcnow() - timedelta(days=days_ago)))  # fmt: skip
    return outcome.incident_id


def statuses(db: Database) -> dict[int, str]:
    with db.read() as s:
        return dict(s.execute(select(Incident.id, Incident.status)).all())


def test_resolved_incidents_no_one_reopened_are_closed_after_the_wait(db: Database, intake: Intake) -> None:
    old = resolved_incident(db, intake, "old", days_ago=8)
    recent = resolved_incident(db, intake, "recent", days_ago=1)
    still_open = intake.record(Raw("generic", "application/json", b"{}"),
                               InboundEvent(source="generic", title="open", dedup_key="open")).incident_id  # fmt: skip
    assert auto_close_resolved(db, timedelta(days=7)) == 1
    assert statuses(db) == {old: "closed", recent: "resolved", still_open: "open"}
    with db.read() as s:
        last = s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == old)
                         .order_by(TimelineEntry.id.desc())).first()  # fmt: skip
    assert last is not None and last.kind == "closed"
    assert last.summary == "Closed automatically: resolved more than 7 d ago, and no one reopened it"
    assert auto_close_resolved(db, timedelta(days=7)) == 0  # once


def test_a_backlog_is_closed_a_batch_at_a_time(db: Database, intake: Intake) -> None:
    for n in range(5):
        resolved_incident(db, intake, f"k{n}", days_ago=30)
    assert [auto_close_resolved(db, timedelta(days=7), most=2) for _ in range(4)] == [2, 2, 1, 0]


def test_the_chore_does_nothing_when_auto_close_is_zero(db: Database, intake: Intake, settings: Settings) -> None:
    resolved_incident(db, intake, "old", days_ago=400)
    assert auto_close_chore(replace(settings, auto_close=0), db)() == 0
    assert auto_close_chore(settings, db)() == 1  # the default: a week


def test_auto_close_is_read_from_the_environment() -> None:
    assert Settings.from_env({"SWITCHBOARD_AUTO_CLOSE": "3d"}).auto_close == 3 * 86400
    assert Settings.from_env({}).auto_close == 7 * 86400


def test_an_integrations_longer_reopen_window_is_waited_out_before_closing(db: Database, intake: Intake) -> None:
    with db.transaction() as s:
        create_integration(s, name="slow")
        configure_integration(s, "slow", reopen_window=30 * 86400)
        slow = s.scalars(select(Integration.id).where(Integration.name == "slow")).one()
    ids = []
    for key, days in (("a", 8), ("b", 31)):
        outcome = intake.record(Raw("generic", "application/json", b"{}", slow),
                                InboundEvent(source="generic", title=key, dedup_key=key))  # fmt: skip
        assert outcome.incident_id is not None
        ids.append(outcome.incident_id)
        with db.transaction() as s:
            s.execute(update(Incident).where(Incident.id == outcome.incident_id)
                      .values(status="resolved", resolved_at=utcnow() - timedelta(days=days)))  # fmt: skip
    assert auto_close_resolved(db, timedelta(days=7)) == 1
    assert statuses(db) == {ids[0]: "resolved", ids[1]: "closed"}  # an alert may still reopen the first


def test_a_broken_chore_is_logged_and_the_rest_of_the_round_still_runs(
    db: Database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[str] = []

    def broken(*_: object) -> None:
        raise RuntimeError("a bug in one chore")

    monkeypatch.setattr("hub.maintenance.settle_flapping", broken)  # one of the hub's own
    monkeypatch.setattr("hub.maintenance.status_updates.announce", lambda *_: ran.append("status updates"))
    upkeep(db, NoticeSettings(("desk@example.com",), "http://x"), [broken, lambda: ran.append("plugged in")])
    failed = [r for r in caplog.records if r.message.startswith("upkeep chore") and "failed" in r.message]
    assert ran == ["status updates", "plugged in"] and len(failed) == 2


def test_a_database_that_is_away_stops_the_round(db: Database) -> None:
    def away() -> None:
        raise StorageUnavailable("database unavailable")

    ran: list[str] = []
    with pytest.raises(StorageUnavailable):
        upkeep(db, NoticeSettings(("desk@example.com",), "http://x"), [away, lambda: ran.append("after")])
    assert ran == []
