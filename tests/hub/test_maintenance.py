"""Periodic upkeep: incidents of integrations with auto-resolve resolve once they go quiet."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub.accounts import configure_integration, create_integration, create_user
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.intake import Intake, NoticeSettings, Raw
from hub.maintenance import auto_resolve_quiet, settle_flapping
from hub.models import Incident, OutboxMessage, utcnow
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
