"""What an agent works on first: when each incident's SLA next falls due, for the list's Due column and its
"Due soonest" sort (the page, `GET /api/v1/incidents?sort=due`, the CSV and `switchboard incident list`).

The due time itself is `Incident.sla_next_due_at` (hub/models.py), computed in the row's own SELECT: the first
response's target while none was given, else the resolution's, whichever comes first; nothing once resolved or
without an SLA. Which of them is breached or paused depends on the moment asked, so the order is built for `now`:
breached first (the longest overdue first), then running clocks nearest due first, then paused ones (their due
times move on when they run again), then those with no target, newest first. `due_of` says the same of one row for
the page, from the columns its row already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func

from hub.models import Incident

#: The rank of each kind of due, in the sort's order.
BREACHED, RUNNING, PAUSED, NO_TARGET = 0, 1, 2, 3
_STATES = {BREACHED: "breached", RUNNING: "running", PAUSED: "paused"}


def rank(now: datetime) -> ColumnElement[int]:
    """BREACHED, RUNNING, PAUSED or NO_TARGET, as of `now`: a clock paused after its due time was breached."""
    due, paused = Incident.sla_next_due_at, Incident.sla_paused_at
    stopped = func.coalesce(paused, now)
    return case((due.is_(None), NO_TARGET), (stopped > due, BREACHED), (paused.is_not(None), PAUSED), else_=RUNNING)


def order(ranked: Any, due: Any, ids: Any) -> tuple[ColumnElement[Any], ...]:
    """The sort's ORDER BY over a rank, a due time and an id (the table's, or a merged page's columns): ties on
    rank and due time go newest first."""
    return ranked.asc(), due.asc(), ids.desc()


@dataclass(frozen=True)
class Due:
    """An incident's next SLA target as the list shows it."""

    at: datetime
    clock: str  # "first response" or "resolution"
    state: str  # "breached", "running" or "paused"

    def apart(self, now: datetime) -> timedelta:
        """Wall-clock time between `now` and the due time, either way: the page says "in 2 h" or "2 h ago"."""
        return abs(self.at - now)


def due_of(incident: Any, now: datetime) -> Due | None:
    """The row's next target and its state at `now` (`rank`'s rule, for one row already read); None without one."""
    at = incident.sla_next_due_at
    if at is None:
        return None
    responding = incident.acknowledged_at is None and incident.sla_response_due_at == at
    stopped = incident.sla_paused_at or now
    state = BREACHED if stopped > at else PAUSED if incident.sla_paused_at is not None else RUNNING
    return Due(at, "first response" if responding else "resolution", _STATES[state])
