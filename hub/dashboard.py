"""The figures on the dashboard: what is open, how fast incidents are acknowledged and resolved, who is noisy.

Incidents and service requests are counted apart (ITIL measures them apart: a laptop awaited for three days is
fine, an outage is not): the open work is split by kind, and `kind` narrows every incident figure to one of them.

The database is asked for the few columns needed (incidents seen in the period, not events, so an alert storm of
100,000 events costs one row); the arithmetic is pure functions over those rows, tested on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from hub.approvals import DONE
from hub.domain import INCIDENT_KINDS
from hub.kind_filter import of_kind
from hub.models import INCIDENT_STATUSES, OPEN_STATUSES, Approval, Incident, Integration, OutboxMessage, utcnow

PERIOD = timedelta(days=7)
#: The backlog's ages: (label, at least, under) how long ago an open incident was opened (None: no bound).
AGES: tuple[tuple[str, timedelta | None, timedelta | None], ...] = (
    ("Under 1 day", None, timedelta(days=1)),
    ("1 to 7 days", timedelta(days=1), timedelta(days=7)),
    ("7 to 30 days", timedelta(days=7), timedelta(days=30)),
    ("Over 30 days", timedelta(days=30), None),
)
#: The groups (assignees) the backlog names, the largest first; the rest are summed as "others".
BACKLOG_GROUPS = 10
#: Incidents read for the period's figures; beyond this the figures cover the most recent ones.
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Timing:
    """One incident's clock: when it was first seen, acknowledged and resolved."""

    first_seen: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class Failure:
    ref: str | None
    kind: str
    recipient: str
    error: str
    at: datetime


@dataclass(frozen=True)
class AgeBand:
    """Open incidents opened in [since, before) (None: no bound), as the list's `opened_since`/`opened_before`."""

    label: str
    since: datetime | None
    before: datetime | None
    count: int


@dataclass(frozen=True)
class Backlog:
    """The open work by group (assignee; None: no assignee), the largest first, and by how long ago it opened."""

    by_group: list[tuple[str | None, int]]
    others: int  # open incidents of the groups past BACKLOG_GROUPS
    by_age: list[AgeBand]


@dataclass(frozen=True)
class Dashboard:
    open_counts: dict[tuple[int, str], int]  # (priority, status) -> open incidents
    open_by_kind: dict[str, int]  # each of INCIDENT_KINDS -> open ones of it (0 when none, or narrowed away)
    per_hour: list[tuple[datetime, int]]  # incidents opened per hour, oldest first, every hour present
    mtta: timedelta | None
    mttr: timedelta | None
    noisiest: list[tuple[str, int]]  # (source, events on its incidents seen in the period), noisiest first
    failures: int  # dead-lettered notifications, all time
    recent_failures: list[Failure]
    kind: str | None = None  # the figures are of this kind only (one of INCIDENT_KINDS); None: of both
    # What MTTA and MTTR are means over, so the page can say it: those opened in the period, and of them how many
    # were acknowledged and resolved (resolving without acknowledging first leaves no time to acknowledge).
    opened: int = 0
    acknowledged: int = 0
    resolved: int = 0
    backlog: Backlog = field(default_factory=lambda: Backlog([], 0, []))

    @property
    def open_total(self) -> int:
        return sum(self.open_counts.values())

    @property
    def busiest_hour(self) -> int:
        return max((count for _, count in self.per_hour), default=0)


def hour_buckets(opened: Iterable[datetime], now: datetime, period: timedelta = PERIOD) -> list[tuple[datetime, int]]:
    """Counts per clock hour for the `period` up to `now`, oldest first; hours with nothing in them count 0."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = int(period.total_seconds() // 3600)
    start = end - timedelta(hours=hours - 1)
    counts = Counter(t.replace(minute=0, second=0, microsecond=0) for t in opened if t >= start)
    return [(start + timedelta(hours=h), counts.get(start + timedelta(hours=h), 0)) for h in range(hours)]


def mean_time(timings: Sequence[Timing], until: str) -> timedelta | None:
    """Mean time from first seen to `until` ("acknowledged_at" or "resolved_at") over incidents that got there."""
    spans = [getattr(t, until) - t.first_seen for t in timings if getattr(t, until) is not None]
    if not spans:
        return None
    return sum(spans, timedelta()) / len(spans)


def began_since(since: datetime, kind: str | None = None) -> Select[datetime, datetime | None, datetime | None]:
    """The timings of the (at most MAX_ROWS newest) incidents that began since `since`: newest first down the index
    on `first_seen` (ordered by id, it was a scan of every incident)."""
    return (
        select(Incident.first_seen, Incident.acknowledged_at, Incident.resolved_at)
        .where(Incident.first_seen >= since, *of_kind(kind))
        .order_by(Incident.first_seen.desc())
        .limit(MAX_ROWS)
    )


def noisiest_since(since: datetime, kind: str | None = None) -> Select[str, int]:
    """The five sources whose incidents seen since `since` repeated most. Every status is named so the index on
    (status, last_seen) finds the window's incidents; without it, every incident was read."""
    source = func.coalesce(Integration.name, Incident.source)
    return (
        select(source, func.sum(Incident.occurrences))
        .select_from(Incident)
        .outerjoin(Integration, Integration.id == Incident.integration_id)
        .where(Incident.status.in_(INCIDENT_STATUSES), Incident.last_seen >= since, *of_kind(kind))
        .group_by(source)
        .order_by(func.sum(Incident.occurrences).desc())
        .limit(5)
    )


def open_work(kind: str | None = None) -> Select[int, str, str, int]:
    """(priority, status, kind, count) of the open incidents: one grouped read of the open ones (the index on
    status), split by kind as well as by priority and status so the page says how many of each kind wait."""
    return (
        select(Incident.priority, Incident.status, Incident.kind, func.count())
        .where(Incident.status.in_(OPEN_STATUSES), *of_kind(kind))
        .group_by(Incident.priority, Incident.status, Incident.kind)
    )


def age_bounds(now: datetime) -> list[tuple[str, datetime | None, datetime | None]]:
    """AGES as instants before `now`: (label, opened since, opened before)."""
    return [(label, now - oldest if oldest else None, now - youngest if youngest else None)
            for label, youngest, oldest in AGES]  # fmt: skip


def open_backlog(now: datetime, kind: str | None = None) -> Select[str | None, int, int]:
    """(assignee, age band's index in AGES, count) of the open incidents: one grouped read of the open ones (the
    index on status), as `open_work`."""
    bands = age_bounds(now)
    band = case(*((Incident.first_seen >= since, index) for index, (_, since, _) in enumerate(bands) if since),
                else_=len(bands) - 1)  # fmt: skip
    return (
        select(Incident.assignee, band, func.count())
        .where(Incident.status.in_(OPEN_STATUSES), *of_kind(kind))
        .group_by(Incident.assignee, band)
    )


def backlog(rows: Iterable[tuple[str | None, int, int]], now: datetime, groups: int = BACKLOG_GROUPS) -> Backlog:
    """The backlog from `open_backlog`'s rows: the `groups` largest groups (ties by name) and the age bands."""
    per_group: Counter[str | None] = Counter()
    per_band: Counter[int] = Counter()
    for assignee, band, count in rows:
        per_group[assignee or None] += count
        per_band[band] += count
    ranked = sorted(per_group.items(), key=lambda item: (-item[1], item[0] or "\uffff"))
    bands = [AgeBand(label, since, before, per_band[index])
             for index, (label, since, before) in enumerate(age_bounds(now))]  # fmt: skip
    return Backlog(ranked[:groups], sum(count for _, count in ranked[groups:]), bands)


def by_priority(rows: Iterable[tuple[int, str, str, int]]) -> dict[tuple[int, str], int]:
    """(priority, status) -> count, whatever the kind."""
    counts: Counter[tuple[int, str]] = Counter()
    for priority, status, _, count in rows:
        counts[priority, status] += count
    return dict(counts)


def by_kind(rows: Iterable[tuple[int, str, str, int]]) -> dict[str, int]:
    """Each of INCIDENT_KINDS -> count, every kind present (0 when it has none)."""
    counts = dict.fromkeys(INCIDENT_KINDS, 0)
    for _, _, kind, count in rows:
        counts[kind] = counts.get(kind, 0) + count
    return counts


def read(
    session: Session, now: datetime | None = None, period: timedelta = PERIOD, kind: str | None = None
) -> Dashboard:
    """The figures of the `period` up to `now`, of incidents of `kind` only when given.

    Failed notifications are the desk's whatever the kind: they are the mail's health, not the work's, many are
    about no incident (on-call shifts, status updates, confirmations, digests), and the tile leads to the outbox's
    dead letters, all of them; the page says so when a kind is chosen."""
    now = now or utcnow()
    since = now - period
    work = [(int(p), str(status), str(k), int(n)) for p, status, k, n in session.execute(open_work(kind))]
    recent = [Timing(*row) for row in session.execute(began_since(since, kind))]
    noisy = session.execute(noisiest_since(since, kind))
    waiting = backlog(((a, int(b), int(n)) for a, b, n in session.execute(open_backlog(now, kind))), now)
    dead = select(OutboxMessage).where(OutboxMessage.status == "dead")
    failures = session.scalar(select(func.count()).select_from(dead.subquery())) or 0
    latest = session.scalars(dead.order_by(OutboxMessage.updated_at.desc()).limit(5))
    return Dashboard(
        open_counts=by_priority(work),
        open_by_kind=by_kind(work),
        per_hour=hour_buckets((t.first_seen for t in recent), now, period),
        mtta=mean_time(recent, "acknowledged_at"),
        mttr=mean_time(recent, "resolved_at"),
        noisiest=[(str(name), int(total or 0)) for name, total in noisy],
        failures=int(failures),
        recent_failures=[
            Failure(
                ref=f"INC-{row.incident_id}" if row.incident_id else None,
                kind=row.kind,
                recipient=row.recipient,
                error=(row.last_error or "")[:200],
                at=row.updated_at,
            )
            for row in latest
        ],
        kind=kind,
        opened=len(recent),
        acknowledged=sum(1 for t in recent if t.acknowledged_at is not None),
        resolved=sum(1 for t in recent if t.resolved_at is not None),
        backlog=waiting,
    )


@dataclass(frozen=True)
class ApprovalsWaiting:
    """The approvals pending on incidents not yet dealt with, and how long the oldest has waited (None: none)."""

    count: int
    oldest: timedelta | None


def approvals_waiting(session: Session, now: datetime | None = None) -> ApprovalsWaiting:
    """For agents: how many approvals wait and the oldest's wait, in one query over the pending approvals (the
    index on (state, reminded_at, asked_at)); those on resolved or closed incidents wait for nobody."""
    query = (
        select(func.count(), func.min(Approval.asked_at))
        .select_from(Approval)
        .join(Incident, Incident.id == Approval.incident_id)
        .where(Approval.state == "pending", Incident.status.not_in(DONE))
    )
    count, oldest = session.execute(query).one()
    return ApprovalsWaiting(int(count or 0), (now or utcnow()) - oldest if oldest is not None else None)


def duration(value: timedelta | None) -> str:
    """`3 h 05 min`, `12 min`, `40 s`: how people say durations on a dashboard."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"
