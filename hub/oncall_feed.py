"""The on-call rota as calendar events, for the feed people subscribe to (`/api/v1/oncall.ics`, web/oncall_api.py).

The feed starts a week back, at a regular handover, and runs `days` ahead (one feed spans at most 92 days, so a
rotation of long shifts may stop a little sooner). An event's UID is its group, person and start: a refresh finds
each shift again and updates it (an override that shortens it, the last one cut at the horizon) rather than adding
a copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub import oncall
from hub.errors import Missing
from hub.ical import CalendarEvent
from hub.rotation import MAX_SPAN, Rotation, Shift, handoff_after, shifts

#: How far back the feed starts, and the most it runs ahead (the two within hub.rotation.MAX_SPAN).
BEHIND = timedelta(days=7)
MAX_DAYS = (MAX_SPAN - BEHIND).days


def events(
    session: Session, now: datetime, *, base_url: str, groups: Sequence[str] = (), who: str | None = None,
    days: int = 60,
) -> list[CalendarEvent]:  # fmt: skip
    """The shifts of every rotation (or of `groups`; Missing names one without a rotation), each an event; with
    `who`, only that person's, overrides included."""
    found = oncall.rotations(session, list(groups) if groups else None, now)
    if unknown := [g for g in groups if g not in found]:
        raise Missing(f"group {unknown[0]!r} has no on-call rotation; `switchboard oncall list` shows the rotations")
    person = who.strip().lower() if who else None
    return [
        _event(name, rotation, shift, base_url)
        for name, rotation in sorted(found.items())
        for shift in shifts(rotation, _start(rotation, now), now + timedelta(days=min(days, MAX_DAYS)))
        if person is None or shift.who == person
    ]


def _start(rotation: Rotation, now: datetime) -> datetime:
    """The regular handover at or just before a week ago."""
    return handoff_after(rotation, now - BEHIND - rotation.length)


def _event(group: str, rotation: Rotation, shift: Shift, base_url: str) -> CalendarEvent:
    covering = f" (covering, override {shift.override})" if shift.override is not None else ""
    description = (f"{shift.who} is on call for {group}{covering}. Shifts hand over at "
                   f"{rotation.handoff:%H:%M} {rotation.zone.key}.\n{base_url}/oncall")  # fmt: skip
    key = f"{group}\x00{shift.who}\x00{shift.starts.isoformat()}"
    uid = f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@switchboard"
    return CalendarEvent(uid, shift.starts, shift.ends, f"On call: {group} ({shift.who})", description)
