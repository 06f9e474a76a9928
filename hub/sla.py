"""SLA clocks on incidents: started when one opens, re-planned when its priority changes (standing still through
every completed wait, hub/sla_waits.py), and swept for warnings and breaches. Stopping them at the first response
and the resolution, and pausing them while the incident waits on its requester or an approval, is
hub/sla_pauses.py's, on this module's `clock_row` and `store_clocks`.

Due times live in indexed columns of `incidents`; `sla_next_at` is the next instant anything can happen to an
incident's clocks, so the sweep (run by the dispatcher's upkeep) reads only the incidents that are due, with one
indexed range query, however many are open. The arithmetic is pure (hub/sla_clocks.py, hub/business_hours.py).

The first response is the incident's `acknowledged_at` (an acknowledgement or a person's first reply), and the
resolution its `resolved_at`: whoever changes those, the clocks read them. The next-update clock starts at the
first response and again at each agent update (`agent_update`: a reply to the requester; internal notes are not
updates).

Each warning and breach is stored as a `pending` event with source `sla`; the rules decide on it afterwards
(hub/sla_events.py), in a process that has the rules engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from hub import notices, recipients, sla_waits, zones
from hub.business_hours import ALWAYS, Calendar
from hub.calendars import calendar_of
from hub.catalogue import load_policies
from hub.catalogue_rows import SLA_REVISION
from hub.db import Database
from hub.domain import format_ref, no_incident
from hub.errors import BadInput
from hub.models import BusinessCalendar, SlaPolicy, utcnow
from hub.names import NAME_WIDTH
from hub.outbox import entry, owe
from hub.prepared import Prepared
from hub.recipients import zone_of_person
from hub.revisions import Revisions
from hub.sla_clocks import (
    CLOCK_NAMES,
    Clocks,
    ClockView,
    Crossing,
    Facts,
    PolicySpec,
    crossings,
    next_check,
    pick_policy,
    start_clocks,
    state_at,
    update_given,
    views,
)
from hub.sla_holds import APPROVAL_PENDING, holding
from hub.statements import INCIDENTS, INSERT_EVENT, INSERT_TIMELINE

if TYPE_CHECKING:
    from hub.intake_notices import NoticeSettings

log = logging.getLogger("switchboard.sla")

#: How many due incidents one sweep transaction handles (it loops until none are left).
SWEEP_BATCH = 500

_CLOCK_COLUMNS = (
    "sla_response_warn_at", "sla_response_due_at", "sla_warn_at", "sla_due_at", "sla_paused_at",
    "sla_update_warn_at", "sla_update_due_at", "sla_update_missed_at",
)  # fmt: skip
_SET_CLOCKS = Prepared(
    update(INCIDENTS)
    .where(INCIDENTS.c.id == bindparam("incident"))
    .values(
        service=bindparam("service"),
        sla_policy_id=bindparam("policy"),
        sla_state=bindparam("state"),
        **{name: bindparam(name) for name in _CLOCK_COLUMNS},
        sla_next_at=bindparam("next_at"),
    ),
    ("incident", "service", "policy", "state", *_CLOCK_COLUMNS, "next_at"),
)
_SET_SERVICE = Prepared(
    update(INCIDENTS).where(INCIDENTS.c.id == bindparam("incident")).values(service=bindparam("service")),
    ("incident", "service"),
)
_ROW = (
    INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.priority, INCIDENTS.c.service, INCIDENTS.c.category,
    INCIDENTS.c.kind, INCIDENTS.c.labels, INCIDENTS.c.title, INCIDENTS.c.assignee, INCIDENTS.c.first_seen,
    INCIDENTS.c.acknowledged_at, INCIDENTS.c.resolved_at, INCIDENTS.c.sla_policy_id, INCIDENTS.c.sla_state,
    *(INCIDENTS.c[name] for name in _CLOCK_COLUMNS), INCIDENTS.c.sla_next_at,
)  # fmt: skip


@dataclass(frozen=True)
class SlaBook:
    """The SLA policies in force (with their calendars built), and the version caches key on."""

    version: int
    policies: tuple[PolicySpec, ...] = ()
    by_id: dict[int, PolicySpec] = field(default_factory=dict)

    def calendar(self, policy_id: int | None) -> Calendar:
        policy = self.by_id.get(policy_id) if policy_id is not None else None
        return policy.calendar if policy is not None else ALWAYS


class SlaBookCache:
    """Per-process cache: one indexed read per use, a reload only when a policy or calendar changed."""

    def __init__(self) -> None:
        self._book = SlaBook(version=-1)

    def current(self, conn: Connection, seen: Revisions | None = None) -> SlaBook:
        version = (seen or Revisions()).of(conn).get(SLA_REVISION, 0)
        if self._book.version != version:
            specs, _ = load_policies(conn)
            self._book = SlaBook(version, tuple(specs.values()), specs)
        return self._book


def facts_of(priority: int, service: str | None, category: str | None, labels: Any, kind: str) -> Facts:
    """The facts that pick a policy; an incident's organisation is its `organisation` label, its kind an incident
    or a service request. A service (an alert's `service` label, say) longer than a catalogue name can be is not
    taken for one: it stays a label."""
    if service is not None and len(service) > NAME_WIDTH:
        service = None
    return Facts(priority=priority, service=service, category=category,
                 organisation=(labels or {}).get("organisation"), kind=kind)  # fmt: skip


def start(
    conn: Connection, book: SlaBook, incident_id: int, facts: Facts, started: datetime, now: datetime | None = None
) -> dict[str, Any] | None:
    """Start the clocks of a just-opened incident under the policy that fits it; returns the timeline entry that
    says so (for the caller to write with its own), or None when no policy fits.

    Costs nothing but the version read when no policy fits (the ingest hot path calls this for every opening).
    """
    policy = pick_policy(book.policies, facts)
    if policy is None:
        if facts.service is not None:
            _SET_SERVICE.execute(conn, {"incident": incident_id, "service": facts.service})
        return None
    clocks = start_clocks(policy, started)
    store_clocks(conn, incident_id, facts.service, policy.id, clocks, now or utcnow(), after=None)
    summary = f"SLA {policy.name}: " + ", ".join(
        f"{what} due {at:%Y-%m-%d %H:%M} UTC"
        for what, at in (("first response", clocks.response_due_at), ("resolution", clocks.due_at))
        if at is not None
    )
    return entry(incident_id, "sla", summary, data={"policy": policy.name})


def store_clocks(
    conn: Connection,
    incident_id: int,
    service: str | None,
    policy_id: int | None,
    clocks: Clocks,
    now: datetime,
    *,
    after: datetime | None,
    inclusive: bool = False,
) -> None:
    """Write the incident's clocks, its policy and service, the state they are in at `now`, and the next instant
    the sweep must look at them after `after` (None: the first of all; `inclusive`: at `after` too)."""
    _SET_CLOCKS.execute(conn, {
        "incident": incident_id, "service": service, "policy": policy_id,
        "state": state_at(clocks, now) if policy_id is not None else None,
        "sla_response_warn_at": clocks.response_warn_at, "sla_response_due_at": clocks.response_due_at,
        "sla_warn_at": clocks.warn_at, "sla_due_at": clocks.due_at, "sla_paused_at": clocks.paused_at,
        "sla_update_warn_at": clocks.update_warn_at, "sla_update_due_at": clocks.update_due_at,
        "sla_update_missed_at": clocks.update_missed_at,
        "next_at": next_check(clocks, after, inclusive=inclusive),
    })  # fmt: skip


def clocks_of(row: Row[Any] | Any) -> Clocks:
    """The clocks stored on an incident row (ORM object or a row with the sla_* columns)."""
    return Clocks(
        response_warn_at=row.sla_response_warn_at,
        response_due_at=row.sla_response_due_at,
        warn_at=row.sla_warn_at,
        due_at=row.sla_due_at,
        paused_at=row.sla_paused_at,
        responded_at=row.acknowledged_at,
        resolved_at=row.resolved_at,
        update_warn_at=row.sla_update_warn_at,
        update_due_at=row.sla_update_due_at,
        update_missed_at=row.sla_update_missed_at,
    )


def clock_row(conn: Connection, incident_id: int, *, holds: bool = False) -> Row[Any]:
    """The incident's clock columns; with `holds`, whether an approval is pending on it too (`approval_pending`),
    for `holding`, in the same statement."""
    columns = (*_ROW, APPROVAL_PENDING) if holds else _ROW
    row = conn.execute(select(*columns).where(INCIDENTS.c.id == incident_id)).first()
    if row is None:
        raise BadInput(no_incident(format_ref(incident_id)))
    return row


def store_keeping_due(conn: Connection, row: Row[Any], clocks: Clocks, now: datetime) -> None:
    """Store changed clocks so that what the sweep has not announced yet stays due, and new instants (all after
    `now`) are found too: the watermark is the stored next check if that has passed, else now."""
    old = row.sla_next_at
    after, inclusive = (old, True) if old is not None and old <= now else (now, False)
    store_clocks(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=after, inclusive=inclusive)


def agent_update(conn: Connection, incident_id: int, now: datetime | None = None, book: SlaBook | None = None) -> None:
    """An agent updated the requester (after the first response): the next update is due a whole target later.

    Internal notes do not call this: the requester saw nothing.
    """
    now = now or utcnow()
    row = clock_row(conn, incident_id)
    if row.sla_policy_id is None or row.acknowledged_at is None or row.resolved_at is not None:
        return
    policy = (book or SlaBookCache().current(conn)).by_id.get(row.sla_policy_id)
    if policy is None or policy.next_update is None:
        return
    store_keeping_due(conn, row, update_given(policy, clocks_of(row), now), now)


@dataclass(frozen=True)
class Replanned:
    """What re-planning did to one incident's clocks."""

    policy: PolicySpec | None  # the policy they run under now; None: none fits, no clocks
    moved: bool  # its policy or one of its due times changed


def replan(
    conn: Connection,
    book: SlaBook,
    incident_id: int,
    now: datetime | None = None,
    *,
    why: str | None = None,
    before: PolicySpec | None = None,
) -> Replanned:
    """Pick the policy again (priority, service, category or kind changed, or its policy changed or went) and plan the
    clocks from the opening, standing still through every wait on the requester or an approval that ended since
    (counted on the new policy's calendar) and from the start of the one in progress. The timeline says so when the
    policy or a due time moved (and `why`, when given); with `why`, it says so too when the clocks stop for want
    of a policy.

    `before` is the policy as it was when the clocks were planned, for a change to the policy itself: when the
    incident stays under it and nothing the clocks go by changed (its calendar, targets and warning share), its
    clocks stand exactly as they are, with nothing to read again; when only the next-update clock is the same,
    its current deadline stands. Without it, the next update is due a target of the policy now in force from now.

    The new plan's warnings and breaches that already lie in the past are announced by the next sweep.
    """
    now = now or utcnow()
    row = clock_row(conn, incident_id, holds=True)
    policy = pick_policy(book.policies, facts_of(row.priority, row.service, row.category, row.labels, row.kind))
    because = f" ({why})" if why else ""
    # A removed policy's incidents have lost the reference already (ON DELETE SET NULL): `before` names it.
    was = before.id if before is not None else row.sla_policy_id
    if policy is None:
        store_clocks(conn, incident_id, row.service, None, Clocks(), now, after=None)
        if why and was is not None:
            INSERT_TIMELINE.execute(conn, entry(incident_id, "sla", f"SLA clocks stopped{because}: no policy fits"))
        return Replanned(None, moved=was is not None)
    if before is not None and before.id == policy.id and _clock_terms(policy) == _clock_terms(before):
        return Replanned(policy, moved=False)
    # Through every completed wait the new plan stands still, on its own calendar; still waiting, it stands still
    # from the same moment, and resuming moves it on. A missed next update stays missed.
    # Clocks that no policy ran till now start paused while something holds them (hub/sla_holds.py).
    paused_at = row.sla_paused_at
    if paused_at is None and row.resolved_at is None and holding(row.status, row.approval_pending) is not None:
        paused_at = now
    waits = sla_waits.completed(conn, incident_id)
    clocks = replace(start_clocks(policy, row.first_seen, waits), responded_at=row.acknowledged_at,
                     resolved_at=row.resolved_at, paused_at=paused_at,
                     update_missed_at=row.sla_update_missed_at)  # fmt: skip
    if clocks.responded_at is not None:
        if before is not None and _update_terms(policy) == _update_terms(before):
            clocks = replace(clocks, update_warn_at=row.sla_update_warn_at, update_due_at=row.sla_update_due_at)
        else:
            clocks = update_given(policy, replace(clocks, update_due_at=row.sla_update_due_at), now)
            if policy.next_update is None:
                clocks = replace(clocks, update_warn_at=None, update_due_at=None)
    store_clocks(conn, incident_id, row.service, policy.id, clocks, now, after=None)
    moved = (policy.id, clocks.response_due_at, clocks.due_at, clocks.update_due_at) != (
        was, row.sla_response_due_at, row.sla_due_at, row.sla_update_due_at)  # fmt: skip
    if moved:
        INSERT_TIMELINE.execute(conn, entry(incident_id, "sla", f"SLA re-planned under {policy.name}{because}",
                                            data={"policy": policy.name}))  # fmt: skip
    return Replanned(policy, moved)


def _update_terms(policy: PolicySpec) -> tuple[object, ...]:
    """What a policy's next-update clock goes by."""
    return (policy.next_update, policy.calendar, policy.warn_at)


def _clock_terms(policy: PolicySpec) -> tuple[object, ...]:
    """What all of a policy's clocks go by."""
    return (policy.first_response, policy.resolution, *_update_terms(policy))


# -- the sweep --------------------------------------------------------------------------------------------------

DUE = (
    select(*_ROW)
    .where(INCIDENTS.c.sla_next_at <= bindparam("now"))
    .order_by(INCIDENTS.c.sla_next_at)
    .limit(bindparam("batch"))
)


def due_count(conn: Connection, now: datetime) -> int:
    """How many incidents have a warning or breach due (the indexed query the sweep runs; for the benchmark)."""
    return int(conn.scalar(select(func.count()).where(INCIDENTS.c.sla_next_at <= now)) or 0)


def sweep(
    db: Database, settings: NoticeSettings, now: datetime | None = None, batch: int = SWEEP_BATCH
) -> list[Crossing]:
    """Announce every warning and breach that came due: state updated, an `sla` event stored (pending, for the
    rules to decide on; hub/sla_events.py), a timeline entry, and a notice to an assignee who is a person. Returns
    what it announced."""
    now = now or utcnow()
    announced: list[Crossing] = []
    while True:
        with db.transaction() as session:
            conn = session.connection()
            rows = conn.execute(DUE, {"now": now, "batch": batch}).all()
            for row in rows:
                announced += _announce(conn, row, now, settings)
        if len(rows) < batch:
            break
    if announced:
        log.info("SLA sweep: %d warning(s) and breach(es)", len(announced))
    return announced


def _announce(conn: Connection, row: Row[Any], now: datetime, settings: NoticeSettings) -> Sequence[Crossing]:
    clocks = clocks_of(row)
    fired = crossings(clocks, row.sla_next_at, now)
    store_clocks(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=now)
    for crossing in fired:
        due = f"{crossing.at:%Y-%m-%d %H:%M} UTC"
        what = CLOCK_NAMES[crossing.clock]
        summary = f"SLA {'breached' if crossing.kind == 'breach' else 'warning'}: {what} due {due}"
        payload = {"kind": crossing.kind, "clock": crossing.clock, "incident": format_ref(row.id), "due_at":
                   crossing.at.isoformat(), "priority": row.priority, "service": row.service,
                   "assignee": row.assignee}  # fmt: skip
        event_id = INSERT_EVENT.scalar(conn, {
            "source": "sla", "integration_id": None, "received_at": now, "content_type": "application/json",
            "raw": json.dumps(payload).encode(), "status": "pending", "error": None, "message_id": None,
            "incident_id": row.id, "trace": None, "mapping_id": None,
        })  # fmt: skip
        # The timeline says UTC, as everyone reads it; the assignee's mail says their own zone.
        theirs = zones.wall_clock(crossing.at, zone_of_person(conn, row.assignee, settings.timezone))
        kind = "sla_breach" if crossing.kind == "breach" else "sla_warning"
        owed, declined = recipients.to_assignee(conn, row.id, row.assignee, kind, row.priority, partial(
            notices.sla_alert, incident_id=row.id, title=row.title, clock=crossing.clock, kind=crossing.kind,
            due=theirs, desk_address=settings.desk_addresses[0], base_url=settings.base_url,
            templates=settings.templates,
        ))  # fmt: skip
        owe(conn, row.id, owed, also=[entry(row.id, kind, summary, event_id=event_id, data=payload), *declined])
    return fired


# -- reading ----------------------------------------------------------------------------------------------------


def live_state(incident: Any, now: datetime | None = None) -> str | None:
    """The state of an incident's SLA as of now, read from its columns (the stored `sla_state` changes only when
    the sweep or a status change writes it); None when no policy applies."""
    if incident.sla_policy_id is None:
        return None
    return state_at(clocks_of(incident), now or utcnow())


def clock_views(conn: Connection | Session, incident: Any, now: datetime | None = None) -> list[ClockView]:
    """Each clock of an incident as its page shows it, with business time left on the policy's calendar."""
    if incident.sla_policy_id is None:
        return []
    row = conn.execute(
        select(*BusinessCalendar.__table__.c)
        .join(SlaPolicy, SlaPolicy.calendar_id == BusinessCalendar.id)
        .where(SlaPolicy.id == incident.sla_policy_id)
    ).first()
    return views(clocks_of(incident), calendar_of(row) if row is not None else ALWAYS, now or utcnow())
