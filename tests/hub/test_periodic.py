"""Recurrences on a schedule: which series of incidents keep a period, and how it is said (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.periodic import described, steady_period, still_due

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 23, 2, tzinfo=UTC)
MIDNIGHT = MONDAY.replace(hour=0)


def every(step: timedelta, count: int, start: datetime = MONDAY) -> list[datetime]:
    return [start - n * step for n in range(count)]


def berlin(*walls: tuple[int, int, int, int]) -> list[datetime]:
    """Instants of wall-clock times in Berlin, on either side of a change of the clocks."""
    return [datetime(y, m, d, h, tzinfo=BERLIN).astimezone(UTC) for y, m, d, h in walls]


WEEK, DAY = timedelta(days=7), timedelta(days=1)
JITTER = [timedelta(hours=h) for h in (0, -3, 1, 1, -4, -2)]  # gaps 3 h, 4 h, 0, 5 h, 2 h off a week
MONTH_STARTS = [datetime(2026, month, 1, 2, tzinfo=UTC) for month in (1, 2, 3, 4, 5)]
# Monday 02:00 in Berlin, across the night the clocks went forward (29 March 2026): 01:00 UTC, then 00:00 UTC.
SPRING = berlin((2026, 3, 16, 2), (2026, 3, 23, 2), (2026, 3, 30, 2), (2026, 4, 6, 2))


@pytest.mark.parametrize(
    ("times", "period"),
    [
        pytest.param(every(WEEK, 5), WEEK, id="steady weekly"),
        pytest.param(every(DAY, 6), DAY, id="daily"),
        pytest.param(MONTH_STARTS, timedelta(days=30.5), id="monthly: 28 to 31 days apart"),
        pytest.param([t + j for t, j in zip(every(WEEK, 6), JITTER, strict=True)], WEEK, id="jittered but steady"),
        pytest.param(SPRING, WEEK, id="the clocks change between occurrences"),
        pytest.param([MONDAY - timedelta(days=d) for d in (0, 2, 11, 15, 27)], None, id="irregular"),
        pytest.param([MONDAY - timedelta(days=d, hours=h) for d in (0, 30) for h in (0, 1, 2)], None, id="two bursts"),
        pytest.param(every(timedelta(hours=1), 10), None, id="faster than daily is a flap"),
        pytest.param(every(timedelta(hours=36), 6), None, id="steady but at no time of day, so no schedule"),
        pytest.param(every(WEEK, 2), None, id="too few: one gap agrees with nothing"),
        pytest.param([*every(WEEK, 4), MONDAY - timedelta(days=35)], None, id="a week missing is not steady"),
    ],
)
def test_a_period_is_found_only_when_every_gap_keeps_to_it(times: list[datetime], period: timedelta | None) -> None:
    assert steady_period(times) == period


@pytest.mark.parametrize(
    ("times", "zone", "words"),
    [
        pytest.param(every(WEEK, 5), UTC, "about every 7 days, Mondays around 02:00", id="weekly"),
        pytest.param(every(DAY, 6), UTC, "about every day, around 02:00", id="daily"),
        pytest.param(MONTH_STARTS, UTC, "about every month, on the 1st around 02:00", id="monthly"),
        pytest.param(SPRING, BERLIN, "about every 7 days, Mondays around 02:00", id="the wall clock across DST"),
        pytest.param([t + timedelta(minutes=5 if n % 2 else -5) for n, t in enumerate(every(DAY, 6, MIDNIGHT))],
                     UTC, "about every day, around 00:00", id="either side of midnight"),
        pytest.param([t + timedelta(hours=h) for t, h in zip(every(3 * DAY, 6), (0, 2, -2, 2, -2, 0), strict=True)],
                     UTC, "about every 3 days", id="times of day too far apart to name one"),
    ],
)  # fmt: skip
def test_a_period_is_said_with_what_its_occurrences_share_on_the_readers_clock(
    times: list[datetime], zone: ZoneInfo, words: str
) -> None:
    assert described(steady_period(times) or WEEK, times, zone) == words


def test_the_same_schedule_reads_in_the_readers_own_zone() -> None:
    assert described(WEEK, every(WEEK, 4), ZoneInfo("America/New_York")) == "about every 7 days, Sundays around 21:00"


def test_a_schedule_that_missed_two_turns_has_stopped() -> None:
    assert still_due(WEEK, MONDAY, MONDAY + 2 * WEEK)
    assert not still_due(WEEK, MONDAY, MONDAY + 2 * WEEK + timedelta(hours=1))
