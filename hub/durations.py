"""Durations people type: `90m`, `2h`, `3d`, `1w` (silences, reopen windows, auto-resolve)."""

from __future__ import annotations

import re
from datetime import timedelta

from hub.errors import BadInput

_DURATION = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_duration(text: str) -> timedelta:
    """`90m`, `2h`, `3d`, `1w`."""
    match = _DURATION.match(text.strip())
    if not match:
        raise BadInput(f"{text!r} is not a duration; write a number and a unit: 90m, 2h, 3d or 1w")
    try:
        return int(match.group(1)) * _UNITS[match.group(2)]
    except OverflowError:  # more days than a timedelta holds: no one means that
        raise BadInput(f"{text.strip()!r} is longer than any duration Switchboard keeps; write a shorter one") from None


def describe_duration(span: timedelta) -> str:
    """A span in the largest unit that measures it exactly: `90 d`, `4 h`, `15 min`, `45 s`."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def waited_for(span: timedelta) -> str:
    """How long something has waited, as a reminder or the dashboard says it: `5 hours` under two days (a day and
    a half is not "1 day"), else whole days: `3 days`."""
    hours = max(int(span.total_seconds() // 3600), 0)
    if hours == 0:
        return "under an hour"
    if hours < 48:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{hours // 24} days"


def typed_duration(span: timedelta) -> str:
    """A span as people type it and `parse_duration` reads it back, in the largest unit that measures it exactly:
    `1w`, `3d`, `4h`, `90m` (what a form to change a target starts from)."""
    minutes = int(span.total_seconds() // 60)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
