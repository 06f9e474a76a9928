"""Tables. Kept plain: behaviour lives in the service modules (intake, accounts, outbox), not on rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Statuses in which an incident still absorbs events with its dedup key.
OPEN_STATUSES = ("open", "acknowledged")
_OPEN_SQL = "status IN ('open', 'acknowledged')"
#: The same as a SQL condition with the list written out (the partial index's predicate; no bind parameters).
OPEN_CONDITION = text(_OPEN_SQL)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use hub.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _partial_index(name: str, columns: str | list[str], where: str, *, unique: bool = False) -> Index:
    """An index over the rows matching `where`, on both SQLite and PostgreSQL."""
    names = [columns] if isinstance(columns, str) else columns
    return Index(name, *names, unique=unique, sqlite_where=text(where), postgresql_where=text(where))


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Event(Base):
    """Every inbound item exactly as received: the record that lets nothing be lost or replayed wrongly."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # "email", "generic", ...
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_type: Mapped[str] = mapped_column(String(100))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="processed")  # processed|unprocessable|ignored
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    trace: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Partial: webhook events have no Message-ID, and every index entry is a page written while holding the lock.
    # (Events are listed newest first by id, which grows with received_at, so that needs no index of its own.)
    __table_args__ = (_partial_index("ix_events_message_id", "message_id", "message_id IS NOT NULL"),)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    severity: Mapped[str] = mapped_column(String(20), default="unknown")
    category: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(320))
    requester: Mapped[str | None] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str | None] = mapped_column(String(500))
    # Dedup keys are per integration: two tools may both call an alert "disk-full".
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", order_by="TimelineEntry.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # The database, not the application, guarantees one open incident per dedup key, so concurrent
        # requests cannot open two (SQLite and PostgreSQL both support partial unique indexes).
        _partial_index(
            "uq_incidents_open_dedup_key",
            ["dedup_key", "integration_id"],
            f"dedup_key IS NOT NULL AND {_OPEN_SQL}",
            unique=True,
        ),
        Index("ix_incidents_status_last_seen", "status", "last_seen"),
    )

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))  # opened|event|email|resolved|reopened|notification|note
    summary: Mapped[str] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class Integration(Base):
    """A monitoring source allowed to post events; its secret is stored only as a hash."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(128), unique=True)  # PagerDuty/Opsgenie senders look up by key
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_limit: Mapped[int | None] = mapped_column(Integer)  # requests per minute; None: unlimited
    # A trigger this many seconds after its incident resolved reopens it instead of opening a new one.
    reopen_window: Mapped[int | None] = mapped_column(Integer)
    # Open incidents that hear nothing for this many seconds resolve by themselves.
    auto_resolve_after: Mapped[int | None] = mapped_column(Integer)
    # Open an incident only once this many events with one dedup key arrived within threshold_window seconds.
    threshold: Mapped[int | None] = mapped_column(Integer)
    threshold_window: Mapped[int | None] = mapped_column(Integer)
    # An alert that changes state flap_changes times within flap_window seconds is flapping: notices wait.
    flap_changes: Mapped[int | None] = mapped_column(Integer)
    flap_window: Mapped[int | None] = mapped_column(Integer)
    # Generic integrations: JMESPath expressions that map the tool's own JSON (ingest/webhooks/mapping.py).
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin|agent|viewer
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class Rule(Base):
    """One routing rule: a condition on an event field and what to set when it matches."""

    __tablename__ = "rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    field: Mapped[str] = mapped_column(String(100))
    op: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(500), default="")
    set_category: Mapped[str | None] = mapped_column(String(100))
    set_assignee: Mapped[str | None] = mapped_column(String(320))
    stop: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Silence(Base):
    """A maintenance window over events matching all its matchers: stored and counted, no one notified."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"matchers": [{"field", "op", "value"}, ...]}
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertCount(Base):
    """Events with one dedup key counted towards an integration's threshold, before any incident exists."""

    __tablename__ = "alert_counts"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime]


class AlertState(Base):
    """How often one alert (integration, dedup key) changed state lately, and whether it is flapping."""

    __tablename__ = "alert_states"

    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    changes: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]
    last_change: Mapped[datetime]
    flapping: Mapped[bool] = mapped_column(Boolean, index=True)


class BouncedAddress(Base):
    """An address our mail bounced from: automatic mail to it pauses until `until`."""

    __tablename__ = "bounced_addresses"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class Revision(Base):
    """Counters that caches key on (e.g. the rule set's version), bumped in the transaction that changes it."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """A notification Switchboard owes, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # acknowledgement|assigned
    channel: Mapped[str] = mapped_column(String(32))  # email
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str | None] = mapped_column(String(998))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|queued|sent|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_status_updated_at", "status", "updated_at"),
        Index("ix_outbox_recipient_created_at", "recipient", "created_at"),  # per-address caps
        _partial_index("ix_outbox_message_id", "message_id", "message_id IS NOT NULL"),
    )
