"""Retention: the stored repeats of alerts are deleted once older than SWITCHBOARD_EVENT_RETENTION (90 days).

Every inbound item is stored as received, so an alert storm stores one event per repeat, and soon most of the
events table is repeats whose lasting trace is their incident's occurrence count. Those events from monitoring
tools (deduplicated, held below a threshold, ignored, suppressed) are deleted when old. Kept for good: the events
that opened or changed an incident, every email (replies find their incident through its Message-ID), every call
an agent logged and every request sent from the help centre's form (a person's words too), and whatever waits for
review (unprocessable).

Events are numbered in the order they arrive, so "older than" is found once, as the first id that is not, and the
deletes walk the ids below it in small batches: each batch is a short write transaction, and ingest never waits
long behind one. Each batch adds what it deletes to `pruned_events`, so the count of events received that /metrics
reports (a Prometheus counter) never goes down.

The same upkeep step forgets the requests asked on the help centre's form a week ago (hub/pending_requests.py):
those no one confirmed, and those sent, which live on as their event and incident; clears the two-factor setups
that expired unconfirmed (hub/two_factor.py), whose sealed secrets would otherwise wait for their owners; and deletes
the security keys' challenges no key answered in time (hub/security_keys.py), left by ceremonies never finished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub import pending_requests, security_keys, two_factor
from hub.config import Settings
from hub.db import Database
from hub.domain import PERSON_SOURCES
from hub.durations import describe_duration
from hub.models import Event, PrunedEvents, utcnow

EVENTS = cast(Table, Event.__table__)
PRUNED = cast(Table, PrunedEvents.__table__)
#: What an event's status is when it changed nothing lasting.
PRUNABLE = ("deduplicated", "held", "ignored", "suppressed")
#: The upkeep runs every half minute; looking for old events once an hour is plenty.
EVERY = 3600.0
#: Deleted in one upkeep at most (about a second's work), so the dispatcher is not held up; more waits for the next.
PER_UPKEEP = 50_000

log = logging.getLogger("switchboard.retention")


def prune_events(
    db: Database,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    batch: int = 1000,
    most: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete prunable events received before `now - older_than`, at most about `most` of them (whole batches);
    returns how many. `progress(deleted so far)` is called after each batch."""
    below = _first_kept(db, (now or utcnow()) - older_than)
    batch = min(batch, most) if most is not None else batch
    deleted, start = 0, 0  # each batch looks only past the last: the events kept are not read again and again
    while most is None or deleted < most:
        with db.write() as conn:
            ids = conn.execute(
                select(EVENTS.c.id).where(_prunable(below), EVENTS.c.id >= start).order_by(EVENTS.c.id).limit(batch)
            ).scalars().all()  # fmt: skip
            if not ids:
                return deleted
            doomed = and_(_prunable(ids[-1] + 1), EVENTS.c.id >= ids[0])
            _tally(conn, doomed)
            conn.execute(delete(EVENTS).where(doomed))
        deleted, start = deleted + len(ids), ids[-1] + 1
        if progress is not None:
            progress(deleted)
    return deleted


def _tally(conn: Connection, doomed: ColumnElement[bool]) -> None:
    """Add the events about to be deleted to `pruned_events`, in the transaction that deletes them."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    by_kind = select(EVENTS.c.source, EVENTS.c.status, func.count()).where(doomed)
    for source, status, count in conn.execute(by_kind.group_by(EVENTS.c.source, EVENTS.c.status)):
        upsert = dialect.insert(PRUNED).values(source=source, status=status, count=count)
        conn.execute(upsert.on_conflict_do_update(index_elements=[PRUNED.c.source, PRUNED.c.status],
                                                  set_={"count": PRUNED.c.count + count}))  # fmt: skip


def pruned_counts(session: Session) -> dict[tuple[str, str], int]:
    """(source, status) -> events deleted so far, for the counts of events received (hub/figures.py)."""
    rows = session.execute(select(PRUNED.c.source, PRUNED.c.status, PRUNED.c.count))
    return {(source, status): int(count) for source, status, count in rows}


def count_prunable(db: Database, older_than: timedelta, *, now: datetime | None = None) -> int:
    """How many events prune_events would delete now."""
    below = _first_kept(db, (now or utcnow()) - older_than)
    with db.reader() as conn:
        return int(conn.scalar(select(func.count()).select_from(EVENTS).where(_prunable(below))) or 0)


def _first_kept(db: Database, cutoff: datetime) -> int:
    """The id of the first event received at or after `cutoff` (one past the last id when there is none)."""
    with db.reader() as conn:
        return _first_at(conn, cutoff)


def _first_at(conn: Connection, cutoff: datetime) -> int:
    first = conn.scalar(select(EVENTS.c.id).where(EVENTS.c.received_at >= cutoff).order_by(EVENTS.c.id).limit(1))
    if first is not None:
        return int(first)
    return int(conn.scalar(select(func.coalesce(func.max(EVENTS.c.id), 0))) or 0) + 1


def _prunable(below: int) -> ColumnElement[bool]:
    return and_(EVENTS.c.id < below, EVENTS.c.status.in_(PRUNABLE), EVENTS.c.source.not_in(PERSON_SOURCES))


def chore(settings: Settings, db: Database, *, every: float = EVERY, most: int = PER_UPKEEP) -> Callable[[], int]:
    """The dispatcher's upkeep step, at most once per `every` seconds: forget the help centre's old requests
    (hub/pending_requests.py), clear expired two-factor setups (hub/two_factor.py) and delete expired security-key
    challenges (hub/security_keys.py), whatever the event retention; then prune up to `most` events (never when
    retention is 0), and while more are left, again at the next upkeep. Returns how many rows it deleted or
    cleared."""
    last = [float("-inf")]

    def prune_now_and_then() -> int:
        if time.monotonic() - last[0] < every:
            return 0
        forgotten = pending_requests.forget(db)
        if forgotten:
            log.info("forgot %d request(s) from the help centre's form, unconfirmed or sent, asked over %s ago",
                     forgotten, describe_duration(pending_requests.FORGET_AFTER))  # fmt: skip
        cleared = two_factor.forget_expired_setups(db)
        if cleared:
            log.info("cleared %d two-factor setup(s) no code confirmed within %s",
                     cleared, describe_duration(two_factor.SETUP_FOR))  # fmt: skip
        stale = security_keys.forget_expired_challenges(db)
        if stale:
            log.info("deleted %d security-key challenge(s) no key answered within %s",
                     stale, describe_duration(security_keys.CHALLENGE_FOR))  # fmt: skip
        if not settings.event_retention:
            last[0] = time.monotonic()
            return forgotten + cleared + stale
        deleted = prune_events(db, timedelta(seconds=settings.event_retention), most=most)
        if deleted < most:
            last[0] = time.monotonic()  # done: look again in `every` seconds
        if deleted:
            log.info("deleted %d event(s) older than the retention that changed nothing lasting", deleted)
        return forgotten + cleared + stale + deleted

    return prune_now_and_then
