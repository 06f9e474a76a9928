"""SLA clocks as values: which policy fits an incident, when its clocks warn and fall due, what state they are in.

Pure: the hub (hub/sla.py) reads and writes the columns; everything here is a function of what it is handed,
including `now`, so each rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from hub.business_hours import ALWAYS, Calendar, Interval, add_business_time, business_time_between, shift_for_pause

STATES = ("ok", "warning", "breached", "paused", "met")
DEFAULT_WARN_AT = 0.75
#: Each clock's name as people read it.
CLOCK_NAMES = {"first_response": "first response", "next_update": "next update", "resolution": "resolution"}


@dataclass(frozen=True)
class PolicySpec:
    """An SLA policy as the clocks need it: who it is for, its calendar and its targets."""

    id: int
    name: str
    priority: int
    service: str | None = None
    category: str | None = None
    organisation: str | None = None
    kind: str | None = None  # one of hub.domain.INCIDENT_KINDS; None: both
    calendar: Calendar = ALWAYS
    first_response: timedelta | None = None
    next_update: timedelta | None = None
    resolution: timedelta | None = None
    warn_at: float = DEFAULT_WARN_AT

    @property
    def specificity(self) -> int:
        return sum(value is not None for value in (self.service, self.category, self.organisation, self.kind))


@dataclass(frozen=True)
class Facts:
    """What of an incident decides its policy."""

    priority: int
    service: str | None = None
    category: str | None = None
    organisation: str | None = None
    kind: str | None = None  # an incident or a service request (hub.domain.INCIDENT_KINDS)


def pick_policy(policies: tuple[PolicySpec, ...] | list[PolicySpec], facts: Facts) -> PolicySpec | None:
    """The most specific policy for the incident's priority whose every narrowing matches; ties go to the oldest.

    A policy for P1 on service "mail" beats a policy for all P1 incidents; one narrowed by service and category
    beats one narrowed by service alone; one for service requests beats one for every kind, for a request.
    """
    fitting = [
        p
        for p in policies
        if p.priority == facts.priority
        and p.service in (None, facts.service)
        and p.category in (None, facts.category)
        and p.organisation in (None, facts.organisation)
        and p.kind in (None, facts.kind)
    ]
    return min(fitting, key=lambda p: (-p.specificity, p.id), default=None)


@dataclass(frozen=True)
class Clocks:
    """One incident's due times (UTC) and what stopped them; None where the policy keeps no such clock.

    The next-update clock runs only after the first response: each agent update starts it again, so it keeps
    only its current deadline, and `update_missed_at` remembers that an earlier one was missed (a breach stays).
    """

    response_warn_at: datetime | None = None
    response_due_at: datetime | None = None
    warn_at: datetime | None = None
    due_at: datetime | None = None
    paused_at: datetime | None = None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    update_warn_at: datetime | None = None
    update_due_at: datetime | None = None
    update_missed_at: datetime | None = None

    def instants(self) -> list[tuple[str, str, datetime]]:
        """(clock, kind, at) for each warning and breach still able to happen, i.e. of a clock still running."""
        found: list[tuple[str, str, datetime]] = []
        if self.resolved_at is None:
            if self.responded_at is None:
                found += _pair("first_response", self.response_warn_at, self.response_due_at)
            else:
                found += _pair("next_update", self.update_warn_at, self.update_due_at)
            found += _pair("resolution", self.warn_at, self.due_at)
        return found


def _pair(clock: str, warn: datetime | None, due: datetime | None) -> list[tuple[str, str, datetime]]:
    return [(clock, kind, at) for kind, at in (("warning", warn), ("breach", due)) if at is not None]


def start_clocks(policy: PolicySpec, started: datetime, waits: Sequence[Interval] = ()) -> Clocks:
    """Due times of a clock started at `started`; warnings at the policy's share of each target.

    `waits` are the completed waits on the requester since (a plan made again from the opening): the clocks stood
    still through them, counted on this policy's calendar, as `resumed` moved them on when each wait ended.
    """
    cal = policy.calendar

    def due(target: timedelta | None, share: float = 1.0) -> datetime | None:
        return add_business_time(cal, started, target * share, waits) if target is not None else None

    return Clocks(
        response_warn_at=due(policy.first_response, policy.warn_at),
        response_due_at=due(policy.first_response),
        warn_at=due(policy.resolution, policy.warn_at),
        due_at=due(policy.resolution),
    )


def state_at(clocks: Clocks, now: datetime) -> str:
    """ok, warning, breached, paused or met, as of `now` (a breach, once it happened, is never undone)."""
    stopped = clocks.resolved_at or clocks.paused_at or now
    response_end = clocks.responded_at or clocks.resolved_at or clocks.paused_at or now
    if (
        (clocks.response_due_at is not None and response_end > clocks.response_due_at)
        or (clocks.due_at is not None and stopped > clocks.due_at)
        or (clocks.update_due_at is not None and stopped > clocks.update_due_at)
        or clocks.update_missed_at is not None
    ):
        return "breached"
    if clocks.resolved_at is not None:
        return "met"
    if clocks.paused_at is not None:
        return "paused"
    warned = (
        (clocks.responded_at is None and _reached(clocks.response_warn_at, now))
        or _reached(clocks.update_warn_at, now)
        or _reached(clocks.warn_at, now)
    )
    return "warning" if warned else "ok"


def _reached(instant: datetime | None, now: datetime) -> bool:
    return instant is not None and now >= instant


def next_check(clocks: Clocks, after: datetime | None, *, inclusive: bool = False) -> datetime | None:
    """When the sweep must look again: the first warning or breach after `after` (None: the first of all;
    `inclusive`: at `after` too, for a watermark whose own instant has not fired yet).

    Nothing while paused or once resolved: the clock stands still.
    """
    if clocks.paused_at is not None:
        return None
    pending = [at for _, _, at in clocks.instants() if after is None or at > after or (inclusive and at == after)]
    return min(pending, default=None)


@dataclass(frozen=True)
class Crossing:
    """A warning or breach that happened: what the sweep records and announces."""

    clock: str  # first_response | next_update | resolution
    kind: str  # warning | breach
    at: datetime


def crossings(clocks: Clocks, since: datetime, now: datetime) -> list[Crossing]:
    """The warnings and breaches of running clocks from `since` (the last watermark, inclusive) up to `now`."""
    if clocks.paused_at is not None:
        return []
    return sorted(
        (Crossing(clock, kind, at) for clock, kind, at in clocks.instants() if since <= at <= now),
        key=lambda c: c.at,
    )


def update_given(policy: PolicySpec, clocks: Clocks, at: datetime) -> Clocks:
    """The clocks after an agent's update (or the first response) at `at`: the next update is due a whole target
    later in business time. A deadline that had already passed is remembered as missed.

    While the incident waits on its requester the clocks stand at `paused_at`, so the new target counts from
    there and the pause moves it on like every other due time when the clocks run again.
    """
    if policy.next_update is None or clocks.resolved_at is not None:
        return clocks
    missed = clocks.update_missed_at
    if missed is None and clocks.update_due_at is not None and at > clocks.update_due_at:
        missed = clocks.update_due_at
    start = min(at, clocks.paused_at) if clocks.paused_at is not None else at
    return replace(
        clocks,
        update_warn_at=add_business_time(policy.calendar, start, policy.next_update * policy.warn_at),
        update_due_at=add_business_time(policy.calendar, start, policy.next_update),
        update_missed_at=missed,
    )


def updates_at_resolution(clocks: Clocks) -> Clocks:
    """A resolution stops the next-update clock: nothing is owed while the incident stays resolved. A deadline
    already passed stays missed (a breach stays); the rest is dropped, so a reopening starts the clock afresh."""
    if clocks.resolved_at is None or clocks.update_due_at is None:
        return clocks
    missed = clocks.update_missed_at
    if missed is None and clocks.update_due_at < clocks.resolved_at:
        missed = clocks.update_due_at
    return replace(clocks, update_warn_at=None, update_due_at=None, update_missed_at=missed)


def resumed(clocks: Clocks, calendar: Calendar, now: datetime) -> Clocks:
    """The clocks after the pause that began at `clocks.paused_at` ended at `now`: every later instant moves on by
    the business time that passed in between."""
    paused = clocks.paused_at
    if paused is None:
        return clocks

    def moved(at: datetime | None) -> datetime | None:
        return shift_for_pause(calendar, at, paused, now) if at is not None else None

    return replace(
        clocks,
        response_warn_at=moved(clocks.response_warn_at),
        response_due_at=moved(clocks.response_due_at),
        warn_at=moved(clocks.warn_at),
        due_at=moved(clocks.due_at),
        update_warn_at=moved(clocks.update_warn_at),
        update_due_at=moved(clocks.update_due_at),
        paused_at=None,
    )


@dataclass(frozen=True)
class ClockView:
    """One clock as a page shows it."""

    name: str  # "First response" | "Next update" | "Resolution"
    due_at: datetime
    state: str  # running | warning | breached | met | paused
    remaining: timedelta  # business time left (zero once it is due or stopped)
    stopped_at: datetime | None = None  # when it was met


def views(clocks: Clocks, calendar: Calendar, now: datetime) -> list[ClockView]:
    """Each clock the incident has, for its page: due time, and business time left or how it ended."""
    shown = []
    for name, warn, due, stopped in (
        ("First response", clocks.response_warn_at, clocks.response_due_at, clocks.responded_at or clocks.resolved_at),
        ("Next update", clocks.update_warn_at, clocks.update_due_at, clocks.resolved_at),
        ("Resolution", clocks.warn_at, clocks.due_at, clocks.resolved_at),
    ):
        if due is None:
            continue
        end = stopped or clocks.paused_at or now
        if end > due:
            state = "breached"
        elif stopped is not None:
            state = "met"
        elif clocks.paused_at is not None:
            state = "paused"
        else:
            state = "warning" if warn is not None and now >= warn else "running"
        left = business_time_between(calendar, end, due) if stopped is None else timedelta(0)
        shown.append(ClockView(name, due, state, left, stopped))
    return shown


def format_span(span: timedelta) -> str:
    """`2 h 05 min`, `45 min`, `3 d 4 h`: a span people read at a glance."""
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"
