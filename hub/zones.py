"""Time zones people read and type times in: pure functions over IANA zones, no clock and no I/O.

Times are stored as UTC instants; people see and type wall-clock times in a zone: their own choice on /account,
else the installation's `SWITCHBOARD_TIMEZONE`. Going from a wall-clock time to an instant is where the clocks'
changes bite: a time the spring-forward gap skips names no instant and is refused, and a time the fall-back hour
repeats names two, of which the first is taken (its abbreviation, CEST rather than CET, is shown back).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from hub.errors import BadInput

DEFAULT = "UTC"


class NoSuchTime(BadInput):
    """A wall-clock time the zone skips when its clocks go forward."""


@cache
def zone_of(name: str) -> ZoneInfo:
    """The zone an IANA name stands for; BadInput naming it, with an example, for anything else."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of the database (`America`), or a
        # name too long for a file name: zoneinfo opens the file the name spells before it knows it is none
        raise BadInput(f"{name!r} is not an IANA time zone; write one like Europe/Berlin or America/New_York") from None


@cache
def names() -> tuple[str, ...]:
    """Every zone people may choose, sorted: what the system's (or the tzdata package's) database holds."""
    return tuple(sorted(available_timezones()))


def zone_for(choice: str | None, default: str) -> ZoneInfo:
    """The zone someone reads times in: their own choice, else the installation's default. A choice the zone
    database no longer knows (a system upgrade renamed it) falls back to the default rather than failing pages."""
    if choice:
        try:
            return zone_of(choice)
        except BadInput:
            pass
    return zone_of(default)


def to_local(moment: datetime, zone: tzinfo) -> datetime:
    """An instant (aware) as the wall clock in `zone` shows it."""
    return moment.astimezone(zone)


def from_local(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a naive wall-clock time in `zone` names: the first of two in the repeated hour when the
    clocks go back; NoSuchTime for a time skipped when they go forward."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise NoSuchTime(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks go forward then; give a time after the"
            " change"
        )
    return first


def wall_clock(moment: datetime, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """An instant as people read it at a glance, with the zone's abbreviation: `2026-11-27 10:14 CET` (with
    `seconds`, `2026-11-27 10:14:05 CET`)."""
    return to_local(moment, zone).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def with_offset(moment: datetime, zone: ZoneInfo) -> str:
    """An instant as ISO 8601 in `zone`'s wall clock with its UTC offset, `2026-11-27T10:14:00+01:00`: what a
    spreadsheet shows as the local time and a program still reads as the exact instant (to the second)."""
    return to_local(moment, zone).isoformat(timespec="seconds")
