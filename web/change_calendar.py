"""The change calendar's grid: weeks of days (in the viewer's zone), each with the changes on it and the freeze
windows over it.

Pure: the page loads the changes and freeze windows of the period once and this lays them out, so the layout is
tested without a database.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol


class Planned(Protocol):
    """What the grid reads of a change (a Change row, or any object with these)."""

    @property
    def ref(self) -> str: ...
    @property
    def planned_start(self) -> datetime | None: ...
    @property
    def planned_end(self) -> datetime | None: ...
    @property
    def implemented_at(self) -> datetime | None: ...


class Frozen(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def service(self) -> str | None: ...


@dataclass(frozen=True)
class Day:
    day: date
    in_period: bool  # False for the days of the neighbouring months that fill the first and last week
    changes: tuple[Planned, ...] = ()
    freezes: tuple[str, ...] = field(default=())  # names of the freeze windows over (part of) this day


@dataclass(frozen=True)
class Period:
    """A month or a week, with the links to the one before and after."""

    kind: str  # month|week
    first: date  # first day in the period
    last: date
    title: str
    previous: str  # the `at` parameter of the neighbouring periods
    next: str

    @property
    def grid_start(self) -> date:
        return self.first - timedelta(days=self.first.weekday())

    @property
    def grid_end(self) -> date:
        return self.last + timedelta(days=6 - self.last.weekday())

    def bounds(self, zone: tzinfo = UTC) -> tuple[datetime, datetime]:
        """The instants the grid covers in `zone`, for the query."""
        start = datetime.combine(self.grid_start, time(), zone)
        return start, datetime.combine(self.grid_end + timedelta(days=1), time(), zone)


def period(kind: str, at: date) -> Period:
    """The month or week (Monday first) holding `at`."""
    if kind == "week":
        first = at - timedelta(days=at.weekday())
        last = first + timedelta(days=6)
        title = f"Week of {first:%d %B %Y}"
        return Period("week", first, last, title, (first - timedelta(days=7)).isoformat(),
                      (first + timedelta(days=7)).isoformat())  # fmt: skip
    first = at.replace(day=1)
    last = at.replace(day=calendar.monthrange(at.year, at.month)[1])
    before = (first - timedelta(days=1)).replace(day=1)
    after = last + timedelta(days=1)
    return Period("month", first, last, f"{first:%B %Y}", before.isoformat(), after.isoformat())


def grid(span: Period, changes: Sequence[Planned], freezes: Sequence[Frozen], zone: tzinfo = UTC) -> list[list[Day]]:
    """Weeks (Monday to Sunday) of days from midnight to midnight in `zone`; a change shows on each day its planned
    window touches, or on the day it was carried out when it had no plan (deploys)."""
    weeks: list[list[Day]] = []
    day = span.grid_start
    while day <= span.grid_end:
        start = datetime.combine(day, time(), zone)
        end = datetime.combine(day + timedelta(days=1), time(), zone)  # 23 or 25 hours when the clocks change
        on_day = tuple(c for c in changes if _touches(c, start, end))
        frozen = tuple(f.name + (f" ({f.service})" if f.service else "") for f in freezes
                       if f.starts_at < end and f.ends_at > start)  # fmt: skip
        if day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(Day(day, span.first <= day <= span.last, on_day, frozen))
        day += timedelta(days=1)
    return weeks


def shows_changes(weeks: Sequence[Sequence[Day]]) -> bool:
    """Whether any day of the grid holds a change: a grid with none says so under it, rather than look unfinished."""
    return any(day.changes for week in weeks for day in week)


def _touches(change: Planned, start: datetime, end: datetime) -> bool:
    if change.planned_start is not None:
        finish = change.planned_end or change.planned_start
        return change.planned_start < end and finish >= start
    return change.implemented_at is not None and start <= change.implemented_at < end
