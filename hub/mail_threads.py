"""Which incident an email belongs to: the Message-IDs it refers to first, then an `[INC-n]` subject tag, honoured
only from the incident's requester (a stranger cannot write into someone else's incident by naming it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from hub.domain import InboundEvent
from hub.statements import EVENTS, INCIDENTS, OUTBOX


@dataclass(frozen=True)
class Thread:
    """The incident an email replies to."""

    id: int
    status: str
    occurrences: int
    requester: str | None


def find_thread(conn: Connection, event: InboundEvent) -> Thread | None:
    """The incident an email replies to: by Message-ID references first, then by subject tag from its requester."""
    if event.in_reply_to:
        ids = list(event.in_reply_to)
        # `message_id IS NOT NULL` lets SQLite use the partial indexes.
        incident_id = conn.scalar(
            select(OUTBOX.c.incident_id).where(
                OUTBOX.c.message_id.is_not(None), OUTBOX.c.message_id.in_(ids), OUTBOX.c.incident_id.is_not(None)
            )
        ) or conn.scalar(
            select(EVENTS.c.incident_id).where(
                EVENTS.c.message_id.is_not(None), EVENTS.c.message_id.in_(ids), EVENTS.c.incident_id.is_not(None)
            )
        )
        if incident_id is not None:
            return thread_of(conn, incident_id)
    if event.thread_ref is not None and event.requester:
        incident = thread_of(conn, event.thread_ref)
        # A tag alone is honoured only from the requester: a stranger cannot write into someone's incident.
        if incident is not None and (incident.requester or "").lower() == event.requester.lower():
            return incident
    return None


def thread_of(conn: Connection, incident_id: int) -> Thread | None:
    columns = (INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.occurrences, INCIDENTS.c.requester)
    row = conn.execute(select(*columns).where(INCIDENTS.c.id == incident_id)).first()
    return Thread(*row) if row is not None else None
