"""Late heartbeats become incidents: the dispatcher's upkeep step (the `switchboard.upkeep` entry point
`heartbeats`), here because raising one goes through the intake with the rules engine plugged in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from hub import heartbeats
from hub.accounts import IntegrationKeys
from hub.config import Settings
from hub.db import Database
from hub.heartbeats import Beat
from hub.intake import Intake, Raw
from hub.models import utcnow
from ingest.pipeline import make_intake


def watch(settings: Settings, db: Database) -> Callable[[], int]:
    """The upkeep step, built once per dispatcher."""
    intake, keys = make_intake(settings, db), IntegrationKeys(db)

    def raise_late_heartbeats() -> int:
        return raise_late(db, intake, keys)

    return raise_late_heartbeats


def raise_late(db: Database, intake: Intake, keys: IntegrationKeys, now: datetime | None = None) -> int:
    """Raise an incident for each heartbeat past due (of an enabled integration), once; returns how many."""
    now = now or utcnow()
    with db.read() as session:
        due = heartbeats.late(session, now)
    raised = 0
    for beat in due:
        integration = keys.find(beat.integration)
        if integration is None:  # disabled: its silence is expected
            continue
        intake.record(_raw(beat, now), heartbeats.missed_event(beat, now), policy=integration.policy)
        with db.transaction() as session:
            still_late = heartbeats.mark_missed(session, beat, now)
        if not still_late:  # it pinged while we raised the alarm: call it off
            intake.record(_raw(beat, now), heartbeats.back_event(beat), policy=integration.policy)
        raised += 1
    return raised


def _raw(beat: Beat, now: datetime) -> Raw:
    """What is stored as the event received: the facts that made it, as JSON."""
    body = {"heartbeat": beat.name, "integration": beat.integration, "last_ping_at": beat.last_ping_at.isoformat(),
            "due_at": beat.due_at.isoformat(), "noticed_at": now.isoformat()}  # fmt: skip
    return Raw(source=beat.kind, content_type="application/json", body=json.dumps(body).encode(),
               integration_id=beat.integration_id)  # fmt: skip
