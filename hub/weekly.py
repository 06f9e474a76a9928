"""Weekly windows for recurring silences: "sun 02:00-04:00", "mon-fri 22:00-06:00" in a time zone (pure).

A window may cross midnight (22:00-06:00 belongs to the day it starts); times are wall-clock times in the zone,
so a Sunday 02:00-04:00 maintenance stays at 02:00 local across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hub.errors import BadInput
from hub.zones import zone_of

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ALIASES = {"daily": "mon-sun", "weekdays": "mon-fri", "weekends": "sat-sun"}


@dataclass(frozen=True)
class WeeklyWindow:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    tz: str = "UTC"

    def holds(self, now: datetime) -> bool:
        """Whether `now` (aware) falls inside one of the window's occurrences."""
        local = now.astimezone(ZoneInfo(self.tz))
        clock = local.time().replace(tzinfo=None)
        today, yesterday = local.weekday(), (local.weekday() - 1) % 7
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        # Crosses midnight: the evening part today, or the morning part of a window that began yesterday.
        return (today in self.days and clock >= self.start) or (yesterday in self.days and clock < self.end)

    def text(self) -> str:
        return f"{_days_text(self.days)} {self.start:%H:%M}-{self.end:%H:%M} {self.tz}"

    def as_json(self) -> dict[str, object]:
        return {"days": sorted(self.days), "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}", "tz": self.tz}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> WeeklyWindow:
        days = data.get("days")
        return cls(frozenset(int(d) for d in days) if isinstance(days, list) else frozenset(),
                   time.fromisoformat(str(data["start"])), time.fromisoformat(str(data["end"])),
                   str(data.get("tz", "UTC")))  # fmt: skip


def parse_window(text: str, tz: str = "UTC") -> WeeklyWindow:
    """`sun 02:00-04:00`, `mon,wed,fri 12:00-13:00`, `mon-fri 22:00-06:00`, `daily 03:00-03:30`."""
    days_text, _, hours = text.strip().lower().partition(" ")
    start_text, dash, end_text = hours.strip().partition("-")
    if not dash:
        raise BadInput(f"{text!r} is not a weekly window; write it like 'sun 02:00-04:00' or 'mon-fri 22:00-06:00'")
    try:
        start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    except ValueError:
        raise BadInput(f"{hours.strip()!r} is not a time range; write it like 02:00-04:00") from None
    if start == end:
        raise BadInput("a weekly window must not start and end at the same time")
    try:
        zone_of(tz)
    except BadInput:
        raise BadInput(f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or UTC") from None
    return WeeklyWindow(_parse_days(days_text), start, end, tz)


def next_start(window: WeeklyWindow, after: datetime) -> datetime | None:
    """When the window next opens after `after` (within two weeks), for people reading the silences list."""
    zone = ZoneInfo(window.tz)
    local = after.astimezone(zone)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if day.weekday() in window.days:
            opens = datetime.combine(day, window.start, zone)
            if opens > after:
                return opens
    return None


def _parse_days(text: str) -> frozenset[int]:
    text = _ALIASES.get(text, text)
    days: set[int] = set()
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if first not in DAYS or (dash and last not in DAYS):
            raise BadInput(f"{part!r} is not a day or a range of days; use mon..sun, e.g. mon-fri or sat,sun")
        a, b = DAYS.index(first), DAYS.index(last) if dash else DAYS.index(first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def _days_text(days: frozenset[int]) -> str:
    if days == frozenset(range(7)):
        return "daily"
    return ",".join(DAYS[d] for d in sorted(days))
