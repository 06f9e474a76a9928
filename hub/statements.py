"""The SQL of the ingest hot path, compiled once and run on the driver's cursor (hub/prepared.py).

SQLAlchemy's per-statement overhead is several times SQLite's own work, and these run on every inbound event.
Dedup keys are scoped to the integration that sent them (NULL for events from no integration).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, false, func, insert, null, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hub.models import (
    OPEN_CONDITION,
    AlertCount,
    AlertState,
    BouncedAddress,
    Event,
    Incident,
    OutboxMessage,
    TimelineEntry,
    User,
)
from hub.prepared import Prepared

EVENTS = cast(Table, Event.__table__)
INCIDENTS = cast(Table, Incident.__table__)
TIMELINE = cast(Table, TimelineEntry.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
OPEN_DEDUP = Incident.dedup_key.is_not(None) & OPEN_CONDITION

EVENT_COLUMNS = (
    "source",
    "integration_id",
    "received_at",
    "content_type",
    "raw",
    "status",
    "error",
    "message_id",
    "incident_id",
    "trace",
    "mapping_id",
)
INCIDENT_COLUMNS = (
    "title",
    "description",
    "status",
    "priority",
    "severity",
    "category",
    "kind",
    "assignee",
    "requester",
    "source",
    "dedup_key",
    "integration_id",
    "occurrences",
    "first_seen",
    "last_seen",
    "labels",
    "service",
    "tags",
    "channels",
    "ci_id",
    "request_type_id",
)
TIMELINE_COLUMNS = ("incident_id", "at", "kind", "summary", "event_id", "data")
OUTBOX_COLUMNS = (
    "delivery_id",
    "incident_id",
    "kind",
    "channel",
    "recipient",
    "subject",
    "body",
    "headers",
    "message_id",
    "status",
    "attempts",
    "created_at",
    "updated_at",
    "payload",
    "html",
    "template",
    "facts",
    "attachment_ids",
)

INSERT_EVENT = Prepared(insert(EVENTS).returning(EVENTS.c.id), EVENT_COLUMNS)
INSERT_TIMELINE = Prepared(insert(TIMELINE), TIMELINE_COLUMNS)
INSERT_OUTBOX = Prepared(insert(OUTBOX), OUTBOX_COLUMNS)
INSERT_INCIDENT = Prepared(insert(INCIDENTS).returning(INCIDENTS.c.id), INCIDENT_COLUMNS)
INSERT_INCIDENT_UNLESS_OPEN = {
    name: Prepared(
        dialect.insert(INCIDENTS)
        .on_conflict_do_nothing(
            index_elements=[INCIDENTS.c.dedup_key, INCIDENTS.c.integration_id], index_where=OPEN_DEDUP
        )
        .returning(INCIDENTS.c.id),
        INCIDENT_COLUMNS,
    )
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
OPEN_WITH_KEY = (
    (INCIDENTS.c.dedup_key == bindparam("key"))
    & INCIDENTS.c.integration_id.is_not_distinct_from(bindparam("integration"))
    & OPEN_CONDITION
)
# PostgreSQL only: clients take turns, per dedup key, at finding no open incident for it. Without the turn, each
# client racing to open a key's incident takes a number from the incidents' sequence for its INSERT, and the
# losers' numbers (their INSERT ... ON CONFLICT did nothing) are never seen: INC-4 would be missing. The lock is
# the transaction's, so it goes with its COMMIT; the winner's incident is then there to be counted on.
DEDUP_TURNS = 0x5B0A  # the advisory locks' first key, naming what the second (a hash of the dedup key) is about
TAKE_DEDUP_TURN = Prepared(
    select(func.pg_advisory_xact_lock(DEDUP_TURNS, func.hashtext(bindparam("ident")))), ("ident",)
)
COUNT_REPEAT = Prepared(
    update(INCIDENTS)
    .where(OPEN_WITH_KEY)
    .values(occurrences=INCIDENTS.c.occurrences + 1, last_seen=bindparam("now"))
    .returning(INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.occurrences),
    ("key", "integration", "now"),
)
RESOLVE = Prepared(
    update(INCIDENTS)
    .where(OPEN_WITH_KEY)
    .values(status="resolved", resolved_at=bindparam("now"), last_seen=bindparam("now"))
    .returning(INCIDENTS.c.id, INCIDENTS.c.occurrences, INCIDENTS.c.title, INCIDENTS.c.assignee),
    ("key", "integration", "now"),
)
ACKNOWLEDGE = Prepared(
    update(INCIDENTS)
    .where(OPEN_WITH_KEY, INCIDENTS.c.status == "open")
    .values(
        status="acknowledged",
        last_seen=bindparam("now"),
        acknowledged_at=func.coalesce(INCIDENTS.c.acknowledged_at, bindparam("now")),
    )
    .returning(INCIDENTS.c.id, INCIDENTS.c.occurrences, INCIDENTS.c.title, INCIDENTS.c.assignee),
    ("key", "integration", "now"),
)
TOUCH = Prepared(
    update(INCIDENTS).where(INCIDENTS.c.id == bindparam("incident")).values(last_seen=bindparam("now")),
    ("incident", "now"),
)
#: Mail already stored under a Message-ID, newest first, with enough of each to read its headers (hub/mail_records.py).
HEADERS_MAX = 65536
EARLIER_MAIL = Prepared(
    select(EVENTS.c.id, EVENTS.c.incident_id, func.substr(EVENTS.c.raw, 1, HEADERS_MAX))
    .where(
        EVENTS.c.message_id == bindparam("message_id"),
        EVENTS.c.source == "email",
        EVENTS.c.status != "unprocessable",
        EVENTS.c.status != "reprocessed",
    )
    .order_by(EVENTS.c.id.desc())
    .limit(5),
    ("message_id",),
)
IS_ACTIVE_USER = Prepared(
    select(func.count()).where(User.email == bindparam("email"), User.active.is_(True)), ("email",)
)
_LATEST_RESOLVED_WITH_KEY = (
    select(INCIDENTS.c.id)
    .where(
        INCIDENTS.c.dedup_key == bindparam("key"),
        INCIDENTS.c.integration_id.is_not_distinct_from(bindparam("integration")),
        INCIDENTS.c.status == "resolved",
        INCIDENTS.c.resolved_at >= bindparam("since"),
    )
    .order_by(INCIDENTS.c.resolved_at.desc())
    .limit(1)
    .scalar_subquery()
)
#: What every reopening sets, as an agent's does (hub/triage.py::status_change): open, and what it was resolved as
#: (when, how, not approved: hub/approval_outcome.py) no longer holds, so no page or JSON shows it on an open one.
_REOPENED = {"status": "open", "resolved_at": null(), "resolution": null(), "not_approved": false()}
REOPEN = Prepared(
    update(INCIDENTS)
    .where(INCIDENTS.c.id == _LATEST_RESOLVED_WITH_KEY)
    .values(
        **_REOPENED,
        occurrences=INCIDENTS.c.occurrences + 1,
        last_seen=bindparam("now"),
    )
    .returning(INCIDENTS.c.id, INCIDENTS.c.occurrences, INCIDENTS.c.title, INCIDENTS.c.assignee),
    ("key", "integration", "since", "now"),
)

#: A person's reply to a resolved incident reopens it (hub/mail_threads.py decides when).
REOPEN_BY_ID = Prepared(
    update(INCIDENTS)
    .where(INCIDENTS.c.id == bindparam("incident"), INCIDENTS.c.status == "resolved")
    .values(**_REOPENED, last_seen=bindparam("now"))
    .returning(INCIDENTS.c.id, INCIDENTS.c.occurrences, INCIDENTS.c.title, INCIDENTS.c.assignee),
    ("incident", "now"),
)

_COUNTS = cast(Table, AlertCount.__table__)


def _threshold_count(dialect: Any) -> Prepared:
    """Count one more event towards the threshold; a count whose window has passed starts again at 1."""
    stale = _COUNTS.c.first_at < bindparam("since")
    insert_row = dialect.insert(_COUNTS).values(
        integration_id=bindparam("integration"), dedup_key=bindparam("key"), count=1, first_at=bindparam("now")
    )
    return Prepared(
        insert_row.on_conflict_do_update(
            index_elements=[_COUNTS.c.integration_id, _COUNTS.c.dedup_key],
            set_={
                "count": case((stale, 1), else_=_COUNTS.c.count + 1),
                "first_at": case((stale, bindparam("now")), else_=_COUNTS.c.first_at),
            },
        ).returning(_COUNTS.c.count),
        ("integration", "key", "now", "since"),
    )


THRESHOLD_COUNT = {"sqlite": _threshold_count(sqlite), "postgresql": _threshold_count(postgresql)}
CLEAR_COUNT = Prepared(
    delete(_COUNTS).where(
        _COUNTS.c.integration_id == bindparam("integration"), _COUNTS.c.dedup_key == bindparam("key")
    ),
    ("integration", "key"),
)

_STATES = cast(Table, AlertState.__table__)


def _state_change(dialect: Any) -> Prepared:
    """Count a state change of one alert; it is flapping once `limit` changes fall in one window (and stays so
    until the maintenance sweep finds it quiet for a whole window)."""
    stale = _STATES.c.window_start < bindparam("since")
    changes = case((stale, 1), else_=_STATES.c.changes + 1)
    insert_row = dialect.insert(_STATES).values(
        integration_id=bindparam("integration"), dedup_key=bindparam("key"), changes=1,
        window_start=bindparam("now"), last_change=bindparam("now"), flapping=False,
    )  # fmt: skip
    return Prepared(
        insert_row.on_conflict_do_update(
            index_elements=[_STATES.c.integration_id, _STATES.c.dedup_key],
            set_={
                "changes": changes,
                "window_start": case((stale, bindparam("now")), else_=_STATES.c.window_start),
                "last_change": bindparam("now"),
                "flapping": case((_STATES.c.flapping, True), (changes >= bindparam("limit"), True), else_=False),
            },
        ).returning(_STATES.c.flapping),
        ("integration", "key", "now", "since", "limit"),
    )


STATE_CHANGE = {"sqlite": _state_change(sqlite), "postgresql": _state_change(postgresql)}

# How much mail went lately to one address, and about one incident: automatic mail is capped on both, so two
# auto-responders (or a flood of alerts) can never make us send mail without end.
RECENT_TO_ADDRESS = Prepared(
    select(func.count()).where(OUTBOX.c.recipient == bindparam("recipient"), OUTBOX.c.created_at >= bindparam("since")),
    ("recipient", "since"),
)
RECENT_FOR_INCIDENT = Prepared(
    select(func.count()).where(
        OUTBOX.c.incident_id == bindparam("incident"), OUTBOX.c.created_at >= bindparam("since")
    ),
    ("incident", "since"),
)

_BOUNCED = cast(Table, BouncedAddress.__table__)
BOUNCED_UNTIL = Prepared(
    select(_BOUNCED.c.until).where(_BOUNCED.c.address == bindparam("address"), _BOUNCED.c.until > bindparam("now")),
    ("address", "now"),
)


def _mark_bounced(dialect: Any) -> Prepared:
    row = dialect.insert(_BOUNCED).values(
        address=bindparam("address"), until=bindparam("until"), reason=bindparam("reason")
    )
    return Prepared(
        row.on_conflict_do_update(index_elements=[_BOUNCED.c.address], set_={"until": bindparam("until"),
                                                                              "reason": bindparam("reason")}),
        ("address", "until", "reason"),
    )  # fmt: skip


MARK_BOUNCED = {"sqlite": _mark_bounced(sqlite), "postgresql": _mark_bounced(postgresql)}
