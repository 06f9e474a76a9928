"""Pausing and running an incident's SLA clocks again, apart from planning them (hub/sla.py): while it waits on its
requester or an approval is pending on it, the clocks stand still, and when they run again every due time still
ahead moves on by the business time waited.

Every pause and resume asks `holding` (hub/sla_holds.py), since the two holds can overlap and one ending must not
run the clocks while the other stands; each completed wait is kept (hub/sla_waits.py) so that a re-plan from the
opening (`hub.sla.replan`) stands still through it too. `refresh` is here because a status change (an
acknowledgement, a resolution, a reopening) is where a hold ends or begins again, besides the first response and
the resolution it stops the clocks at. This module builds on hub/sla.py's row and store; hub/sla.py never imports
it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, update

from hub import sla_waits
from hub.domain import format_ref
from hub.errors import BadInput
from hub.models import OPEN_STATUSES, utcnow
from hub.outbox import entry
from hub.sla import SlaBook, SlaBookCache, clock_row, clocks_of, store_clocks, store_keeping_due
from hub.sla_clocks import resumed, update_given, updates_at_resolution
from hub.sla_holds import WAITING as WAITING  # the status of an incident that waits on its requester
from hub.sla_holds import holding
from hub.statements import INCIDENTS, INSERT_TIMELINE


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
    row = clock_row(conn, incident_id, holds=True)
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
    store_keeping_due(conn, row, clocks, now)


def pause(conn: Connection, incident_id: int, now: datetime | None = None) -> None:
    """Stop the clocks where they are (the incident now waits on its requester or an approval)."""
    _pause(conn, clock_row(conn, incident_id), now or utcnow())


def _pause(conn: Connection, row: Row[Any], now: datetime) -> None:
    if row.sla_policy_id is None or row.sla_paused_at is not None:
        return
    clocks = replace(clocks_of(row), paused_at=now)
    store_clocks(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=None)


def resume(conn: Connection, book: SlaBook, incident_id: int, now: datetime | None = None) -> None:
    """Run the clocks again: every warning and due time still ahead moves on by the business time paused, and
    the wait is kept, so that a re-plan stands still through it too (hub/sla_waits.py)."""
    _resume(conn, book, clock_row(conn, incident_id), now or utcnow())


def _resume(conn: Connection, book: SlaBook, row: Row[Any], now: datetime) -> None:
    if row.sla_policy_id is None or row.sla_paused_at is None:
        return
    clocks = resumed(clocks_of(row), book.calendar(row.sla_policy_id), now)
    store_clocks(conn, row.id, row.service, row.sla_policy_id, clocks, now, after=now, inclusive=True)
    sla_waits.record(conn, row.id, row.sla_paused_at, now)  # for a plan made again from the opening


def settle(conn: Connection, incident_id: int, now: datetime | None = None, book: SlaBook | None = None) -> None:
    """Pause or run the clocks as `holding` says, after an approval was asked, decided or withdrawn; the timeline
    says so when they stop or run again (not when a resolution stopped them: that is said already). `now`: when
    the hold began or ended (an approval asked as a request opens holds them from its opening)."""
    now = now or utcnow()
    row = clock_row(conn, incident_id, holds=True)
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
    row = clock_row(conn, incident_id)
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
    row = clock_row(conn, incident_id, holds=True)
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
