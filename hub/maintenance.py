"""Periodic upkeep that no event triggers: resolving incidents that went quiet, settling flapping alerts,
closing resolved incidents no one reopened, announcing SLA warnings and breaches (hub/sla.py).

Run by the dispatcher process every half minute or so (`switchboard dispatch`), like a cron inside the hub. Other
layers add chores of their own through the `switchboard.upkeep` entry points (`plugged_chores`): ingest adds the
rules' decisions on SLA warnings and breaches (hub/sla_events.py), which need the rules engine the hub may not
import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from importlib.metadata import entry_points

from sqlalchemy import and_, or_, select, update

from hub import merged_requesters, oncall, recipients, sla, sla_pauses, status_updates
from hub.config import Settings
from hub.db import Database
from hub.durations import describe_duration
from hub.errors import StorageUnavailable
from hub.intake_notices import NoticeSettings
from hub.models import OPEN_STATUSES, AlertState, Incident, Integration, utcnow
from hub.outbox import entry, owe

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
                .returning(Incident.id)
            ).all()
            for (incident_id,) in rows:
                summary = f"Resolved automatically after {describe_duration(timedelta(seconds=seconds))} without alerts"
                owed, notes = recipients.state_change_notices(
                    conn, incident_id, "resolved", source="auto-resolve", sender=settings.sender
                )
                owe(conn, incident_id, owed, also=[entry(incident_id, "resolved", summary), *notes])
                merged_requesters.owe_resolution(conn, incident_id, source="auto-resolve", sender=settings.sender,
                                                 told=owed)  # fmt: skip
                sla_pauses.refresh(conn, incident_id, now)
            resolved += len(rows)
    if resolved:
        log.info("auto-resolved %d quiet incident(s)", resolved)
    return resolved


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
            owed, notes = recipients.state_change_notices(conn, incident.id, "stable", source="",
                                                          sender=settings.sender)  # fmt: skip
            settled_entry = entry(incident.id, "stable", f"Stopped flapping; {incident.status}")
            owe(conn, incident.id, owed, also=[settled_entry, *notes])
    return settled


def auto_close_resolved(db: Database, after: timedelta, now: datetime | None = None, *, most: int = 500) -> int:
    """Close incidents resolved more than `after` ago that no one reopened (ITIL's closure once the user had
    their chance to object): the open work stays short, and a later reply opens a follow-up that names the old
    incident, as it does after any closing. An integration's longer reopen window is waited out first. Up to `most`
    per call (the next upkeep takes the rest); returns how many. Only resolved incidents are read, through the
    (status, ...) index."""
    now = now or utcnow()
    summary = f"Closed automatically: resolved more than {describe_duration(after)} ago, and no one reopened it"
    with db.transaction() as session:
        # An integration whose alerts may reopen a resolved incident for longer keeps its incidents till then.
        windows = select(Integration.id, Integration.reopen_window).where(
            Integration.reopen_window > after.total_seconds()
        )
        longer = {integration: window or 0 for integration, window in session.execute(windows)}
        when = [and_(Incident.resolved_at < now - after,
                     or_(Incident.integration_id.is_(None), Incident.integration_id.not_in(longer)))]  # fmt: skip
        when += [and_(Incident.integration_id == integration, Incident.resolved_at < now - timedelta(seconds=window))
                 for integration, window in longer.items()]  # fmt: skip
        due = select(Incident.id).where(Incident.status == "resolved", or_(*when))
        ids = list(session.scalars(due.order_by(Incident.id).limit(most)))
        if not ids:
            return 0
        session.execute(update(Incident).where(Incident.id.in_(ids)).values(status="closed"))
        conn = session.connection()
        for incident_id in ids:
            owe(conn, incident_id, [], also=[entry(incident_id, "closed", summary, data={"by": "auto-close"})])
            sla_pauses.refresh(conn, incident_id, now)
    log.info("closed %d incident(s) resolved more than %s ago", len(ids), describe_duration(after))
    return len(ids)


def auto_close_chore(settings: Settings, db: Database) -> Chore:
    """The upkeep step that closes resolved incidents after SWITCHBOARD_AUTO_CLOSE (never when it is 0)."""

    def close_resolved() -> int:
        return auto_close_resolved(db, timedelta(seconds=settings.auto_close)) if settings.auto_close else 0

    return close_resolved


#: Entry points: name = "module:factory", the factory taking (Settings, Database) and returning a chore.
UPKEEP_GROUP = "switchboard.upkeep"

Chore = Callable[[], object]


def plugged_chores(settings: Settings, db: Database) -> list[Chore]:
    """The chores other layers add to the upkeep, each built once for this process."""
    return [ep.load()(settings, db) for ep in sorted(entry_points(group=UPKEEP_GROUP), key=lambda ep: ep.name)]


def upkeep(db: Database, settings: NoticeSettings, chores: Sequence[Chore] = ()) -> None:
    """Every periodic chore, in one call for the dispatcher's loop; `chores` run after the hub's own (the SLA
    sweep first, so the rules decide on its warnings and breaches in the same round). One broken chore is logged
    and the others still run: only a database that is away stops the round."""
    own: list[Chore] = [
        partial(auto_resolve_quiet, db, settings),
        partial(settle_flapping, db, settings),
        partial(sla.sweep, db, settings),
        partial(oncall.announce_shifts, db, settings.sender),
        partial(status_updates.announce, db, settings.sender),
    ]
    for chore in (*own, *chores):
        try:
            chore()
        except StorageUnavailable:
            raise
        except Exception:  # a broken chore must not stop the others, nor the dispatcher
            log.exception("upkeep chore %r failed", chore)
