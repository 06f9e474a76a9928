"""Periodic upkeep that no event triggers: resolving incidents that went quiet, settling flapping alerts,
announcing SLA warnings and breaches (hub/sla.py).

Run by the dispatcher process every half minute or so (`switchboard dispatch`), like a cron inside the hub.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update

from hub import notices, sla
from hub.db import Database
from hub.intake import NoticeSettings
from hub.models import OPEN_STATUSES, AlertState, Incident, Integration, utcnow
from hub.outbox import entry, owe, to_assignee

log = logging.getLogger("switchboard.maintenance")


def auto_resolve_quiet(db: Database, settings: NoticeSettings, now: datetime | None = None) -> int:
    """Resolve open incidents of integrations with `auto_resolve_after` that heard nothing for that long.

    Each resolution owes the assignee one notice, as a resolve event would. Returns how many were resolved.
    """
    now = now or utcnow()
    resolved = 0
    with db.transaction() as session:
        quiet_after = session.execute(
            select(Integration.id, Integration.auto_resolve_after).where(
                Integration.auto_resolve_after.is_not(None), Integration.enabled.is_(True)
            )
        ).all()
        conn = session.connection()
        for integration_id, quiet in quiet_after:
            seconds = int(quiet or 0)
            rows = session.execute(
                update(Incident)
                .where(
                    Incident.integration_id == integration_id,
                    Incident.status.in_(OPEN_STATUSES),
                    Incident.last_seen < now - timedelta(seconds=seconds),
                )
                .values(status="resolved", resolved_at=now)
                .returning(Incident.id, Incident.title, Incident.assignee)
            ).all()
            for incident_id, title, assignee in rows:
                summary = f"Resolved automatically after {_span(seconds)} without alerts"
                owed = to_assignee(conn, assignee, partial(
                    notices.resolution, incident_id=incident_id, title=title, source="auto-resolve",
                    desk_address=settings.desk_addresses[0], base_url=settings.base_url,
                ))  # fmt: skip
                owe(conn, incident_id, owed, also=[entry(incident_id, "resolved", summary)])
                sla.refresh(conn, incident_id, now)
            resolved += len(rows)
    if resolved:
        log.info("auto-resolved %d quiet incident(s)", resolved)
    return resolved


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def settle_flapping(db: Database, settings: NoticeSettings, now: datetime | None = None) -> int:
    """Alerts that stopped changing state for a whole flap window are stable again: clear the mark and send the
    assignee of their latest incident one notice of where it settled. Returns how many settled."""
    now = now or utcnow()
    settled = 0
    with db.transaction() as session:
        conn = session.connection()
        windows = dict(
            session.execute(
                select(Integration.id, Integration.flap_window).where(Integration.flap_window.is_not(None))
            ).all()
        )
        flapping = session.scalars(select(AlertState).where(AlertState.flapping.is_(True))).all()
        for state in flapping:
            window = windows.get(state.integration_id)
            if window is None or state.last_change >= now - timedelta(seconds=int(window)):
                continue
            state.flapping, state.changes = False, 0
            settled += 1
            incident = session.scalars(
                select(Incident)
                .where(Incident.integration_id == state.integration_id, Incident.dedup_key == state.dedup_key)
                .order_by(Incident.id.desc())
                .limit(1)
            ).first()
            if incident is None:
                continue
            owed = to_assignee(conn, incident.assignee, partial(
                notices.stabilised, incident_id=incident.id, title=incident.title, status=incident.status,
                desk_address=settings.desk_addresses[0], base_url=settings.base_url,
            ))  # fmt: skip
            owe(conn, incident.id, owed, also=[entry(incident.id, "stable", f"Stopped flapping; {incident.status}")])
    return settled


def upkeep(db: Database, settings: NoticeSettings) -> None:
    """Every periodic chore, in one call for the dispatcher's loop."""
    auto_resolve_quiet(db, settings)
    settle_flapping(db, settings)
    sla.sweep(db, settings)
