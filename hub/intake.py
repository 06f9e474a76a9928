"""The one transaction per inbound item: store it as received, apply the rules' decision, write the outbox.

Adapters (ingest/) hand in the raw bytes and the typed event they made of them; the rules engine is passed in
as a function, so the hub never imports upwards. Nothing is acknowledged to a sender until this commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import notices
from hub.db import Database
from hub.domain import Action, Decision, InboundEvent, RuleBook
from hub.models import OPEN_STATUSES, Event, Incident, OutboxMessage, TimelineEntry, User, utcnow
from hub.rulebook import RuleBookCache

Decide = Callable[[InboundEvent, RuleBook], Decision]


@dataclass(frozen=True)
class Raw:
    """An inbound item exactly as received."""

    source: str
    content_type: str
    body: bytes
    integration_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of an event; `incident_id` is None when it touched no incident (e.g. resolve of nothing)."""

    event_id: int
    incident_id: int | None
    incident_status: str | None = None
    occurrences: int = 0
    created: bool = False

    @property
    def ref(self) -> str | None:
        return f"INC-{self.incident_id}" if self.incident_id is not None else None


@dataclass(frozen=True)
class NoticeSettings:
    desk_addresses: tuple[str, ...]
    base_url: str


class Intake:
    """Turns typed events into incident changes. One instance per process (it caches the rule book)."""

    def __init__(self, db: Database, decide: Decide, notice_settings: NoticeSettings) -> None:
        self._db = db
        self._decide = decide
        self._notice = notice_settings
        self._rules = RuleBookCache()

    def record(self, raw: Raw, event: InboundEvent) -> Outcome:
        """Store and apply one event in one transaction. Raises StorageUnavailable if it could not commit."""
        with self._db.transaction() as session:
            row = Event(
                source=raw.source,
                integration_id=raw.integration_id,
                content_type=raw.content_type,
                raw=raw.body,
                message_id=event.message_id,
            )
            session.add(row)
            session.flush()
            outcome = self._apply(session, row, event)
            row.incident_id = outcome.incident_id
            return outcome

    def record_unprocessable(self, raw: Raw, error: str) -> int:
        """Keep an item we could not understand, with the reason, so it can be fixed and reprocessed."""
        with self._db.transaction() as session:
            row = Event(
                source=raw.source,
                integration_id=raw.integration_id,
                content_type=raw.content_type,
                raw=raw.body,
                status="unprocessable",
                error=error[:2000],
            )
            session.add(row)
            session.flush()
            return row.id

    # -- the decision, applied -------------------------------------------------------------------------

    def _apply(self, session: Session, row: Event, event: InboundEvent) -> Outcome:
        thread = _find_thread(session, event)
        if thread is not None:
            return self._add_to_thread(session, row, thread, event)
        if event.action is Action.RESOLVE:
            return self._resolve(session, row, event)
        if event.dedup_key:
            existing = _open_incident(session, event.dedup_key)
            if existing is not None:
                return _repeat(session, row, existing)
        return self._open(session, row, event)

    def _open(self, session: Session, row: Event, event: InboundEvent) -> Outcome:
        decision = self._decide(event, self._rules.current(session))
        row.trace = {"rules": decision.trace_json()}
        now = utcnow()
        incident = Incident(
            title=event.title[:500],
            description=event.description,
            status="open",
            priority=decision.priority,
            severity=event.severity,
            category=decision.category,
            assignee=decision.assignee,
            requester=event.requester,
            source=event.source,
            dedup_key=event.dedup_key,
            occurrences=1,
            first_seen=now,
            last_seen=now,
            labels=dict(event.labels),
        )
        try:
            with session.begin_nested():
                session.add(incident)
                session.flush()
        except IntegrityError:
            # A concurrent request opened the incident for this dedup key first: count ours on the winner.
            winner = _open_incident(session, event.dedup_key) if event.dedup_key else None
            if winner is None:
                raise
            return _repeat(session, row, winner)
        session.add(
            TimelineEntry(
                incident_id=incident.id,
                kind="opened",
                summary=_opened_summary(decision),
                event_id=row.id,
                data={"rules": decision.trace_json()},
            )
        )
        self._owe_notices(session, incident, event)
        return Outcome(row.id, incident.id, incident.status, 1, created=True)

    def _resolve(self, session: Session, row: Event, event: InboundEvent) -> Outcome:
        incident = _open_incident(session, event.dedup_key) if event.dedup_key else None
        if incident is None:
            row.status = "ignored"
            row.error = "resolve for a dedup key with no open incident"
            return Outcome(row.id, None)
        incident.status = "resolved"
        incident.resolved_at = incident.last_seen = utcnow()
        session.add(
            TimelineEntry(
                incident_id=incident.id,
                kind="resolved",
                summary=f"Resolved by {event.source} event",
                event_id=row.id,
            )
        )
        return Outcome(row.id, incident.id, incident.status, incident.occurrences)

    def _add_to_thread(self, session: Session, row: Event, incident: Incident, event: InboundEvent) -> Outcome:
        incident.last_seen = utcnow()
        session.add(
            TimelineEntry(
                incident_id=incident.id,
                kind="email",
                summary=f"Reply from {event.requester or 'unknown sender'}: {event.title}",
                event_id=row.id,
                data={"body": event.description[:20000]},
            )
        )
        return Outcome(row.id, incident.id, incident.status, incident.occurrences)

    def _owe_notices(self, session: Session, incident: Incident, event: InboundEvent) -> None:
        desk = self._notice.desk_addresses
        owed: list[notices.Notice] = []
        requester = (event.requester or "").lower()
        if requester and not event.auto_submitted and requester not in desk:
            owed.append(
                notices.acknowledgement(
                    incident_id=incident.id,
                    title=incident.title,
                    requester=requester,
                    desk_address=desk[0],
                    in_reply_to=event.message_id,
                    base_url=self._notice.base_url,
                )
            )
        if incident.assignee and _is_active_user(session, incident.assignee):
            owed.append(
                notices.assignment(
                    incident_id=incident.id,
                    title=incident.title,
                    priority=incident.priority,
                    assignee=incident.assignee,
                    desk_address=desk[0],
                    base_url=self._notice.base_url,
                )
            )
        for notice in owed:
            session.add(
                OutboxMessage(
                    delivery_id=notice.delivery_id,
                    incident_id=incident.id,
                    kind=notice.kind,
                    channel=notice.channel,
                    recipient=notice.recipient,
                    subject=notice.subject,
                    body=notice.body,
                    headers=notice.headers,
                    message_id=notice.message_id,
                )
            )
            session.add(
                TimelineEntry(
                    incident_id=incident.id,
                    kind="notification",
                    summary=f"{notice.kind} to {notice.recipient} queued",
                    data={"delivery_id": notice.delivery_id},
                )
            )


def _open_incident(session: Session, dedup_key: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.dedup_key == dedup_key, Incident.status.in_(OPEN_STATUSES)))


def _repeat(session: Session, row: Event, incident: Incident) -> Outcome:
    """Count a repeat in one atomic UPDATE, so concurrent repeats never lose a count."""
    occurrences = session.scalar(
        update(Incident)
        .where(Incident.id == incident.id)
        .values(occurrences=Incident.occurrences + 1, last_seen=utcnow())
        .returning(Incident.occurrences)
    )
    row.status = "deduplicated"
    return Outcome(row.id, incident.id, incident.status, occurrences or incident.occurrences + 1)


def _find_thread(session: Session, event: InboundEvent) -> Incident | None:
    """The incident an email replies to: by Message-ID references first, then by subject tag from its requester."""
    if event.in_reply_to:
        ids = list(event.in_reply_to)
        incident_id = session.scalar(
            select(OutboxMessage.incident_id).where(OutboxMessage.message_id.in_(ids)).limit(1)
        ) or session.scalar(select(Event.incident_id).where(Event.message_id.in_(ids)).limit(1))
        if incident_id is not None:
            return session.get(Incident, incident_id)
    if event.thread_ref is not None and event.requester:
        incident = session.get(Incident, event.thread_ref)
        # A tag alone is honoured only from the requester: a stranger cannot write into someone's incident.
        if incident is not None and (incident.requester or "").lower() == event.requester.lower():
            return incident
    return None


def _is_active_user(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email.lower(), User.active.is_(True))) is not None


def _opened_summary(decision: Decision) -> str:
    parts = [f"Opened as P{decision.priority}"]
    if decision.category:
        parts.append(f"category {decision.category}")
    if decision.assignee:
        parts.append(f"assigned to {decision.assignee}")
    return ", ".join(parts)
