"""Recurrences that keep a schedule: what a nightly batch, a weekly backup or a monthly renewal leaves behind (pure).

A failure on a schedule makes one incident a day, a week or a month, too few for the burst rule ever to notice.
The incidents of a group keep a schedule when every gap between them is within `TOLERANCE` of their median gap,
or `SLACK`, whichever is larger: the slack absorbs a job that runs late, and an hour's jump when the clocks change.
A schedule runs at a time of day, so its incidents also come within `TIME_OF_DAY_SLACK` of one: without that, one
rare alert in 25 that came 3 to 5 times at random in 90 days looked steady, with it one in 170, while 995 weekly
failures in 1,000 that came up to 5 hours late were still found. Faster than `MIN_PERIOD` is a
flapping alert, which the burst rule finds; a schedule whose last incident is more than two periods old has stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

TOLERANCE = 0.15
SLACK = timedelta(hours=6)
TIME_OF_DAY_SLACK = timedelta(hours=4)
MIN_PERIOD = timedelta(hours=18)
#: No two incidents of a schedule come closer: a gap may fall short of the period by its allowance, and the period
#: is at least MIN_PERIOD.
SHORTEST_GAP = min(MIN_PERIOD * (1 - TOLERANCE), MIN_PERIOD - SLACK)
#: Occurrences this close to their typical time of day are "around" it.
_SAME_TIME = 60
_DAY_MINUTES = 24 * 60
_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def steady_period(times: Sequence[datetime]) -> timedelta | None:
    """The median gap between incidents seen at `times` when every gap keeps to it, else None (too few to tell,
    too fast, or irregular)."""
    ordered = sorted(times)
    gaps = sorted(later - earlier for earlier, later in pairwise(ordered))
    if len(gaps) < 2:
        return None
    middle = len(gaps) // 2
    period = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
    if period < MIN_PERIOD:
        return None
    allowed = max(period * TOLERANCE, SLACK)
    if not all(abs(gap - period) <= allowed for gap in gaps):
        return None
    return period if _near(typical_time(ordered), ordered, TIME_OF_DAY_SLACK // timedelta(minutes=1)) else None


def most_within(span: timedelta) -> int:
    """The most incidents a schedule can leave within `span`: a group with more is not one (hub/recurrence_scan.py
    leaves it unread)."""
    return span // SHORTEST_GAP + 1


def still_due(period: timedelta, last: datetime, now: datetime) -> bool:
    """Whether a schedule is still running: at most one of its incidents has failed to come since the last."""
    return now - last <= 2 * period


def described(period: timedelta, times: Sequence[datetime], zone: ZoneInfo) -> str:
    """The period in the words people use, with what every occurrence shares on `zone`'s wall clock: the weekday
    of a weekly one, the day of a monthly one, the time of day: "about every 7 days, Mondays around 02:00"."""
    days = round(period / timedelta(days=1))
    local = [moment.astimezone(zone) for moment in times]
    typical = typical_time(local)
    monthly = 27 <= days <= 32
    words = ["about every day" if days == 1 else "about every month" if monthly else f"about every {days} days"]
    when = []
    if days % 7 == 0 and all(t.weekday() == typical.weekday() for t in local):
        when.append(_WEEKDAYS[typical.weekday()])
    if monthly and all(t.day == typical.day for t in local):
        when.append(f"on the {_ordinal(typical.day)}")
    if _near(typical, local, _SAME_TIME):
        rounded = round(_minute(typical) / 15) * 15 % _DAY_MINUTES  # "around" means a quarter of an hour
        when.append(f"around {rounded // 60:02d}:{rounded % 60:02d}")
    return ", ".join([*words, " ".join(when)] if when else words)


def typical_time(moments: Sequence[datetime]) -> datetime:
    """The moment whose time of day is closest to all the others' (across midnight), on their own clocks."""
    return min(moments, key=lambda t: sum(_apart(_minute(t), _minute(other)) for other in moments))


def _near(typical: datetime, moments: Sequence[datetime], minutes: int) -> bool:
    return all(_apart(_minute(t), _minute(typical)) <= minutes for t in moments)


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _apart(a: int, b: int) -> int:
    """Minutes between two times of day, across midnight: 23:50 and 00:10 are 20 minutes apart."""
    distance = abs(a - b) % _DAY_MINUTES
    return min(distance, _DAY_MINUTES - distance)


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
