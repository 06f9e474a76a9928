"""Reprocessing: a message kept as unprocessable is run through today's parser and the normal intake again.

The stored raw bytes are parsed afresh and recorded as a new event, in one transaction that also claims the old
event (status unprocessable -> reprocessed, with "reprocessed as event N"). Two reprocessings of one event, from
two admins or a CLI and a page at once, cannot both commit: the message is applied exactly once. One that still
fails keeps its status, with the new error.

A generic integration's body is read through the integration's mapping as it is NOW, since fixing the mapping is
why it is reprocessed, and the new event names that mapping (`mapping_id`); backtests, by contrast, read a past
event through the mapping that read it (ingest/replay.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from hub import kept_mappings
from hub.accounts import policy_of
from hub.domain import NO_POLICY, InboundEvent, Policy
from hub.errors import BadInput
from hub.intake import Intake, Raw
from hub.mail_records import AlreadyReprocessed
from hub.models import Event, Integration
from ingest.errors import InvalidPayload
from ingest.mail_intake import understand
from ingest.webhooks import kinds
from ingest.webhooks.generic import parse_json

log = logging.getLogger("switchboard.mail")

#: Sources whose stored bytes can be parsed again on their own: email, and a generic integration's body (one
#: event per body; the batching kinds' bodies were refused whole, so their senders resend them).
REPROCESSABLE_SOURCES = ("email", "generic")


@dataclass(frozen=True)
class Unprocessable:
    """An event kept because it could not be understood, as the review page lists it."""

    id: int
    source: str
    received_at: datetime
    error: str
    size: int
    integration: str | None = None  # the integration a webhook body came to: its page shows what the tool sent

    @property
    def reprocessable(self) -> bool:
        """Email and a generic integration's body (after its mapping is fixed) can be read again from their
        stored bytes; another webhook body was answered 400, so its sender fixes and resends it."""
        return self.source in REPROCESSABLE_SOURCES


@dataclass(frozen=True)
class Reprocessed:
    """What reprocessing one event did."""

    event_id: int
    applied: bool
    new_event_id: int | None = None
    incident_id: int | None = None
    error: str | None = None  # why it is still unprocessable, or was not tried

    def describe(self) -> str:
        if self.applied:
            where = f" (INC-{self.incident_id})" if self.incident_id is not None else ""
            return f"event {self.event_id}: reprocessed as event {self.new_event_id}{where}"
        return f"event {self.event_id}: {self.error}"


def unprocessable(intake: Intake, *, source: str | None = None, limit: int = 200) -> list[Unprocessable]:
    """The newest events still waiting for a fix, with the error each failed with."""
    query = (
        select(Event.id, Event.source, Event.received_at, Event.error, Event.raw, Integration.name)
        .outerjoin(Integration, Integration.id == Event.integration_id)
        .where(Event.status == "unprocessable")
    )
    if source:
        query = query.where(Event.source == source)
    with intake.db.read() as session:
        rows = session.execute(query.order_by(Event.id.desc()).limit(limit)).all()
    return [Unprocessable(r[0], r[1], r[2], r[3] or "", len(r[4] or b""), r[5]) for r in rows]


def reprocess(intake: Intake, event_id: int) -> Reprocessed:
    """Parse one unprocessable event's raw bytes again and record it through the normal intake path.

    Raises BadInput when there is no such event. Raises StorageUnavailable when the database did not answer.
    """
    with intake.db.read() as session:
        row = session.execute(select(Event.source, Event.status, Event.raw).where(Event.id == event_id)).first()
    if row is None:
        raise BadInput(f"there is no event {event_id}; `switchboard events reprocess --all-unprocessable` lists none?")
    source, status, raw = row
    if status != "unprocessable":
        return Reprocessed(event_id, False, error=f"not unprocessable (it is {status}); nothing to do")
    if source not in REPROCESSABLE_SOURCES:
        return Reprocessed(event_id, False, error=f"{source} events cannot be reprocessed; only email and generic")
    try:
        again, event, policy = _read_again(intake, event_id, source, raw)
    except Exception as exc:  # still not understood: keep it, with today's reason
        if not isinstance(exc, InvalidPayload):
            log.exception("reprocessing event %s failed again", event_id)
        error = f"{type(exc).__name__}: {exc}"
        with intake.db.transaction() as session:
            session.execute(
                update(Event).where(Event.id == event_id, Event.status == "unprocessable").values(error=error[:2000])
            )
        return Reprocessed(event_id, False, error=f"still unprocessable: {error}")
    try:
        outcome = intake.record(again, event, policy=policy, reprocessing=event_id)
    except AlreadyReprocessed as exc:
        return Reprocessed(event_id, False, error=str(exc))
    return Reprocessed(event_id, True, outcome.event_id, outcome.incident_id)


def _read_again(intake: Intake, event_id: int, source: str, raw: bytes) -> tuple[Raw, InboundEvent, Policy]:
    """The kept bytes read as today's parser, or the integration's current mapping, reads them."""
    if source == "email":
        parsed = understand(intake, raw, envelope_from=None, desk_address=None)
        return Raw(source, "message/rfc822", raw), parsed.event, NO_POLICY
    with intake.db.read() as session:
        row = session.execute(
            select(Integration, kept_mappings.CURRENT_ID.label("mapping_id"), Event.content_type)
            .join(Event, Event.integration_id == Integration.id)
            .where(Event.id == event_id)
        ).first()
    if row is None:
        raise InvalidPayload("its integration is gone, so there is no mapping to read it with")
    integration: Integration = row.Integration
    [event] = kinds.normalise(integration.kind, parse_json(raw), integration=integration.name,
                              mapping_spec=integration.mapping)  # fmt: skip
    again = Raw(source, row.content_type, raw, integration.id, row.mapping_id)
    return again, event, policy_of(integration)
