"""Time spent working incidents: logged by the people who spent it, added up per incident, person, category and
service. Service desks are staffed by the hour; what the hours went on is how a desk argues for people, finds the
categories that eat its week, and bills the departments it serves.

Parsing and describing are pure; `record`, `change` and `remove` run in the caller's transaction and keep
`incidents.minutes_spent` in step with the entries, so lists and exports read one column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.orm import Session

from hub.agent_action import NoSuchPart, NotTheirs
from hub.errors import BadInput
from hub.kind_filter import of_kind
from hub.models import Incident, TimeEntry, utcnow

#: One entry covers at most a working day and a half: more is a typo ("90h" for "90m"), or a shift's work that
#: belongs in several entries.
MOST_MINUTES = 12 * 60
WHAT_WIDTH = 500

_HOURS_MINUTES = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?$")
_CLOCK = re.compile(r"^(\d+):([0-5]\d)$")

By = Literal["who", "category", "service"]
BY: tuple[By, ...] = ("who", "category", "service")


def parse_spent(text: str) -> int:
    """Minutes from what people type: `25` or `25m` (minutes), `1h`, `1.5h`, `1h 30m`, `1:30`."""
    raw = text.strip().lower()
    minutes: float | None = None
    if raw.isdigit():
        minutes = int(raw)
    elif clock := _CLOCK.match(raw):
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    elif raw and (parts := _HOURS_MINUTES.match(raw)) and (parts.group(1) or parts.group(2)):
        minutes = float(parts.group(1) or 0) * 60 + int(parts.group(2) or 0)
    if minutes is None:
        raise BadInput(f"{text.strip()!r} is not a time spent; write minutes (25), hours (1.5h), or both (1h 30m)")
    whole = round(minutes)
    if not 1 <= whole <= MOST_MINUTES:
        raise BadInput(
            f"time spent is logged from 1 minute to {MOST_MINUTES // 60} hours at a time, not {text.strip()}"
        )
    return whole


def describe(minutes: int) -> str:
    """`45 min`, `2 h`, `1 h 30 min`."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


@dataclass(frozen=True)
class Spent:
    """Time someone logs with a note, a reply, or by itself."""

    minutes: int
    what: str | None = None

    def __post_init__(self) -> None:
        _check_minutes(self.minutes)
        if self.what is not None:
            _check_what(self.what)


@dataclass(frozen=True)
class Correction:
    """What to correct on a time entry: its minutes, what the time went on, or both. A field left None stays as it
    was; an empty `what` clears it."""

    minutes: int | None = None
    what: str | None = None

    def __post_init__(self) -> None:
        if self.minutes is None and self.what is None:
            raise BadInput("say what to correct: the time, what it went on, or both")
        if self.minutes is not None:
            _check_minutes(self.minutes)
        if self.what is not None:
            _check_what(self.what)

    def of(self, entry: TimeEntry) -> Spent:
        """The entry as it reads corrected."""
        what = entry.what if self.what is None else self.what.strip() or None
        return Spent(entry.minutes if self.minutes is None else self.minutes, what)


def _check_minutes(minutes: int) -> None:
    if not 1 <= minutes <= MOST_MINUTES:
        raise BadInput(f"time spent is logged from 1 minute to {MOST_MINUTES // 60} hours at a time")


def _check_what(what: str) -> None:
    if len(what) > WHAT_WIDTH:
        raise BadInput(f"say what the time went on in under {WHAT_WIDTH} characters")


@dataclass(frozen=True)
class Changed:
    """A corrected entry: whose it is, and what it said before and says now."""

    entry_id: int
    who: str
    before: Spent
    after: Spent


def record(conn: Connection, incident_id: int, who: str, spent: Spent) -> dict[str, Any]:
    """Store an entry and add it to the incident's total; returns the timeline entry's data to go with it. On a
    Connection, as a note or a reply writes (hub/incident_notes.py), whether the page or the intake wrote it."""
    entry_id = conn.execute(
        insert(TimeEntry)
        .values(incident_id=incident_id, who=who, minutes=spent.minutes, what=spent.what, at=utcnow())
        .returning(TimeEntry.id)
    ).scalar_one()
    _add(conn, incident_id, spent.minutes)
    return {"by": who, "minutes": spent.minutes, "what": spent.what, "time_entry": entry_id}


def change(
    session: Session, incident_id: int, entry_id: int, who: str, correction: Correction, *, anyones: bool
) -> Changed:
    """Correct an entry typed wrong (3 for 30): one's own, or anyone's for `anyones` (an admin). The incident's total
    moves by the difference; the entry keeps when it was logged, so reports count it in the same week."""
    row = _owned(session, incident_id, entry_id, who, anyones=anyones, doing="correct it")
    before = Spent(row.minutes, row.what)
    after = correction.of(row)
    if after != before:
        session.execute(
            update(TimeEntry).where(TimeEntry.id == entry_id).values(minutes=after.minutes, what=after.what)
        )
        _add(session, incident_id, after.minutes - before.minutes)
    return Changed(entry_id, row.who, before, after)


def remove(session: Session, incident_id: int, entry_id: int, who: str, *, anyones: bool) -> TimeEntry:
    """Take back an entry logged by mistake: one's own, or anyone's for `anyones` (an admin)."""
    row = _owned(session, incident_id, entry_id, who, anyones=anyones, doing="take it back")
    session.execute(delete(TimeEntry).where(TimeEntry.id == entry_id))
    _add(session, incident_id, -row.minutes)
    return row


def _owned(session: Session, incident_id: int, entry_id: int, who: str, *, anyones: bool, doing: str) -> TimeEntry:
    """The incident's entry `entry_id`, when `who` may change it: their own, or anyone's for `anyones`."""
    row = session.scalar(select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.incident_id == incident_id))
    if row is None:
        raise NoSuchPart(f"there is no time entry #{entry_id} on this incident")
    if not anyones and row.who.lower() != who.lower():
        raise NotTheirs(f"that time was logged by {row.who}; only they or an admin can {doing}")
    return row


def _add(runner: Session | Connection, incident_id: int, minutes: int) -> None:
    runner.execute(
        update(Incident).where(Incident.id == incident_id).values(minutes_spent=Incident.minutes_spent + minutes)
    )


def entries(session: Session, incident_id: int) -> list[TimeEntry]:
    """An incident's entries, oldest first."""
    query = select(TimeEntry).where(TimeEntry.incident_id == incident_id).order_by(TimeEntry.at, TimeEntry.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Total:
    """One line of the report: a person, category or service; minutes; how many incidents; how many entries."""

    key: str | None
    minutes: int
    incidents: int
    entries: int


def totals(session: Session, by: By, since: datetime, until: datetime, kind: str | None = None) -> list[Total]:
    """Time logged between `since` and `until` (on incidents of `kind` only when given), grouped by who logged it
    or by the incident's category or service, most first. Entries are counted by when they were logged, so a long
    incident's hours fall in the weeks they were spent."""
    column = {"who": TimeEntry.who, "category": Incident.category, "service": Incident.service}[by]
    query = (
        select(column, func.sum(TimeEntry.minutes), func.count(func.distinct(TimeEntry.incident_id)), func.count())
        .select_from(TimeEntry)
        .join(Incident, Incident.id == TimeEntry.incident_id)
        .where(TimeEntry.at >= since, TimeEntry.at < until, *of_kind(kind))
        .group_by(column)
        .order_by(func.sum(TimeEntry.minutes).desc(), column)
    )
    return [
        Total(key, int(minutes), int(incidents), int(count))
        for key, minutes, incidents, count in session.execute(query)
    ]
