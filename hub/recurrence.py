"""Finding problems nobody filed: incidents that keep coming back (pure, tested on its own).

Two incidents recur together when they share a dedup key from the same integration (the same alert, opened again
after it resolved), or failing that the same service and category (the same kind of trouble, found by people or
by different alerts). A group with `threshold` incidents within `window` that no problem covers yet is a
suggestion (a burst); failing that, one with as many within the longer `lookback` whose gaps keep a schedule
(hub/periodic.py: the weekly backup that fails every Monday night) is one too (periodic). The newest incident gives
it its title.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.periodic import steady_period, still_due

DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW = timedelta(days=7)
DEFAULT_LOOKBACK = timedelta(days=90)
#: Two gaps are the fewest that can agree on a period.
FEWEST_PERIODIC = 3


@dataclass(frozen=True)
class Occurrence:
    """The facts about one incident that recurrence looks at."""

    incident_id: int
    title: str
    first_seen: datetime
    dedup_key: str | None = None
    integration_id: int | None = None
    service: str | None = None
    category: str | None = None
    problem_id: int | None = None


@dataclass(frozen=True)
class Suggestion:
    key: str  # stable: the same group gives the same key, so "create problem" can name it
    kind: str  # how the group was found: "dedup_key" | "service"
    title: str
    incident_ids: tuple[int, ...]  # newest first
    first_seen: datetime
    last_seen: datetime
    dedup_key: str | None = None
    service: str | None = None
    category: str | None = None
    pattern: str = "burst"  # "burst" (many lately) | "periodic" (on a schedule, `period` apart)
    period: timedelta | None = None
    seen: tuple[datetime, ...] = ()  # when each incident was first seen, in the order of `incident_ids`

    @property
    def count(self) -> int:
        return len(self.incident_ids)


def group_key(o: Occurrence) -> tuple[str, str] | None:
    """The group an incident recurs in: its dedup key first, else its service and category, else none."""
    if o.dedup_key:
        return "dedup_key", f"key:{o.integration_id or 0}:{o.dedup_key}"
    if o.service and o.category:
        return "service", f"service:{o.service}:{o.category}"
    return None


def suggest(
    occurrences: Iterable[Occurrence],
    now: datetime,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    window: timedelta = DEFAULT_WINDOW,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[Suggestion]:
    """Groups of at least `threshold` incidents first seen within `window` before `now` (bursts), else within
    `lookback` on a steady schedule still running (periodic), none of those incidents yet in a problem; bursts
    first, then the largest groups."""
    since, periodic_since = now - window, now - max(window, lookback)
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    kinds: dict[str, str] = {}
    linked: dict[str, datetime] = {}  # the newest incident a problem explains, per group
    for o in occurrences:
        found = group_key(o)
        if found is None or o.first_seen < periodic_since or o.first_seen > now:
            continue
        kind, key = found
        kinds[key] = kind
        if o.problem_id is not None:
            linked[key] = max(o.first_seen, linked.get(key, o.first_seen))
        else:
            groups[key].append(o)
    found_suggestions = []
    for key, members in groups.items():
        members.sort(key=lambda o: (o.first_seen, o.incident_id), reverse=True)
        recent = [o for o in members if o.first_seen >= since]
        # a problem already covers a recurrence one of its incidents joined: new ones get linked, not suggested
        if len(recent) >= threshold and (key not in linked or linked[key] < since):
            found_suggestions.append(_suggestion(key, kinds[key], recent))
        elif len(members) >= max(threshold, FEWEST_PERIODIC) and key not in linked:
            period = steady_period([o.first_seen for o in members])
            if period is not None and still_due(period, members[0].first_seen, now):
                found_suggestions.append(_suggestion(key, kinds[key], members, period))
    return sorted(found_suggestions,
                  key=lambda s: (s.pattern != "burst", -s.count, -s.last_seen.timestamp(), s.key))  # fmt: skip


def _suggestion(key: str, kind: str, members: list[Occurrence], period: timedelta | None = None) -> Suggestion:
    """A group's suggestion, from its incidents newest first."""
    newest = members[0]
    return Suggestion(
        key=key,
        kind=kind,
        title=newest.title,
        incident_ids=tuple(o.incident_id for o in members),
        first_seen=members[-1].first_seen,
        last_seen=newest.first_seen,
        dedup_key=newest.dedup_key if kind == "dedup_key" else None,
        service=newest.service,
        category=newest.category,
        pattern="burst" if period is None else "periodic",
        period=period,
        seen=tuple(o.first_seen for o in members),
    )
