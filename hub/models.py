"""Tables. Kept plain: behaviour lives in the service modules (intake, accounts, outbox), not on rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    text,
    type_coerce,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from hub.prefix_match import in_code_point_order

#: Statuses in which an incident still absorbs events with its dedup key.
OPEN_STATUSES = ("open", "acknowledged")
#: Every status an incident can have (hub/triage.py moves between them; waiting: on the requester, SLA paused).
INCIDENT_STATUSES = ("open", "acknowledged", "waiting", "resolved", "closed")
#: The statuses of an incident whose work is not done: its SLA clocks may still run (or stand paused).
UNRESOLVED_STATUSES = ("open", "acknowledged", "waiting")
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

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, the text SQLAlchemy would write (process_bind_param, then DATETIME's format) in one step:
        every insert on the ingest path writes several datetimes, and the two-stage conversion showed in
        profiles. tests/hub/test_models.py checks the two agree."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            utc = self.process_bind_param(value, dialect)
            return None if utc is None else utc.replace(tzinfo=None).isoformat(" ", "microseconds")

        return process


def _partial_index(name: str, columns: str | list[str], where: str, *, unique: bool = False) -> Index:
    """An index over the rows matching `where`, on both SQLite and PostgreSQL."""
    names = [columns] if isinstance(columns, str) else columns
    return Index(name, *names, unique=unique, sqlite_where=text(where), postgresql_where=text(where))


def _code_point_index(name: str, column: Any) -> Index:
    """PostgreSQL's index on `column COLLATE "C"`, which prefix lookups compare (hub/prefix_match.py) whatever the
    database's collation; on SQLite the column's own index already sorts by code point, and none is made."""
    return Index(name, in_code_point_order(column)).ddl_if(dialect="postgresql")


#: Event ids: 64-bit, because every inbound item is one (a hub taking 100 alerts a second uses up PostgreSQL's
#: 32-bit INTEGER in eight months). SQLite's INTEGER primary key is 64-bit already, and must be spelt INTEGER.
EventId = BigInteger().with_variant(Integer(), "sqlite")


def sealed_text(sqlite_length: int) -> Text:
    """A column holding a sealed secret (hub/sealed.py), longer than the plain value it once held: text on
    PostgreSQL, which enforces lengths (migration 0019). SQLite enforces none, and keeps its declared VARCHAR: a
    new type there means rebuilding the table, and dropping the old `users` would cascade-delete recovery codes."""
    return Text().with_variant(String(sqlite_length), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Event(Base):
    """Every inbound item exactly as received: the record that lets nothing be lost or replayed wrongly."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True)
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
    # The kept mapping that read a generic integration's body (integration_mappings.id), so a backtest reads it
    # again as it was read; NULL for other sources and for events from before migration 0062 (read with the
    # current mapping). No foreign key: kept mappings are never deleted, and a key would cost every event a
    # lookup (on PostgreSQL a row lock) on the intake's hot path.
    mapping_id: Mapped[int | None] = mapped_column(Integer)

    # Partial: webhook events have no Message-ID, and every index entry is a page written while holding the lock.
    # (Events are listed newest first by id, which grows with received_at, so that needs no index of its own.)
    # `pending`: an SLA warning or breach the rules have not decided on yet (hub/sla_events.py), found through
    # its own small partial index.
    __table_args__ = (
        _partial_index("ix_events_message_id", "message_id", "message_id IS NOT NULL"),
        _partial_index("ix_events_pending", "id", "status = 'pending'"),
        # Each integration's latest event (the integrations page): one step down the index per integration, where
        # a GROUP BY read every event (540 ms with 1,000,000). Partial: email's events, which have no integration,
        # pay nothing; a webhook's pays one entry, at the right edge of its integration's range (migration 0035).
        _partial_index(
            "ix_events_integration_received", ["integration_id", "received_at"], "integration_id IS NOT NULL"
        ),
    )


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    severity: Mapped[str] = mapped_column(String(20), default="unknown")
    category: Mapped[str | None] = mapped_column(String(100))
    # hub.domain.INCIDENT_KINDS: an incident or a service request (the help centre's form, a rule or an agent says).
    kind: Mapped[str] = mapped_column(String(20), server_default=text("'incident'"))
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
    resolution: Mapped[str | None] = mapped_column(Text)  # how it was resolved, by whoever resolved it by hand
    # Its latest resolution was its request type's approver saying no (hub/approval_outcome.py sets it as it
    # resolves; every reopening clears it), so the requester is told "Not approved" (hub/request_links.py::says):
    # from the record, not from the resolution's words, which anyone resolving may type.
    not_approved: Mapped[bool] = mapped_column(Boolean, server_default=false())
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_at: Mapped[datetime | None]  # first acknowledgement or reply by a person (MTTA)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    service: Mapped[str | None] = mapped_column(String(100))  # a name in the services catalogue
    # SLA clocks (hub/sla.py): due times in business time under the policy that fitted when it was opened or
    # re-prioritised. `sla_next_at` is the next instant a clock warns or breaches: the sweep's one indexed query.
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    sla_state: Mapped[str | None] = mapped_column(String(20))  # ok|warning|breached|paused|met; None: no SLA
    sla_response_warn_at: Mapped[datetime | None]
    sla_response_due_at: Mapped[datetime | None]
    sla_warn_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]  # resolution
    sla_paused_at: Mapped[datetime | None]  # while waiting on the requester
    sla_next_at: Mapped[datetime | None]
    # The next-update clock: restarted by each agent update after the first response; a missed deadline stays.
    sla_update_warn_at: Mapped[datetime | None]
    sla_update_due_at: Mapped[datetime | None]
    sla_update_missed_at: Mapped[datetime | None]
    if TYPE_CHECKING:  # mapped below the class, from the columns above (`sla_next_due_at`)
        sla_next_due_at: Mapped[datetime | None]
    tags: Mapped[list[str] | None] = mapped_column(JSON)  # added by routing rules
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"))
    channels: Mapped[list[str] | None] = mapped_column(JSON)  # named by the rules at open: told of resolve/reopen
    # What the public status page says about it while it is open (and for a day after), in a person's words: its
    # title and description are the desk's, not the public's (hub/status_page.py).
    public_note: Mapped[str | None] = mapped_column(Text)
    public_note_at: Mapped[datetime | None]
    # The sum of its time_entries' minutes, kept in step by hub/time_spent.py: lists and exports read one column.
    minutes_spent: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # What broke (hub/cis.py): linked by the intake from the event's labels or a rule, or by an agent.
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"))
    # What the requester asked for from the request catalogue (hub/request_types.py), set by the intake when the
    # event names an active request type; the list filters by it. Request types are retired, never deleted.
    request_type_id: Mapped[int | None] = mapped_column(ForeignKey("request_types.id"))

    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", order_by="TimelineEntry.id", cascade="all, delete-orphan"
    )
    # Read-only here: hub/recipients.py adds and removes watchers.
    watchers: Mapped[list[IncidentWatcher]] = relationship(order_by="IncidentWatcher.created_at", viewonly=True)
    # Read-only here too: hub/copied.py keeps them.
    copied: Mapped[list[IncidentCopied]] = relationship(
        order_by="[IncidentCopied.created_at, IncidentCopied.email]", viewonly=True
    )
    # Loaded with the incident (one query for a whole page of them, none when none has a CI), so lists and the API
    # name it after the session has closed.
    ci: Mapped[ConfigurationItem | None] = relationship(lazy="selectin", viewonly=True)
    # The same for what it was asked for as on the help centre (none for most: no query).
    request_type: Mapped[RequestType | None] = relationship(lazy="selectin", viewonly=True)
    # The declaration that makes it a major incident now, if one stands (hub/major_incidents.py). Not loaded unless
    # asked for (`selectinload(Incident.major)`, as the list, the API and the export do): every other load of an
    # incident, each agent action's among them, would pay a query for it. Reading it unloaded is an error, not a
    # query per row.
    major: Mapped[MajorIncident | None] = relationship(
        primaryjoin="and_(MajorIncident.incident_id == Incident.id, MajorIncident.ended_at.is_(None))",
        lazy="raise",
        viewonly=True,
        uselist=False,
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
        _partial_index("ix_incidents_sla_next_at", "sla_next_at", "sla_next_at IS NOT NULL"),
        # The status page's recently resolved notes: a handful of rows, found without reading every incident.
        _partial_index("ix_incidents_public_note", "resolved_at", "public_note IS NOT NULL"),
        # A service's incidents by start: searches by service, and the outages beginning in uptime's period.
        Index("ix_incidents_service_first_seen", "service", "first_seen"),
        # Those that began in a recent window, whatever their service: the dashboard's figures and suggestions and
        # the SLA report. Written once, when an incident opens; the events that repeat it leave it alone.
        Index("ix_incidents_first_seen", "first_seen"),
        # A person's or a group's queue (the list's and the API's assignee filter), counted without reading every
        # incident. The events that repeat an incident leave its assignee alone: SQLite never rewrites it for them
        # (PostgreSQL gives every index an entry per repeat anyway; migration 0038 has the figures).
        Index("ix_incidents_assignee", "assignee"),
        # The status page's uptime: major outages (P1s) of a service resolved within the period, however long ago
        # they began. A handful of rows, and only P1s pay for it on writes.
        _partial_index("ix_incidents_major_resolved", ["service", "resolved_at"], "priority = 1"),
        # The requests merged into an incident, whose requesters hear of its resolution (hub/merged_requesters.py):
        # only merged rows are in it.
        _partial_index("ix_incidents_merged_into", "merged_into_id", "merged_into_id IS NOT NULL"),
        # Its problem, CI and request type (and requester, below): most incidents (every alert the webhooks open)
        # have none, and indexes holding their NULLs made each opening write more index pages for lookups that
        # never ask for NULL (`= :id` implies IS NOT NULL, so the planner still takes them; migration 0062).
        _partial_index("ix_incidents_problem_id", "problem_id", "problem_id IS NOT NULL"),
        _partial_index("ix_incidents_ci_id", "ci_id", "ci_id IS NOT NULL"),
        _partial_index("ix_incidents_request_type_id", "request_type_id", "request_type_id IS NOT NULL"),
    )

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# A requester's incidents, compared lower-cased: "My requests" (hub/my_requests.py), the list's requester filter,
# and export and erasure (hub/requester_data.py) would otherwise read every incident. (On the expression: declared
# here, where the column exists to name.) Partial, as the problem's and the CI's are: alerts have no requester, and
# every lookup compares the expression, which implies it is not NULL (migration 0062).
_REQUESTER_GIVEN = text("lower(requester) IS NOT NULL")
Index("ix_incidents_requester_lower", func.lower(Incident.requester), sqlite_where=_REQUESTER_GIVEN,
      postgresql_where=_REQUESTER_GIVEN)  # fmt: skip


# When its SLA next falls due: the nearest target still to meet of an unresolved incident (the first response while
# none was given, else the resolution), None for one resolved or with no such target. Computed in the row's own
# SELECT, so the list shows it and sorts by it (hub/sla_due.py) with no query per row. Mapped here, as it reads the
# columns the class declares.
Incident.sla_next_due_at = column_property(
    type_coerce(
        case(
            (Incident.status.not_in(UNRESOLVED_STATUSES), None),
            (
                and_(
                    Incident.acknowledged_at.is_(None),
                    Incident.sla_response_due_at.is_not(None),
                    or_(Incident.sla_due_at.is_(None), Incident.sla_response_due_at < Incident.sla_due_at),
                ),
                Incident.sla_response_due_at,
            ),
            else_=Incident.sla_due_at,
        ),
        UTCDateTime(),
    )
)


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))  # opened|event|email|resolved|reopened|notification|note
    summary: Mapped[str] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(EventId, ForeignKey("events.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="timeline")

    # Deleting old events (hub/retention.py) looks up the entries naming each one; partial, since most entries
    # name no event.
    __table_args__ = (_partial_index("ix_timeline_entries_event_id", "event_id", "event_id IS NOT NULL"),)


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


class IntegrationMapping(Base):
    """Every mapping a generic integration has had, append-only; its latest row is its current one (the same as
    `Integration.mapping`). Events keep the id of the one that read them (`Event.mapping_id`): ingest/replay.py."""

    __tablename__ = "integration_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # None: bodies read in the generic shape as sent
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class Heartbeat(Base):
    """A ping an integration promises every `interval` seconds (Alertmanager's Watchdog, a backup's cron job);
    when one is late, an incident says the source went quiet (a dead man's switch)."""

    __tablename__ = "heartbeats"
    __table_args__ = (UniqueConstraint("integration_id", "name", name="uq_heartbeats_integration_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    interval: Mapped[int] = mapped_column(Integer)  # seconds
    last_ping_at: Mapped[datetime] = mapped_column(default=utcnow)  # made: counts as a ping, so a silent one alarms
    missed_at: Mapped[datetime | None]  # set while it is late and its incident was raised; a ping clears it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecurityKey(Base):
    """A security key or passkey someone logs in with as their second step (WebAuthn, hub/security_keys.py): the
    public half of a key pair its authenticator made for this site, and the signature counter it last reported."""

    __tablename__ = "security_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The authenticator's id for the credential (at most 1,023 bytes, WebAuthn says): unique, since a login names
    # the key by it before anyone is known.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key, as the authenticator gave it
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)  # an unsigned 32-bit counter: past Integer's
    transports: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))  # "usb", "nfc", "internal"...
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    # When a login was last refused because the key's counter went back (a copy of it may exist): its owner's account
    # page says so until they remove it. Migration 0032.
    refused_at: Mapped[datetime | None]


class WebAuthnChallenge(Base):
    """A challenge handed to one browser for one WebAuthn ceremony: kept here, not in the signed session cookie,
    so it is used once (taken by a DELETE) and cannot be replayed with a copy of the cookie; the browser keeps only
    `ref`. Rows left by ceremonies never finished are deleted when their person starts another, and by the retention
    chore once expired (hub/security_keys.py::forget_expired_challenges)."""

    __tablename__ = "webauthn_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # register|login
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """Someone who logs in. `mail_choices` is which mail they let the desk send them (hub/mail_choices.py): a JSON
    column, not a table, because every notice already reads its recipients' rows here to check they are active
    users, so the choices come along in that same statement with no join and no second query, even on the ingest
    path; NULL (never chose, or chose the defaults again) is everything on, as before anyone could choose; and a
    kind added later needs no migration (hub/mail_choices.py reads what it does not know as the default)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin|agent|viewer
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    mail_choices: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))  # migration 0022
    # Two-factor authentication (hub/two_factor.py): the authenticator's base32 secret (sealed), the last 30-second
    # step a code was accepted at (so no code works twice), and since when. All None while it is off.
    totp_secret: Mapped[str | None] = mapped_column(sealed_text(64))
    totp_step: Mapped[int | None] = mapped_column(BigInteger)
    two_factor_since: Mapped[datetime | None]
    # A setup under way (hub/two_factor.py::start_setup): the new secret (sealed) until a code confirms it, the
    # reference the browser showing it keeps in its session, and when it started (it expires). Migration 0029.
    totp_pending: Mapped[str | None] = mapped_column(Text)
    totp_pending_ref: Mapped[str | None] = mapped_column(String(32))
    totp_pending_at: Mapped[datetime | None]
    # The IANA zone the web UI shows and reads their times in (hub/zones.py); None: the installation's.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Whether their incident pages and reviews show the timeline newest first (web/timeline_order.py); false:
    # oldest first, the story in order. Migration 0049; only a server default, so statements written for the
    # columns before it (the older migrations' tests) still insert users.
    timeline_newest_first: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # How the desk names them to requesters ("Alice Smith for the service desk", hub/people.py); None: the part
    # of their address before the @, capitalised, never the address itself. Migration 0037.
    display_name: Mapped[str | None] = mapped_column(String(100))
    # Changed whenever a security key is added or removed (hub/security_keys.py), and part of the session key
    # (web/auth.py::session_key), so that ends every other session as two-factor turned on or off does. NULL:
    # never had one, so no one's sessions end with this column's arrival. Migration 0031.
    security_keys_stamp: Mapped[str | None] = mapped_column(String(32))
    # Read in the same SELECT as the row (an EXISTS on an indexed column), so every request's load of the user
    # knows whether logging in as them wants a second step without a query of its own.
    has_security_key: Mapped[bool] = column_property(exists().where(SecurityKey.user_id == id))

    @property
    def two_factor_on(self) -> bool:
        """Whether logging in as them wants a second step: an authenticator code, a security key, or either."""
        return self.totp_secret is not None or self.has_security_key


# @mention suggestions: addresses starting with what is typed, and the first few hundred in order (migration 0033).
_code_point_index("ix_users_email_c", User.email)


class UserNameWord(Base):
    """A word of a person's display name, folded (hub/name_words.py), so the fields that suggest colleagues as one
    types find them by the start of any word of their name through an index, as they find them by address. Kept
    in step with `users.display_name` by hub/accounts.py, the one place that sets it (migration 0045)."""

    __tablename__ = "user_name_words"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    word: Mapped[str] = mapped_column(String(100), primary_key=True)


# Words starting with what is typed, in code point order and then by person: the order suggestions come in, so the
# index gives them without a sort and stops after the first few. On SQLite the expression is the column itself.
Index("ix_user_name_words_word", in_code_point_order(UserNameWord.word), UserNameWord.user_id)


class TimeEntry(Base):
    """Time someone spent working an incident (hub/time_spent.py): what reports add up per person and category."""

    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    who: Mapped[str] = mapped_column(String(320))
    minutes: Mapped[int] = mapped_column(Integer)
    what: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator once (a lost phone); only its digest is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # a personal token's is unused: its person's role counts
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]  # written at most once a minute (hub/api_tokens.py `note_use`)
    expires_at: Mapped[datetime | None]  # None: until revoked
    # A personal token acts as this person (their current role, refused once they are deactivated); None: the desk's.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


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
    # A condition tree ({all|any|not} groups of {field, op, value}) and the actions; NULL in rules made before
    # conditions could nest, which keep their one test in field/op/value and their actions in set_*.
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actions: Mapped[dict[str, Any] | None] = mapped_column(JSON)


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


class PrunedEvents(Base):
    """How many events retention deleted (hub/retention.py), by source and status, so that the count of events
    received (`switchboard_events_total`) never goes down."""

    __tablename__ = "pruned_events"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


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
    # Each row keeps its own retry state: a batch job retries only the rows that failed, each when it is due.
    next_attempt_at: Mapped[datetime | None]  # pending rows wait until then (None: at once)
    give_up_at: Mapped[datetime | None]  # set at the first failure: a row still failing after this is dead
    job_id: Mapped[str | None] = mapped_column(String(64))  # the RQ job that holds a queued row
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the facts webhook and chat channels render
    html: Mapped[str | None] = mapped_column(Text)  # an email's HTML alternative (sent after the plain text)
    # A templated email: its body and HTML are this mail template applied to these facts, rendered when sent.
    template: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The files an agent's reply carries (attachments.id): read from the store by the worker as it sends, so the
    # outbox never holds their bytes. A file gone by then makes the mail dead, never sent without it.
    attachment_ids: Mapped[list[int] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_outbox_status_updated_at", "status", "updated_at"),
        Index("ix_outbox_status_id", "status", "id"),  # the queue page, a state a page at a time
        Index("ix_outbox_recipient_created_at", "recipient", "created_at"),  # per-address caps
        _partial_index("ix_outbox_message_id", "message_id", "message_id IS NOT NULL"),
        Index("ix_outbox_job_id", "job_id"),
    )


class Channel(Base):
    """Somewhere rules can send notifications: an email address, a generic webhook, or a chat incoming webhook."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # email|webhook|slack|teams|mattermost
    url: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10), default="POST")
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body_template: Mapped[str | None] = mapped_column(Text)  # Jinja2, rendered in a sandbox
    to_address: Mapped[str | None] = mapped_column(String(320))  # email channels
    # The webhook's HMAC key, sealed (hub/sealed.py): it signs each send, so it cannot be hashed.
    signing_secret: Mapped[str | None] = mapped_column(sealed_text(128))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mailbox(Base):
    """An IMAP mailbox the `imap` watcher imports mail from, with its checkpoint (UIDVALIDITY + last UID).

    The secret is what logging in needs, so it cannot be hashed: either a reference (`env:VAR`, `file:PATH`, read
    at each connect so a refreshed OAuth2 token is picked up) or, when typed in, the password, sealed (hub/sealed.py).
    """

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    tls: Mapped[str] = mapped_column(String(10), default="ssl")  # ssl|starttls|none
    username: Mapped[str] = mapped_column(String(320))
    auth: Mapped[str] = mapped_column(String(10), default="password")  # password|xoauth2
    secret: Mapped[str] = mapped_column(Text)  # env:VAR | file:PATH | sealed:... (| literal:VALUE from before)
    folder: Mapped[str] = mapped_column(String(500), default="INBOX")
    after_import: Mapped[str] = mapped_column(String(510), default="seen")  # seen | move:<folder>
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # UIDs are unsigned 32-bit: beyond PostgreSQL's INTEGER.
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]  # the first failure since the last good look (migration 0065)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportedMessage(Base):
    """A message already imported from a mailbox, by Message-ID (or content digest): written in the transaction
    that stores it, so a message fetched again after a crash between commit and flag is never imported twice."""

    __tablename__ = "imported_messages"

    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id", ondelete="CASCADE"), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(998), primary_key=True)
    event_id: Mapped[int | None] = mapped_column(EventId, ForeignKey("events.id", ondelete="SET NULL"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (_partial_index("ix_imported_messages_event_id", "event_id", "event_id IS NOT NULL"),)


class Service(Base):
    """An entry of the service catalogue: what incidents, SLAs, problems and changes hang off."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    owner_group: Mapped[str | None] = mapped_column(String(320))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # on the status page
    # Paged for its major incidents instead of SWITCHBOARD_MAJOR_INCIDENT_GROUP (hub/major_incidents.py); None: that.
    major_group: Mapped[str | None] = mapped_column(String(320))


class ConfigurationItem(Base):
    """A configuration item (hub/cis.py): a server, application, device... the desk looks after, who owns it and
    which service it supports. Retired, not deleted, once incidents point at it."""

    __tablename__ = "configuration_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))  # as people and monitoring write it: a hostname fits
    # The name case-folded: unique, so `DB1` and `db1` are one item, and what the intake looks an event's label up by.
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # hub/cis.py KINDS
    service: Mapped[str | None] = mapped_column(String(100))  # a name in the services catalogue
    owner: Mapped[str | None] = mapped_column(String(320))  # a user's address or a group's name
    status: Mapped[str] = mapped_column(String(20), default="active")  # active|retired
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # free text values: ip, location...
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# CI names starting with what is typed, and an alert's short host name under a domain (migration 0033).
_code_point_index("ix_configuration_items_name_key_c", ConfigurationItem.name_key)


class CiDependency(Base):
    """One configuration item depends on another (an application on its database): what breaks with it."""

    __tablename__ = "ci_dependencies"

    ci_id: Mapped[int] = mapped_column(ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True)
    # Indexed: a CI's page asks what depends on it (its impact).
    depends_on_id: Mapped[int] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BusinessCalendar(Base):
    """When SLA clocks run: weekly hours in a time zone, minus holidays (hub/business_hours.py does the sums)."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tz: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"mon": [["09:00", "17:00"]], ...}
    holiday_country: Mapped[str | None] = mapped_column(String(10))
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    holiday_dates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"dates": ["2026-12-24", ...]}
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    """Targets for incidents of one priority, optionally only of one service, category, organisation or kind."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    priority: Mapped[int] = mapped_column(Integer)
    service: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(20))  # one of INCIDENT_KINDS; None: both
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id", ondelete="RESTRICT"))
    # Targets in seconds of business time; None: that clock is not kept.
    first_response: Mapped[int | None] = mapped_column(Integer)
    next_update: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[int | None] = mapped_column(Integer)
    warn_at: Mapped[float] = mapped_column(Float, default=0.75)  # share of a target at which it warns
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleSetting(Base):
    """Rule-book wide settings saved with the rules (the priority matrix, the time zone of time conditions)."""

    __tablename__ = "rule_settings"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"value": ...}


class RuleVersion(Base):
    """One saved state of the rule book, as its deterministic YAML export, with who saved it and the diff."""

    __tablename__ = "rule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version number people see
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(320))
    summary: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    diff: Mapped[str] = mapped_column(Text)  # unified diff from the version before


class Group(Base):
    """A team incidents can be assigned to; rules pick a member by strategy (fixed, round robin, fewest open)."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    last_assigned: Mapped[str | None] = mapped_column(String(320))  # the round-robin pointer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Assignee suggestions: group names starting with what is typed (hub/assignees.py, migration 0034).
_code_point_index("ix_groups_name_c", Group.name)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the order strategies go round in


class OnCallRotation(Base):
    """A group's on-call rotation: its members take shifts in turn, handing over at a local wall-clock time."""

    __tablename__ = "oncall_rotations"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    shift_minutes: Mapped[int] = mapped_column(Integer)
    handoff: Mapped[str] = mapped_column(String(16))  # local wall clock, "2026-11-30T09:00": the first shift's start
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OnCallOverride(Base):
    """Someone covering part of a rotation (a swap, a holiday): wins over the rotation while it lasts."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OnCallNotice(Base):
    """That a person was told their on-call shift began: one mail per shift, however many dispatchers look."""

    __tablename__ = "oncall_notices"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)


class Article(Base):
    """A knowledge article (hub/knowledge.py): plain text in the desk's words; a draft until published."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(500), default="")  # comma-separated, as people search
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Answers to the help centre's "Was this helpful?" (hub/article_feedback.py), for the desk's eyes only.
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)


class ArticleFeedback(Base):
    """What a reader of the help centre said was missing from an article, sent with their "No"
    (hub/article_feedback.py). Deleted with the article."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    comment: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusSubscriber(Base):
    """Someone who asked for the status page's updates by mail (hub/status_subscriptions.py). Until they follow
    the link mailed to them (`confirmed_at`), they get nothing else: anyone may type anyone's address."""

    __tablename__ = "status_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the last confirmation mail was owed
    confirmed_at: Mapped[datetime | None] = mapped_column()
    services: Mapped[list[str] | None] = mapped_column(JSON)  # the services chosen; None: all, new ones too


class StatusSnapshot(Base):
    """What subscribers were last told about a public service (hub/status_updates.py): the next round mails only
    what differs from it. Updated compare-and-set, so however many dispatchers look, one change is one mail."""

    __tablename__ = "status_snapshots"

    service: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen: Mapped[str] = mapped_column(Text)  # JSON of hub.status_updates.Seen
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingRequest(Base):
    """A request asked on the help centre's "Ask the desk" form (hub/pending_requests.py). Anyone may type anyone's
    address, so it reaches the desk only once the link mailed there is followed and its button pressed
    (`confirmed_at`, which also holds the claim of whoever is sending it); `sent_at` once the intake recorded it,
    with its incident. Deleted a week after it was asked, unless it is still being sent."""

    __tablename__ = "pending_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # lower-cased
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(100))
    # "Something is broken" (incident) or "I need something" (request): hub.domain.INCIDENT_KINDS.
    kind: Mapped[str] = mapped_column(String(20), server_default=text("'incident'"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    # What was asked for from the request catalogue (hub/request_types.py), with the answers to its questions as
    # [[label, answer], ...] in its order; None for a request without a type.
    request_type_id: Mapped[int | None] = mapped_column(ForeignKey("request_types.id"))
    answers: Mapped[list[list[str]] | None] = mapped_column(JSON)

    # The upkeep looks for claims left unsent, which are few (a crash between pressing the button and the intake's
    # commit), so their index is partial and tiny. (Whether an address was mailed lately is the outbox's to say.)
    __table_args__ = (
        _partial_index("ix_pending_requests_unsent", "confirmed_at", "confirmed_at IS NOT NULL AND sent_at IS NULL"),
    )


class AuditEntry(Base):
    """One admin change: who did what to which thing, kept so a team can answer "who changed this?"."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))  # a person's email, an API token's name, or "cli"
    action: Mapped[str] = mapped_column(String(64), index=True)  # e.g. user.create, integration.rotate
    target: Mapped[str] = mapped_column(String(320), index=True)  # a thing's history (hub/audit.py trail)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SavedReply(Base):
    """A reply agents send again and again ("Please restart the VPN client..."), kept once for the whole desk."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Problem(Base):
    """The cause behind recurring incidents (ITIL problem management): investigated, then a known error with a
    workaround, then fixed. `match_key` names the recurrence it covers, so new incidents of it join it."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="new")  # new|investigating|known_error|resolved|closed
    match_key: Mapped[str | None] = mapped_column(String(700), index=True)  # hub.recurrence.group_key
    service: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    owner: Mapped[str | None] = mapped_column(String(320))
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    share_workaround: Mapped[bool] = mapped_column(Boolean, default=False)  # in requesters' acknowledgements
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    # Set while its open incidents are resolved in the background (hub/problem_followthrough.py): who asked, when.
    resolving_by: Mapped[str | None] = mapped_column(String(320))
    resolving_since: Mapped[datetime | None] = mapped_column(index=True)  # the dispatcher asks every round

    # The dashboard's counts by state, its oldest unowned problem and its shared known errors (hub/problem_overview.py).
    __table_args__ = (Index("ix_problems_state_owner", "state", "owner"),)

    @property
    def ref(self) -> str:
        return f"PRB-{self.id}"


class MajorIncident(Base):
    """One declaration that an incident is a major incident (hub/major_incidents.py): why, who coordinates it, and
    when it was stood down. An incident declared again after a stand-down has a row per declaration, so its time as
    major adds them up; at most one stands at a time, which the database enforces (the partial unique index)."""

    __tablename__ = "major_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    coordinator: Mapped[str] = mapped_column(String(320))  # an active agent's or admin's address
    declared_by: Mapped[str] = mapped_column(String(320))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]  # stood down; None while it stands
    ended_by: Mapped[str | None] = mapped_column(String(320))
    end_note: Mapped[str | None] = mapped_column(String(500))

    # One standing declaration per incident; also how the banners find the few that stand, without a scan.
    __table_args__ = (_partial_index("uq_major_incidents_standing", "incident_id", "ended_at IS NULL", unique=True),)


class IncidentReview(Base):
    """The post-incident review of a major incident (hub/reviews.py): what happened and what is to be done, in plain
    text; a draft until published, then the record. One per incident."""

    __tablename__ = "incident_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft|published
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")  # on customers
    root_cause: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(320))
    published_at: Mapped[datetime | None]

    actions: Mapped[list[ReviewAction]] = relationship(
        back_populates="review", order_by="ReviewAction.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        return f"INC-{self.incident_id}"


class ReviewAction(Base):
    """A follow-up action a review agreed on; filed as a problem (hub/problems.py) so it is tracked to the end."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("incident_reviews.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))  # becomes the problem's title
    owner: Mapped[str | None] = mapped_column(String(320))
    # Indexed: a problem's page names the review it came from.
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[IncidentReview] = relationship(back_populates="actions")
    # Loaded with the action: the review page shows each action's problem and its state.
    problem: Mapped[Problem | None] = relationship(lazy="selectin", viewonly=True)


class Change(Base):
    """A change request (ITIL change enablement), or a deployment a tool reported, recorded as a standard change.

    Its state moves only through hub/change_states.py; approvals are N of the M named `approvers`.
    """

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str | None] = mapped_column(String(100))  # a name in the services catalogue
    type: Mapped[str] = mapped_column(String(20))  # standard|normal|emergency
    state: Mapped[str] = mapped_column(String(20), default="new")
    risk: Mapped[str] = mapped_column(String(10), default="low")  # low|medium|high
    impact: Mapped[str] = mapped_column(Text, default="")
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    implementation_plan: Mapped[str] = mapped_column(Text, default="")
    test_plan: Mapped[str] = mapped_column(Text, default="")
    backout_plan: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(320))
    approvers: Mapped[list[str]] = mapped_column(JSON, default=list)  # the M people who may approve
    required_approvals: Mapped[int] = mapped_column(Integer, default=0)  # N of them must
    # When it was carried out (implemented, failed or backed out): what incidents are correlated on.
    implemented_at: Mapped[datetime | None] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual|deploy
    link: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(200))
    environment: Mapped[str | None] = mapped_column(String(100))
    # Deploys: the integration that reported it and the tool's deploy id, so a later status updates this change.
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id", ondelete="SET NULL"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    # The problem it is meant to fix (hub/change_problems.py), listed on that problem's page.
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"), index=True)
    # The post-implementation review: what happened and what was learned, written by whoever reviewed it.
    review: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    approvals: Mapped[list[ChangeApproval]] = relationship(
        back_populates="change", order_by="ChangeApproval.id", cascade="all, delete-orphan"
    )
    problem: Mapped[Problem | None] = relationship(lazy="selectin", viewonly=True)

    __table_args__ = (
        _partial_index("uq_changes_deploy", ["integration_id", "external_id"], "external_id IS NOT NULL", unique=True),
        # The dashboard's week ahead, approvals awaited and overruns (hub/change_overview.py): a few states each.
        Index("ix_changes_state_planned_start", "state", "planned_start"),
    )

    @property
    def ref(self) -> str:
        return f"CHG-{self.id}"


class ChangeApproval(Base):
    """One named approver's decision on a change, with their comment; one per approver."""

    __tablename__ = "change_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    approver: Mapped[str] = mapped_column(String(320))
    decision: Mapped[str] = mapped_column(String(10))  # approve|reject
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    change: Mapped[Change] = relationship(back_populates="approvals")

    __table_args__ = (Index("uq_change_approvals_approver", "change_id", "approver", unique=True),)

    @property
    def verdict(self) -> str:
        """The decision as it reads once made ("approved", "rejected"): `decision` + "d" gave "rejectd"."""
        return "approved" if self.decision == "approve" else "rejected"


class FreezeWindow(Base):
    """A time no change may be carried out in (for one service, or all): only emergencies, with an extra approval."""

    __tablename__ = "freeze_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[str | None] = mapped_column(String(100))  # None: every service
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: An attachment belongs to an email's event or to an agent's note or reply, never both or neither (migration 0023
#: writes the same text). Comparing two truth values works on PostgreSQL (booleans) and SQLite (0 and 1) alike.
ONE_OWNER = "(event_id IS NULL) <> (timeline_entry_id IS NULL)"


class Attachment(Base):
    """A file an email carried, or one an agent attached to a note or a reply. The bytes live in the attachment
    store under SWITCHBOARD_HOME, named by their SHA-256 (so a logo sent a thousand times is kept once); one over
    the limits is listed with `stored` false.

    Whose file it is: an email's names its stored event (`event_id`), an agent's the timeline entry of its note or
    reply (`timeline_entry_id`), exactly one of them (the CHECK). Two nullable keys rather than one "owner" column:
    each is a real foreign key, so deleting an event (retention, erasure) or an incident's timeline takes its files'
    rows along, and neither kind of row can name something that does not exist. A reply's mail names its files by
    id (`outbox.attachment_ids`), and the worker reads them from the store when it sends.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(EventId, ForeignKey("events.id", ondelete="CASCADE"), index=True)
    timeline_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("timeline_entries.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(255))  # sanitised: no path, no control characters
    content_type: Mapped[str] = mapped_column(String(255))  # as sent; never served as such unless known safe
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    inline: Mapped[bool] = mapped_column(Boolean, default=False)  # an inline image rather than an attached file
    stored: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)  # why it was not stored

    __table_args__ = (CheckConstraint(ONE_OWNER, name="ck_attachments_one_owner"),)


class Organisation(Base):
    """A requester's organisation, made from the domain of their address on their first mail (not for free-mail
    domains); SLA policies can narrow by its name through the incident's `organisation` label."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    """Someone who has emailed the desk, made on their first mail."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestType(Base):
    """An entry of the request catalogue (hub/request_types.py): something people may ask the desk for on the help
    centre, with its questions and the category and group its requests get (as a desk address's defaults do).
    Retired, not deleted, once requests name it."""

    __tablename__ = "request_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    summary: Mapped[str] = mapped_column(String(200), default="")  # one line, on the list of what may be asked
    description: Mapped[str] = mapped_column(Text, default="")  # longer help, on its form
    category: Mapped[str | None] = mapped_column(String(100))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    # Who approves its requests: the intake asks them as it opens one (hub/request_approvals.py). No ON DELETE, as
    # 0052's inline references: users are deactivated, not deleted, once they act.
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # [{"label", "required", "kind": text|line|choice, "choices": [...]}, ...] in the order they are asked.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # the help centre lists them by it, then by name
    # ["Order it", {"text": "Image it", "group": "desktop"}, ...]: its fulfilment checklist, a step a string or, when
    # another group does it, an object (hub/request_steps.py::Planned); copied onto each request as the intake opens
    # it. NULL for types saved before migration 0057: no steps.
    steps: Mapped[list[str | dict[str, str]] | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeskAddress(Base):
    """A service desk address with the category and group its mail gets when no specific rule decides them."""

    __tablename__ = "desk_addresses"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    category: Mapped[str | None] = mapped_column(String(100))
    group: Mapped[str | None] = mapped_column("group_name", String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationPolicy(Base):
    """Who is told, and when, while an incident stays unacknowledged: steps of (delay, targets), repeated."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"after": seconds, "notify": [target, ...]}]
    repeat: Mapped[int] = mapped_column(Integer, default=0)  # times the whole list runs again after the last step
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Escalation(Base):
    """One timed step owed for one incident: written with the incident (so it survives anything), handed to RQ's
    scheduler by the dispatcher, and fired by a worker, which checks the incident still needs it (`until`)."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policies.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled|queued|done|stopped
    job_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What ends it: "acknowledged" (a rule on a new incident: someone has it) or "resolved" (an SLA breach of an
    # incident someone already has: it runs until the incident is dealt with).
    until: Mapped[str] = mapped_column(String(20), default="acknowledged")

    __table_args__ = (Index("ix_escalations_status_due_at", "status", "due_at"),)


class SlaWait(Base):
    """A wait on the requester that paused an incident's SLA clocks and ended (hub/sla_waits.py): kept so that a
    re-plan from the opening stands still through it too, counted on the new policy's calendar. The wait in
    progress is the incident's `sla_paused_at`."""

    __tablename__ = "sla_waits"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]


class IncidentWatcher(Base):
    """Someone who asked to hear about an incident's state changes (resolved, reopened, escalated, stable)."""

    __tablename__ = "incident_watchers"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentCopied(Base):
    """Someone the requester copied on their mail (To or Cc), kept in the conversation: an agent's reply and the
    resolution mail go to them too, on Cc (hub/copied.py). `added_by` is the agent who added them by hand, NULL
    when the requester's mail did."""

    __tablename__ = "incident_copied"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    added_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Approval(Base):
    """Someone other than the agent asked to say yes to an incident, mostly a service request (hub/approvals.py):
    a manager for a laptop, a licence owner for access. `asked_by` is the user who asked, NULL when no user did
    (a desk API token, named in `asked_by_token` as `token:<name>`; a request type) or their account is gone;
    `request_type_id` the request type that asked, as
    the intake opened its request (hub/request_approvals.py), whose answer then moves the request on
    (hub/approval_outcome.py); an approval is decided once, by its approver, or withdrawn."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    asked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    asked_by_token: Mapped[str | None] = mapped_column(String(320))  # migration 0062
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending|approved|rejected|withdrawn
    comment: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the approver last chased (hub/approval_reminders.py); NULL: not yet
    request_type_id: Mapped[int | None] = mapped_column(ForeignKey("request_types.id"))  # migration 0056

    # "Waiting for me" reads an approver's pending ones; the incident page and its badge read an incident's; the
    # dispatcher's reminders read the pending ones by when they were last chased, or asked (migration 0055).
    __table_args__ = (
        Index("ix_approvals_approver_state", "approver_id", "state"),
        Index("ix_approvals_incident_state", "incident_id", "state"),
        Index("ix_approvals_state_reminded", "state", "reminded_at", "asked_at"),
    )


class RequestStep(Base):
    """One step of a request's fulfilment checklist, copied from its request type's steps as the intake opened it
    (hub/request_steps.py), so a later edit of the type leaves open requests as they were; ticked off by agents."""

    __tablename__ = "request_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, ...: the number agents tick it by
    text: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(320))  # the agent's address; NULL while not done
    # The group whose step it is, by name as the type named it (migration 0059): told when its turn comes
    # (hub/step_turns.py). NULL: the assignee's, as every step before groups.
    group_name: Mapped[str | None] = mapped_column(String(100))
    # When its group was told the turn came to it (migration 0060): once per step, so undoing the tick before and
    # ticking it again tells no one twice. NULL: not told (no group, or its turn has not come).
    told_at: Mapped[datetime | None]


class IncidentRead(Base):
    """When a person last opened an incident's page (hub/read_markers.py): what people wrote on it since is "new"
    to them on the list. One row per (person, incident), rewritten on each visit; gone with either."""

    __tablename__ = "incident_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    # An incident's rows go with it (ON DELETE CASCADE looks them up by incident); a person's first look at any
    # incident, min(seen_at), is one step down the second (migration 0041).
    __table_args__ = (
        Index("ix_incident_reads_incident_id", "incident_id"),
        Index("ix_incident_reads_user_seen", "user_id", "seen_at"),
    )


class SatisfactionAnswer(Base):
    """The requester's answer to "How did we do?" in the mail telling them their incident was resolved
    (hub/satisfaction.py): one per incident, the last one given."""

    __tablename__ = "satisfaction_answers"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    requester: Mapped[str] = mapped_column(String(320))
    rating: Mapped[str] = mapped_column(String(10))  # good|bad
    comment: Mapped[str | None] = mapped_column(Text)
    first_answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # the dashboard's period
