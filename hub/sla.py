"""SLA clocks on incidents: started when one opens, re-planned when its priority changes, stopped by the first
response and the resolution, paused while it waits on the requester or an approval (hub/sla_holds.py says what
holds them; each completed wait kept, hub/sla_waits.py, so a re-plan keeps it too), and swept for warnings and
breaches.

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
from hub.domain import format_ref
from hub.errors import BadInput
from hub.models import OPEN_STATUSES, BusinessCalendar, SlaPolicy, utcnow
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
    resumed,
    start_clocks,
    state_at,
    update_given,
    updates_at_resolution,
    views,
)
from hub.sla_holds import APPROVAL_PENDING, holding
from hub.sla_holds import WAITING as WAITING  # the status of an incident that waits on its requester
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
    _store(conn, incident_id, facts.service, policy.id, clocks, now or utcnow(), after=None)
    summary = f"SLA {policy.name}: " + ", ".join(
        f"{what} due {at:%Y-%m-%d %H:%M} UTC"
        for what, at in (("first response", clocks.response_due_at), ("resolution", clocks.due_at))
        if at is not None
    )
    return entry(incident_id, "sla", summary, data={"policy": policy.name})


def _store(
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


def _row(conn: Connection, incident_id: int, *, holds: bool = False) -> Row[Any]:
    """The incident's clock columns; with `holds`, whether an approval is pending on it too (`approval_pending`),
    for `holding`, in the same statement."""
    columns = (*_ROW, APPROVAL_PENDING) if holds else _ROW
    row = conn.execute(select(*columns).where(INCIDENTS.c.id == incident_id)).first()
    if row is None:
        raise BadInput(f"there is no incident {format_ref(incident_id)}")
    return row


def refresh(
    conn: Connection,
    incident_id: int,
    now: datetime | None = None,
    book: SlaBook | None = None,
    *,
    reopened: bool = False,
) -> None:
    """Bring the stored state up to date after an acknowledgement, a resolution or a reopening (`reopened`).

    Warnings and breaches not yet announced stay due for the sweep; a stopped clock drops out. The first response
    starts the next-update clock, a resolution stops it and a reopening of an answered incident starts it again
    from now (`book` saves reading the policies again when the caller has them). Paused clocks nothing holds any
    more (`holding`: resolved while it waited or awaited an approval) end their wait now, as `resume` would: else
    the resolution would be judged against due times the wait never moved, and a reopening would leave the clocks
    paused for good. Running clocks something holds (reopened with an approval still pending) pause now, said on
    the timeline.
    """
    now = now or utcnow()
    row = _row(conn, incident_id, holds=True)
    if row.sla_policy_id is None:
        return
    clocks = clocks_of(row)
    hold = holding(row.status, row.approval_pending)
    if row.sla_paused_at is not None and hold is None:
        book = book or SlaBookCache().current(conn)
        clocks = resumed(clocks, book.calendar(row.sla_policy_id), now)
        sla_waits.record(conn, incident_id, row.sla_paused_at, now)
    elif row.sla_paused_at is None and hold is not None:
        clocks = replace(clocks, paused_at=now)
        INSERT_TIMELINE.execute(conn, entry(incident_id, "sla", f"SLA clocks paused: {hold}"))
    clocks = updates_at_resolution(clocks)
    if clocks.responded_at is not None and clocks.update_due_at is None and clocks.resolved_at is None:
        policy = (book or SlaBookCache().current(conn)).by_id.get(row.sla_policy_id)
        if policy is not None:
            clocks = update_given(policy, clocks, now if reopened else clocks.responded_at)
    _store_keeping_due(conn, row, clocks, now)


def _store_keeping_due(conn: Connection, row: Row[Any], clocks: Clocks, now: datetime) -> None:
    """Store changed clocks so that what the sweep has not announced yet stays due, and new instants (all after
    `now`) are found too: the watermark is the stored next check if that has passed, else now."""
    old = row.sla_next_at
    after, inclusive = (old, True) if old is not None and old <= now else (now, False)
    _store(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=after, inclusive=inclusive)


def agent_update(conn: Connection, incident_id: int, now: datetime | None = None, book: SlaBook | None = None) -> None:
    """An agent updated the requester (after the first response): the next update is due a whole target later.

    Internal notes do not call this: the requester saw nothing.
    """
    now = now or utcnow()
    row = _row(conn, incident_id)
    if row.sla_policy_id is None or row.acknowledged_at is None or row.resolved_at is not None:
        return
    policy = (book or SlaBookCache().current(conn)).by_id.get(row.sla_policy_id)
    if policy is None or policy.next_update is None:
        return
    _store_keeping_due(conn, row, update_given(policy, clocks_of(row), now), now)


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
    row = _row(conn, incident_id, holds=True)
    policy = pick_policy(book.policies, facts_of(row.priority, row.service, row.category, row.labels, row.kind))
    because = f" ({why})" if why else ""
    # A removed policy's incidents have lost the reference already (ON DELETE SET NULL): `before` names it.
    was = before.id if before is not None else row.sla_policy_id
    if policy is None:
        _store(conn, incident_id, row.service, None, Clocks(), now, after=None)
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
    _store(conn, incident_id, row.service, policy.id, clocks, now, after=None)
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


# -- what holds the clocks: waiting on the requester, an approval pending (hub/sla_holds.py) ----------------------


def pause(conn: Connection, incident_id: int, now: datetime | None = None) -> None:
    """Stop the clocks where they are (the incident now waits on its requester or an approval)."""
    _pause(conn, _row(conn, incident_id), now or utcnow())


def _pause(conn: Connection, row: Row[Any], now: datetime) -> None:
    if row.sla_policy_id is None or row.sla_paused_at is not None:
        return
    clocks = replace(clocks_of(row), paused_at=now)
    _store(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=None)


def resume(conn: Connection, book: SlaBook, incident_id: int, now: datetime | None = None) -> None:
    """Run the clocks again: every warning and due time still ahead moves on by the business time paused, and
    the wait is kept, so that a re-plan stands still through it too (hub/sla_waits.py)."""
    _resume(conn, book, _row(conn, incident_id), now or utcnow())


def _resume(conn: Connection, book: SlaBook, row: Row[Any], now: datetime) -> None:
    if row.sla_policy_id is None or row.sla_paused_at is None:
        return
    clocks = resumed(clocks_of(row), book.calendar(row.sla_policy_id), now)
    _store(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=now, inclusive=True)
    sla_waits.record(conn, row.id, row.sla_paused_at, now)  # for a plan made again from the opening


def settle(conn: Connection, incident_id: int, now: datetime | None = None, book: SlaBook | None = None) -> None:
    """Pause or run the clocks as `holding` says, after an approval was asked, decided or withdrawn; the timeline
    says so when they stop or run again (not when a resolution stopped them: that is said already). `now`: when
    the hold began or ended (an approval asked as a request opens holds them from its opening)."""
    now = now or utcnow()
    row = _row(conn, incident_id, holds=True)
    if row.sla_policy_id is None:
        return
    hold = holding(row.status, row.approval_pending)
    if hold is not None and row.sla_paused_at is None:
        _pause(conn, row, now)
        INSERT_TIMELINE.execute(conn, entry(incident_id, "sla", f"SLA clocks paused: {hold}"))
    elif hold is None and row.sla_paused_at is not None:
        _resume(conn, book or SlaBookCache().current(conn), row, now)
        if row.resolved_at is None:
            INSERT_TIMELINE.execute(conn, entry(incident_id, "sla", "SLA clocks run again: no approval pending"))


def wait_on_requester(conn: Connection, incident_id: int, actor: str) -> None:
    """Set an open or acknowledged incident to `waiting`: its SLA clocks stand still until it is resumed or the
    requester replies by email (and no approval holds them still)."""
    row = _row(conn, incident_id)
    if row.status not in OPEN_STATUSES:
        raise BadInput(f"{format_ref(incident_id)} is {row.status}; only open or acknowledged incidents can wait")
    conn.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(status=WAITING))
    _pause(conn, row, utcnow())
    paused = "SLA clocks stay paused" if row.sla_paused_at is not None else "SLA clocks paused"
    summary = f"Waiting on the requester (set by {actor}); {paused}"
    INSERT_TIMELINE.execute(conn, entry(incident_id, WAITING, summary, data={"by": actor}))


def stop_waiting(conn: Connection, book: SlaBook, incident_id: int, why: str, now: datetime | None = None) -> bool:
    """Back from `waiting` to open (acknowledged if it was): the clocks run again, unless an approval pending still
    holds them (`holding`). False if it was not waiting."""
    row = _row(conn, incident_id, holds=True)
    if row.status != WAITING:
        return False
    status = "acknowledged" if row.acknowledged_at is not None else "open"
    conn.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(status=status))
    hold = holding(status, row.approval_pending)
    if hold is None:
        _resume(conn, book, row, now or utcnow())
    clocks = "SLA clocks run again" if hold is None else f"SLA clocks stay paused: {hold}"
    INSERT_TIMELINE.execute(conn, entry(incident_id, status, f"No longer waiting ({why}); {clocks}"))
    return True


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
    _store(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=now)
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
            "incident_id": row.id, "trace": None,
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
