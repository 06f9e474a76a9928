"""iCalendar (RFC 5545) text for calendar feeds: the on-call rota that people subscribe to from their calendar.

Pure: events in, text out. Only what a published, read-only feed needs (VEVENTs with UTC times), written by hand:
the rules that matter are CRLF line ends, TEXT escaping, and folding lines longer than 75 octets without
splitting a UTF-8 character.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

MEDIA_TYPE = "text/calendar; charset=utf-8"
_FOLD_AT = 75  # octets per line, CRLF not counted


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable across refreshes, so a calendar updates the event instead of adding another
    starts: datetime  # aware
    ends: datetime
    summary: str
    description: str = ""


def calendar(name: str, events: Iterable[CalendarEvent], *, now: datetime, product: str = "Switchboard") -> str:
    """The VCALENDAR holding `events`, named `name` in calendar apps; `now` stamps each event."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:-//{_text(product)}//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_text(name)}"]  # fmt: skip
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_text(event.uid)}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(event.starts)}",
            f"DTEND:{_utc(event.ends)}",
            f"SUMMARY:{_text(event.summary)}",
            *([f"DESCRIPTION:{_text(event.description)}"] if event.description else []),
            "TRANSP:TRANSPARENT",  # being on call does not make anyone busy for meetings
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(f"{_fold(line)}\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n, other control characters dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(c for c in value if c >= " " or c == "\t")


def _fold(line: str) -> str:
    """Lines over 75 octets continued on the next line after CRLF and a space, cut between characters."""
    if len(line.encode()) <= _FOLD_AT:
        return line
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = _FOLD_AT
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, _FOLD_AT - 1  # continuation lines start with the space
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)
