"""Stored events read back as typed events, so candidate rules can be run over what really came in (backtest).

Each stored event keeps the bytes it came from (for a batch, its own alert), and the adapters are pure, so the
event the rules saw is made again from them (a help-centre request's, from the request it stores as JSON). Items
that were never events (unprocessable, ignored) are left out.

A generic integration's body is read through the mapping that read it when it came (`events.mapping_id`, a kept
row of `integration_mappings`, hub/kept_mappings.py), joined in the same statement, so saving a new mapping
neither drops earlier events from a backtest nor reads them otherwise; an event stored before mappings were kept
(or of another kind) names none and is read through the integration's current one.

A help-centre request names its request type as it was called when sent; renamed since, the rules (rewritten by
the rename, hub/request_types.py `change`) test the new name, so the request is replayed under the type's name as
it is now. The type is found by the id its incident keeps (`incidents.request_type_id`, set by the intake), read
in the same statement as the events: a foreign key, it follows any number of renames and lives as long as the
incident, where the pending request (deleted a week after it was sent) and the audit log's rename entries (text,
one per rename, to be chained) do not. A request with no such incident (suppressed, or sent when its type was
retired) keeps the name it was sent with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hub import pending_requests
from hub.domain import InboundEvent
from hub.models import Event, Incident, Integration, IntegrationMapping, RequestType
from ingest import asked, logged, mail
from ingest.errors import InvalidPayload
from ingest.webhooks import kinds
from ingest.webhooks.generic import parse_json

_Query = TypeVar("_Query", bound=Select[Any])

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
        _with_type_now(
            select(
                Event.id,
                Event.source,
                Event.raw,
                Event.received_at,
                Integration.kind,
                Integration.name,
                *_MAPPING,
                RequestType.name.label("type_now"),
            )
        )
        .where(Event.status.in_(REPLAYABLE))
        .order_by(Event.id.desc())
        .limit(limit)
    ).all()
    events: list[Replayed] = []
    skipped = 0
    for event_id, source, raw, received_at, kind, name, current, kept_id, kept, type_now in reversed(rows):
        event = _typed(source, raw, kind, name, _read_with(current, kept_id, kept), authserv_id, type_now)
        if event is None:
            skipped += 1
        else:
            events.append(Replayed(event_id, event, received_at))
    return ReplaySet(events, skipped)


#: The integration's current mapping, and the kept one that read the event (its id: a kept spec may be None).
_MAPPING = (Integration.mapping, IntegrationMapping.id.label("kept_id"), IntegrationMapping.spec.label("kept"))


def _read_with(current: Any, kept_id: int | None, kept: Any) -> Any:
    """The mapping to read an event with: the one that read it, else (stored before they were kept) the current."""
    return kept if kept_id is not None else current


def _with_type_now(query: _Query) -> _Query:
    """`query` over events joined to their integration, the mapping that read them, and the request type their
    incident names now."""
    return (
        query.outerjoin(Integration, Integration.id == Event.integration_id)
        .outerjoin(IntegrationMapping, IntegrationMapping.id == Event.mapping_id)
        .outerjoin(Incident, (Incident.id == Event.incident_id) & (Event.source == asked.SOURCE))
        .outerjoin(RequestType, RequestType.id == Incident.request_type_id)
    )


def _typed(
    source: str,
    raw: bytes,
    kind: str | None,
    name: str | None,
    mapping: Any,
    authserv_id: str | None,
    type_now: str | None = None,
) -> InboundEvent | None:
    try:
        if source == "email":
            return mail.parse(raw, authserv_id=authserv_id)
        if source == logged.SOURCE:  # logged by hand; who logged it is on the timeline, and no rule reads it
            fields = parse_json(raw)
            return logged.normalise(fields, by="") if isinstance(fields, dict) else None
        if source == asked.SOURCE:  # sent from the help centre: the request as stored, made an event as it was then
            event = asked.event_of(pending_requests.from_raw(raw))[1]
            # its type as named now (see above); only for a request that named one: one of no type that a rule's
            # dedup key added to a typed request's incident stays of none
            return replace(event, request_type=type_now) if event.request_type and type_now else event
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
        _with_type_now(select(Event.source, Event.raw, Event.received_at, Event.status, Integration.kind,
                              Integration.name, *_MAPPING, RequestType.name.label("type_now")))
        .where(Event.id == event_id)
    ).first()  # fmt: skip
    if row is None or row.status not in REPLAYABLE:
        return None
    mapping = _read_with(row.mapping, row.kept_id, row.kept)
    event = _typed(row.source, row.raw, row.kind, row.name, mapping, authserv_id, row.type_now)
    return None if event is None else Replayed(event_id, event, row.received_at)
