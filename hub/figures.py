"""Counts for monitoring, read straight from the database so every process reports the same figures.

Counters derived from stored rows survive restarts and need no coordination between web processes; the price
is a few GROUP BY queries per scrape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import mailboxes
from hub.models import Event, Incident, OutboxMessage
from hub.retention import pruned_counts


@dataclass(frozen=True)
class Figures:
    events: dict[tuple[str, str], int]  # (source, status) -> events received (stored, or pruned since)
    incidents: dict[str, int]  # status -> incidents now
    incidents_opened: int
    incidents_resolved: int
    notifications: dict[tuple[str, str], int]  # (channel, status) -> outbox rows
    mailboxes: dict[str, datetime | None]  # enabled IMAP mailbox -> since when it cannot be read (None: it can)


def read(session: Session) -> Figures:
    events = session.execute(select(Event.source, Event.status, func.count()).group_by(Event.source, Event.status))
    incidents = {
        status: count
        for status, count in session.execute(select(Incident.status, func.count()).group_by(Incident.status))
    }
    resolved = session.scalar(select(func.count()).where(Incident.resolved_at.is_not(None))) or 0
    outbox = session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    )
    received = pruned_counts(session)  # deleted by retention, but received all the same
    for source, status, count in events:
        received[(source, status)] = received.get((source, status), 0) + count
    watched: dict[str, datetime | None] = dict.fromkeys(mailboxes.watched_names(session))
    watched.update({one.name: one.since for one in mailboxes.failing(session)})
    return Figures(
        events=received,
        incidents=incidents,
        incidents_opened=sum(incidents.values()),
        incidents_resolved=int(resolved),
        notifications={(channel, status): count for channel, status, count in outbox},
        mailboxes=watched,
    )
