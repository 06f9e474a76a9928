"""Stored events read back as typed events, so candidate rules can be run over what really came in (backtest).

Each stored event keeps the bytes it came from (for a batch, its own alert), and the adapters are pure, so the
event the rules saw is made again from them (a help-centre request's, from the request it stores as JSON). Items
that were never events (unprocessable, ignored) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import pending_requests
from hub.domain import InboundEvent
from hub.models import Event, Integration
from ingest import asked, logged, mail
from ingest.errors import InvalidPayload
from ingest.webhooks import kinds
from ingest.webhooks.generic import parse_json

#: Statuses of events the rules decided, or would have (held: below a threshold).
REPLAYABLE = ("processed", "deduplicated", "held", "suppressed")


@dataclass(frozen=True)
class Replayed:
    event_id: int
    event: InboundEvent
    received_at: datetime


@dataclass(frozen=True)
class ReplaySet:
    events: list[Replayed]
    skipped: int  # stored events that could not be read back (e.g. an integration since deleted)


def recent_events(session: Session, limit: int = 1000, *, authserv_id: str | None = None) -> ReplaySet:
    """The newest `limit` stored events (oldest first) as typed events, for `rules.backtest.backtest`; emails'
    senders judged by the mail server `authserv_id` names, as the intake judges them (`mail.verified`)."""
    rows = session.execute(
        select(
            Event.id,
            Event.source,
            Event.raw,
            Event.received_at,
            Integration.kind,
            Integration.name,
            Integration.mapping,
        )
        .outerjoin(Integration, Integration.id == Event.integration_id)
        .where(Event.status.in_(REPLAYABLE))
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    events: list[Replayed] = []
    skipped = 0
    for event_id, source, raw, received_at, kind, name, mapping in reversed(rows):
        event = _typed(source, raw, kind, name, mapping, authserv_id)
        if event is None:
            skipped += 1
        else:
            events.append(Replayed(event_id, event, received_at))
    return ReplaySet(events, skipped)


def _typed(
    source: str, raw: bytes, kind: str | None, name: str | None, mapping: Any, authserv_id: str | None
) -> InboundEvent | None:
    try:
        if source == "email":
            return mail.parse(raw, authserv_id=authserv_id)
        if source == logged.SOURCE:  # logged by hand; who logged it is on the timeline, and no rule reads it
            fields = parse_json(raw)
            return logged.normalise(fields, by="") if isinstance(fields, dict) else None
        if source == asked.SOURCE:  # sent from the help centre: the request as stored, made an event as it was then
            return asked.event_of(pending_requests.from_raw(raw))[1]
        if kind is None or name is None:
            return None
        payload = parse_json(raw)
        try:
            found = kinds.normalise(kind, payload, integration=name, mapping_spec=mapping)
        except InvalidPayload:
            # One alert of a batch was stored on its own: read it back as a batch of one.
            found = kinds.normalise(kind, {"alerts": [payload]}, integration=name, mapping_spec=mapping)
        return found[0] if found else None
    except (InvalidPayload, ValueError, KeyError, TypeError, AttributeError):
        return None


def stored_event(session: Session, event_id: int, *, authserv_id: str | None = None) -> Replayed | None:
    """One stored event read back as the rules saw it (the workbench tests rules on it); None when it cannot be."""
    row = session.execute(
        select(Event.source, Event.raw, Event.received_at, Event.status, Integration.kind, Integration.name,
               Integration.mapping)
        .outerjoin(Integration, Integration.id == Event.integration_id)
        .where(Event.id == event_id)
    ).first()  # fmt: skip
    if row is None or row.status not in REPLAYABLE:
        return None
    event = _typed(row.source, row.raw, row.kind, row.name, row.mapping, authserv_id)
    return None if event is None else Replayed(event_id, event, row.received_at)
