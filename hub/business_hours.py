"""Business-time arithmetic for SLA clocks: pure functions over a Calendar, no I/O and no clock of its own.

Business hours are local wall times in the calendar's IANA zone, so a 09:00-17:00 day is eight hours on either side
of a DST change, while a 24x7 calendar is exactly wall-clock (elapsed) time. Everything is computed as half-open
UTC intervals [start, end) of open time, minus holidays and paused intervals; due times fall out by walking them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import groupby, pairwise
from typing import Any
from zoneinfo import ZoneInfo

from hub.errors import BadInput
from hub.zones import zone_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 24 * 60
#: How far ahead a due time is looked for before the calendar is declared unable to reach it.
HORIZON = timedelta(days=3 * 366)

Minutes = tuple[int, int]  # a range of minutes since local midnight, [start, end), end at most 24:00
Interval = tuple[datetime, datetime]  # aware datetimes, start < end


@dataclass(frozen=True)
class Calendar:
    """When the clock runs: weekly hours in a time zone, minus holidays.

    `weekly[0]` is Monday's ranges. Holidays come from the `holidays` package for `country` (and `subdivision`)
    and from `extra_holidays`; on a holiday the clock does not run at all.
    """

    tz: str = "UTC"
    weekly: tuple[tuple[Minutes, ...], ...] = (((0, DAY),),) * 7
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone_of(self.tz)
        if len(self.weekly) != 7:
            raise BadInput("weekly hours need seven days, Monday first")
        if not any(self.weekly):
            raise BadInput("a calendar needs some business hours, e.g. 'mon-fri 09:00-17:00'")
        for ranges in self.weekly:
            for start, end in ranges:
                if not 0 <= start < end <= DAY:
                    raise BadInput(f"{_hhmm(start)}-{_hhmm(end)} is not a range within one day")
        if self.country is not None:
            country_holidays(self.country, self.subdivision)

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.tz)

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        return self.country is not None and day in country_holidays(self.country, self.subdivision)

    def open_intervals(self, since: datetime) -> Iterator[Interval]:
        """Business intervals in UTC, in order, clipped to start no earlier than `since`; ends at HORIZON."""
        zone = self.zone
        day = since.astimezone(zone).date() - timedelta(days=1)  # a range may end after `since` on the day before
        last = (since + HORIZON).astimezone(zone).date()
        while day <= last:
            if not self.is_holiday(day):
                for start, end in self.weekly[day.weekday()]:
                    a, b = _instant(day, start, zone), _instant(day, end, zone)
                    if b > since and b > a:
                        yield max(a, since), b
            day += timedelta(days=1)


@cache
def country_holidays(country: str, subdivision: str | None = None) -> Any:
    """The `holidays` package's calendar for a country (ISO code, e.g. DE) and optional subdivision (e.g. BY)."""
    # Imported here, by the calendars that name a country: the package took 16 ms of every process's start.
    import holidays as holiday_data

    try:
        return holiday_data.country_holidays(country.upper(), subdiv=subdivision)
    except NotImplementedError:
        raise BadInput(f"the holidays package knows no country {country!r}; use an ISO code such as DE or US") from None
    except Exception as exc:  # an unknown subdivision raises a plain NotImplementedError or ValueError by version
        raise BadInput(f"holidays for {country!r}/{subdivision!r}: {exc}") from None


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """Local wall time `minutes` after midnight of `day` as UTC (24:00 is the next midnight).

    A wall time skipped by a DST change (02:30 on a spring-forward night) maps to the instant an hour later,
    zoneinfo's fold=0 reading; only ranges that start or end inside the gap ever notice.
    """
    if minutes == DAY:
        day, minutes = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


#: Round the clock in UTC: business time is elapsed time.
ALWAYS = Calendar()


def _merged(pauses: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(p for p in pauses if p[1] > p[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _running(calendar: Calendar, since: datetime, pauses: Sequence[Interval]) -> Iterator[Interval]:
    """The intervals in which the clock runs: business hours outside every pause."""
    merged = _merged(pauses)
    for a, b in calendar.open_intervals(since):
        for pa, pb in merged:
            if pb <= a or pa >= b:
                continue
            if pa > a:
                yield a, pa
            a = max(a, pb)
            if a >= b:
                break
        if a < b:
            yield a, b


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    return value.astimezone(UTC)


def add_business_time(
    calendar: Calendar, start: datetime, duration: timedelta, pauses: Sequence[Interval] = ()
) -> datetime:
    """The instant at which `duration` of business time has run since `start`, the clock stopped during `pauses`.

    A zero duration is due at `start` itself. Raises BadInput when the calendar cannot supply that much time
    within HORIZON (e.g. every day a holiday).
    """
    start = _aware(start)
    if duration < timedelta(0):
        raise ValueError("a negative duration")
    if duration == timedelta(0):
        return start
    left = duration
    for a, b in _running(calendar, start, [(_aware(p), _aware(q)) for p, q in pauses]):
        if b - a >= left:
            return a + left
        left -= b - a
    raise BadInput(f"the calendar has not {duration} of business time within {HORIZON.days} days")


def business_time_between(calendar: Calendar, a: datetime, b: datetime, pauses: Sequence[Interval] = ()) -> timedelta:
    """How much business time runs from `a` to `b` (zero when b is not after a), the clock stopped in `pauses`."""
    a, b = _aware(a), _aware(b)
    total = timedelta(0)
    if b <= a:
        return total
    for start, end in _running(calendar, a, [(_aware(p), _aware(q)) for p, q in pauses]):
        if start >= b:
            break
        total += min(end, b) - start
    return total


def shift_for_pause(calendar: Calendar, instant: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
    """Where `instant` moves once the clock stood still from `paused_at` to `resumed_at`.

    An instant at or before the pause began had already passed and stays; a later one keeps the business time
    it was away from the pause, counted again from the resumption. Never earlier than it was.
    """
    if instant <= paused_at:
        return instant
    left = business_time_between(calendar, paused_at, instant)
    return max(instant, add_business_time(calendar, max(resumed_at, paused_at), left))


# -- what people type ------------------------------------------------------------------------------------------

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_hours(text: str) -> tuple[tuple[Minutes, ...], ...]:
    """Weekly hours from `mon-fri 09:00-17:00; sat 10:00-14:00` (several ranges: `09:00-12:00,13:00-17:00`).

    `24x7` means always. Days not named are closed.
    """
    text = text.strip().lower()
    if text in ("24x7", "24/7", "always"):
        return (((0, DAY),),) * 7
    week: list[list[Minutes]] = [[] for _ in WEEKDAYS]
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days_text, _, ranges_text = part.partition(" ")
        days = _days(days_text, part)
        ranges = [_range(r.strip(), part) for r in ranges_text.split(",") if r.strip()]
        if not ranges:
            raise BadInput(f"{part!r} names days but no hours; write e.g. 'mon-fri 09:00-17:00'")
        for day in days:
            week[day] = sorted([*week[day], *ranges])
    for day, ranges in enumerate(week):
        for (_, end), (start, _) in pairwise(ranges):
            if start < end:
                raise BadInput(f"the hours of {WEEKDAYS[day]} overlap; give each time once")
    return tuple(tuple(r) for r in week)


def _days(text: str, part: str) -> list[int]:
    days: list[int] = []
    for piece in text.split(","):
        first, dash, last = piece.partition("-")
        if first not in WEEKDAYS or (dash and last not in WEEKDAYS):
            raise BadInput(f"{part!r}: days are mon, tue, wed, thu, fri, sat, sun, or a span like mon-fri")
        a, b = WEEKDAYS.index(first), WEEKDAYS.index(last if dash else first)
        days += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return days


def _range(text: str, part: str) -> Minutes:
    match = _RANGE.match(text)
    if not match:
        raise BadInput(f"{part!r}: hours are written 09:00-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or not 0 <= start < end <= DAY:
        raise BadInput(f"{part!r}: {text} is not a range within one day (00:00-24:00)")
    return start, end


def format_hours(weekly: Sequence[Sequence[Minutes]]) -> str:
    """The inverse of parse_hours, as a person writes it: consecutive days with the same hours as one span
    (`mon-fri 09:00-17:00; sat 10:00-14:00`), `24x7` when always open."""
    if all(list(day) == [(0, DAY)] for day in weekly):
        return "24x7"
    parts = []
    for hours, days in groupby(enumerate(weekly), key=lambda day: list(day[1])):
        numbers = [number for number, _ in days]
        if hours:
            span = WEEKDAYS[numbers[0]] + (f"-{WEEKDAYS[numbers[-1]]}" if len(numbers) > 1 else "")
            parts.append(f"{span} " + ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in hours))
    return "; ".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekly_json(weekly: Sequence[Sequence[Minutes]]) -> dict[str, list[list[str]]]:
    """Weekly hours as stored: {"mon": [["09:00", "17:00"]], ...}."""
    return {WEEKDAYS[i]: [[_hhmm(a), _hhmm(b)] for a, b in ranges] for i, ranges in enumerate(weekly)}


def weekly_from_json(data: dict[str, list[list[str]]]) -> tuple[tuple[Minutes, ...], ...]:
    return tuple(tuple(_range(f"{a}-{b}", f"{day} {a}-{b}") for a, b in data.get(day, [])) for day in WEEKDAYS)


#: The longest all-day event read as closed days: a closure of a year is the most a desk plans; 0001-9999 was
#: three million days added one by one.
MAX_CLOSURE_DAYS = 366
_ICAL_DATE = re.compile(r"[0-9]{8}")


def holidays_from_ical(text: str) -> frozenset[date]:
    """The days of all-day events (`DTSTART;VALUE=DATE:20261224`, DTEND exclusive) in an iCalendar file.

    Deliberately tiny: holiday calendars exported by Outlook, Google or a government site are lists of all-day
    VEVENTs; timed events and recurrence rules are not holidays and are ignored. BadInput names the line of a date
    no calendar has (20260230) or of an event longer than MAX_CLOSURE_DAYS.
    """
    days: set[date] = set()
    start: date | None = None
    end: date | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        name, _, value = line.partition(":")
        key = name.split(";")[0].upper()
        if line.upper() == "BEGIN:VEVENT":
            start = end = None
        elif key in ("DTSTART", "DTEND") and "VALUE=DATE" in name.upper() and _ICAL_DATE.fullmatch(value):
            try:
                parsed = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            except ValueError:
                raise BadInput(f"line {number}: {value} is no date (YYYYMMDD); fix or remove that event") from None
            start, end = (parsed, end) if key == "DTSTART" else (start, parsed)
        elif line.upper() == "END:VEVENT" and start is not None:
            last = end - timedelta(days=1) if end is not None and end > start else start
            if (last - start).days >= MAX_CLOSURE_DAYS:
                raise BadInput(f"line {number}: an all-day event of {(last - start).days + 1:,} days is no closure; "
                               f"closed days are events of at most {MAX_CLOSURE_DAYS}")  # fmt: skip
            days.update(start + timedelta(days=n) for n in range((last - start).days + 1))  # 9999-12-31 has no next
    return frozenset(days)
