"""Weekly windows for recurring silences (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import BadInput
from hub.weekly import WeeklyWindow, next_start, parse_window
from tests.fuzzing import fuzz

# 2026-11-29 is a Sunday.
SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def test_a_sunday_window_holds_on_sunday_between_its_times_only() -> None:
    window = parse_window("sun 02:00-04:00")
    assert window.holds(SUNDAY.replace(hour=2)) and window.holds(SUNDAY.replace(hour=3, minute=59))
    assert not window.holds(SUNDAY.replace(hour=4)) and not window.holds(SUNDAY.replace(hour=1, minute=59))
    assert not window.holds(SUNDAY.replace(hour=3) + timedelta(days=1))


def test_a_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    window = parse_window("fri 22:00-06:00")
    friday, saturday = SUNDAY - timedelta(days=2), SUNDAY - timedelta(days=1)
    assert window.holds(friday.replace(hour=23)) and window.holds(saturday.replace(hour=5))
    assert not window.holds(saturday.replace(hour=23)) and not window.holds(friday.replace(hour=5))


def test_the_window_keeps_local_wall_clock_time_across_daylight_saving() -> None:
    window = parse_window("sun 02:00-04:00", "Europe/Berlin")
    summer = datetime(2026, 7, 5, 0, 30, tzinfo=UTC)  # 02:30 in Berlin (UTC+2)
    winter = datetime(2026, 12, 6, 1, 30, tzinfo=UTC)  # 02:30 in Berlin (UTC+1)
    assert window.holds(summer) and window.holds(winter)
    assert not window.holds(datetime(2026, 12, 6, 0, 30, tzinfo=UTC))  # 01:30 in Berlin


@pytest.mark.parametrize(("text", "days"), [("mon-fri", {0, 1, 2, 3, 4}), ("sat,sun", {5, 6}), ("daily", set(range(7))),
                                            ("fri-mon", {4, 5, 6, 0}), ("weekdays", {0, 1, 2, 3, 4})])  # fmt: skip
def test_days_are_lists_ranges_and_names(text: str, days: set[int]) -> None:
    assert parse_window(f"{text} 01:00-02:00").days == frozenset(days)


@pytest.mark.parametrize(
    ("text", "message"),
    [("sunday 02:00-04:00", "not a day"), ("sun 02:00", "not a weekly window"), ("sun 2-4", "not a time range"),
     ("sun 02:00-02:00", "same time")],
)  # fmt: skip
def test_bad_windows_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_window(text)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America"])
def test_an_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(BadInput, match="unknown time zone"):
        parse_window("sun 02:00-04:00", zone)


def test_json_round_trip_and_text() -> None:
    window = parse_window("mon,wed 22:30-01:00", "Europe/Berlin")
    assert WeeklyWindow.from_json(window.as_json()) == window
    assert window.text() == "mon,wed 22:30-01:00 Europe/Berlin"


def test_next_start_is_the_next_opening_after_now() -> None:
    window = parse_window("sun 02:00-04:00")
    assert next_start(window, SUNDAY.replace(hour=3)) == SUNDAY.replace(hour=2) + timedelta(days=7)
    assert next_start(window, SUNDAY - timedelta(hours=1)) == SUNDAY.replace(hour=2)


@fuzz(100)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)))
def test_a_daily_all_but_a_minute_window_holds_except_in_that_minute(now: datetime) -> None:
    window = parse_window("daily 00:01-00:00")  # crosses midnight: everything but 00:00-00:01
    assert window.holds(now) == (not (now.hour == 0 and now.minute == 0))
