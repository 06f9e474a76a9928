"""Finding problems nobody filed: incidents that keep coming back (pure, tested on its own).

Two incidents recur together when they share a dedup key from the same integration (the same alert, opened again
after it resolved), or failing that the same service and category (the same kind of trouble, found by people or
by different alerts). A group with `threshold` incidents within `window` that no problem covers yet is a
suggestion; the newest incident gives it its title.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW = timedelta(days=7)


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
    kind: str  # "dedup_key" | "service"
    title: str
    incident_ids: tuple[int, ...]  # newest first
    first_seen: datetime
    last_seen: datetime
    dedup_key: str | None = None
    service: str | None = None
    category: str | None = None

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
) -> list[Suggestion]:
    """Groups of at least `threshold` incidents first seen within `window` before `now`, none yet in a problem;
    the largest groups first."""
    since = now - window
    groups: dict[str, list[Occurrence]] = defaultdict(list)
    kinds: dict[str, str] = {}
    covered: set[str] = set()
    for o in occurrences:
        found = group_key(o)
        if found is None or o.first_seen < since or o.first_seen > now:
            continue
        kind, key = found
        kinds[key] = kind
        if o.problem_id is not None:
            covered.add(key)  # a problem already covers this recurrence: new ones get linked, not suggested
        else:
            groups[key].append(o)
    found_suggestions = []
    for key, members in groups.items():
        if key in covered or len(members) < threshold:
            continue
        members.sort(key=lambda o: (o.first_seen, o.incident_id), reverse=True)
        newest = members[0]
        found_suggestions.append(
            Suggestion(
                key=key,
                kind=kinds[key],
                title=newest.title,
                incident_ids=tuple(o.incident_id for o in members),
                first_seen=members[-1].first_seen,
                last_seen=newest.first_seen,
                dedup_key=newest.dedup_key if kinds[key] == "dedup_key" else None,
                service=newest.service,
                category=newest.category,
            )
        )
    return sorted(found_suggestions, key=lambda s: (-s.count, -s.last_seen.timestamp(), s.key))
