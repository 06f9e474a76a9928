"""The look-back's part of problem suggestions, kept a short while per app, so a visit to /problems reads only the
burst window.

Finding the groups of the 90-day look-back that could keep a schedule (hub/recurrence_scan.py) added 127 ms CPU to
a 40 ms listing at 57,000 incidents (bench/problem_suggestions.py), on every visit, yet what it finds barely moves
in a minute: its incidents are all older than the window, and a schedule's next one is a day or more away. So its
rows are kept for `TTL`, and a listing reads every incident from where they end (the window as it was when they
were read), which with them is every incident a fresh listing would give the pure core.

What a person does that changes the kept rows bumps the `suggestions` revision (hub/revisions.py) in the same
transaction: filing a problem with incidents, linking or unlinking one, renaming a service, correcting the service
or category of an incident that has no dedup key (`regrouped`: those two are its group). Every listing reads the
counter (one statement) and reads the look-back again when it moved, in every process. Which problems cover which
recurrence (the problems' states) is read afresh on every listing anyway, so a state change needs no bump.
Slower drift (an old incident merged, a group turning from burst to schedule as the window moves) shows within
`TTL`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub import revisions
from hub.recurrence_scan import BeforeWindow, before_window

#: Bumped by what changes the incidents a kept look-back holds (who is in a problem, how they group).
SUGGESTIONS_REVISION = "suggestions"
#: How long a look-back read is reused: a schedule's incidents come a day or more apart, so noticing a new one a
#: minute late costs nothing, while every other visit in that minute skips the look-back's read.
TTL = timedelta(seconds=60)


def regrouped(session: Session, dedup_key: str | None) -> None:
    """An incident's service or category was corrected in the caller's transaction: when it has no dedup key those
    are the recurrence group it is counted in (hub/recurrence.py `group_key`), so kept look-backs are dropped."""
    if not dedup_key:
        revisions.bump(session, SUGGESTIONS_REVISION)


@dataclass(frozen=True)
class _Kept:
    settings: tuple[timedelta, timedelta, int]  # window, look-back, threshold
    revision: int
    read_at: datetime  # the listing's `now` when it was read
    found: BeforeWindow


class LookbackCache:
    """Per app (a revision counts within one database): the last look-back read, reused for `ttl` of the
    listing's clock while the `suggestions` revision stands still. Safe to share between threads."""

    def __init__(self, ttl: timedelta = TTL) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._kept: _Kept | None = None

    def before_window(
        self, session: Session, now: datetime, window: timedelta, lookback: timedelta, threshold: int
    ) -> BeforeWindow:
        """`hub.recurrence_scan.before_window`, read again only when the kept one is stale."""
        # The revision before the rows: a change committed in between leaves rows newer than their revision, which
        # only costs the next listing a read, never a stale answer.
        revision = revisions.Revisions().of(session.connection()).get(SUGGESTIONS_REVISION, 0)
        settings = (window, lookback, threshold)
        with self._lock:
            kept = self._kept
        if (kept is not None and kept.settings == settings and kept.revision == revision
                and kept.read_at <= now < kept.read_at + self._ttl):  # fmt: skip
            return kept.found
        # Read outside the lock: two threads that both miss read twice, rather than one waiting on the other's.
        found = before_window(session, now, window, lookback, threshold)
        with self._lock:
            self._kept = _Kept(settings, revision, now, found)
        return found
