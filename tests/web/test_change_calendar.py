"""The change calendar's grid, laid out without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from web.change_calendar import grid, period, shows_changes


@dataclass
class Row:
    ref: str
    planned_start: datetime | None
    planned_end: datetime | None = None
    implemented_at: datetime | None = None
    title: str = "x"
    state: str = "scheduled"
    service: str | None = None


@dataclass
class Window:
    name: str
    starts_at: datetime
    ends_at: datetime
    service: str | None = None


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_a_month_is_whole_weeks_from_monday_with_the_neighbours_marked_outside() -> None:
    weeks = grid(period("month", date(2026, 3, 15)), [], [])
    assert weeks[0][0].day == date(2026, 2, 23) and not weeks[0][0].in_period
    assert weeks[-1][-1].day == date(2026, 4, 5) and all(len(w) == 7 for w in weeks)


def test_a_week_starts_on_monday_and_links_to_its_neighbours() -> None:
    span = period("week", date(2026, 3, 5))
    assert (span.first, span.previous, span.next) == (date(2026, 3, 2), "2026-02-23", "2026-03-09")
    assert len(grid(span, [], [])) == 1


def test_a_change_shows_on_every_day_its_plan_touches() -> None:
    weeks = grid(period("week", date(2026, 3, 2)), [Row("CHG-1", at(3, 22), at(4, 2))], [])
    assert [d.day.day for d in weeks[0] if d.changes] == [3, 4]


def test_a_deploy_without_a_plan_shows_on_the_day_it_was_carried_out() -> None:
    weeks = grid(period("week", date(2026, 3, 2)), [Row("CHG-1", None, implemented_at=at(6))], [])
    assert [d.day.day for d in weeks[0] if d.changes] == [6]


def test_freeze_days_carry_the_windows_names() -> None:
    freeze = Window("launch", at(4, 18), at(5, 6), service="mail")
    weeks = grid(period("week", date(2026, 3, 2)), [], [freeze])
    assert {d.day.day: d.freezes for d in weeks[0] if d.freezes} == {4: ("launch (mail)",), 5: ("launch (mail)",)}


def test_days_run_from_midnight_to_midnight_in_the_zone_given() -> None:
    late = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # 00:30 on the 4th in Berlin
    weeks = grid(period("week", date(2026, 3, 2)), [Row("CHG-1", late)], [], ZoneInfo("Europe/Berlin"))
    assert [d.day.day for d in weeks[0] if d.changes] == [4]


def test_a_grid_shows_changes_only_when_a_day_holds_one() -> None:
    span = period("month", date(2026, 3, 15))
    assert not shows_changes(grid(span, [], [Window("launch", at(4), at(5))]))
    assert shows_changes(grid(span, [Row("CHG-1", at(31))], []))
