"""On-call rotations of groups, stored: set one, cover part of it with an override, and read who is on call.

The arithmetic is `hub.rotation`'s (pure); this module parses what people type, checks it, and turns rows into
`Rotation` values. A group's rotation goes round its members in the group's order, so `switchboard group set`
also reorders the rota. Rules reach it through the `on_call` strategy (`hub.groups.routing_state` loads the
rotations) and escalations through an `oncall:<group>` target.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from hub import assignees, notices
from hub.db import Database, insert_new
from hub.durations import describe_duration, parse_duration
from hub.errors import BadInput, Missing
from hub.models import Group, GroupMember, OnCallNotice, OnCallOverride, OnCallRotation, utcnow
from hub.outbox import outbox_row
from hub.recipients import Sender, active_people
from hub.rotation import (
    MAX_SHIFT,
    MAX_SPAN,
    MIN_SHIFT,
    Override,
    Rotation,
    Shift,
    answering,
    passed_over,
    shifts,
    started,
)
from hub.statements import INSERT_OUTBOX
from hub.weekly import DAYS
from hub.zones import from_local, zone_of

log = logging.getLogger(__name__)

#: How far into the future an override may end: a rota is planned weeks ahead, not years.
MAX_OVERRIDE_AHEAD = timedelta(days=366)
#: A shift that began longer ago than this is not announced (the dispatcher was stopped, or the rotation is new).
SHIFT_NOTICE_WITHIN = timedelta(minutes=15)
#: How far back a rotation is read with its overrides: backtests of the last week's events see who covered.
PAST_OVERRIDES = timedelta(days=7)

_LOCAL_TIME = re.compile(
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})|(?P<day>[a-z]{3}))?[ t]*(?:(?P<hour>\d{1,2}):(?P<minute>\d{2}))?$"
)


@dataclass(frozen=True)
class OnCallNow:
    """A group's rotation as people ask about it: who is on call, until when, and who comes next."""

    group: str
    zone: str
    shift: str
    handoff: str
    members: tuple[str, ...]
    on_call: str | None
    until: datetime | None
    next: str | None
    overrides: tuple[Override, ...]


def parse_handoff(text: str, zone: str, now: datetime) -> datetime:
    """When the first shift starts, as a local wall-clock time in `zone`: `2026-11-30 09:00`, or `mon 09:00` or
    `09:00` for the latest such time up to now (so the first member is on call from the start)."""
    return local_time(text, zone, now, "handoff time", ahead=False)


def local_time(text: str, zone: str, now: datetime, what: str = "time", *, ahead: bool = True) -> datetime:
    """A local wall-clock time in `zone` as people type it: `2026-12-24 18:00` or `2026-12-24`, or `fri 18:00` or
    `18:00` for the next such time after now (`ahead`) or the latest up to now."""
    match = _LOCAL_TIME.match(text.strip().lower())
    hour, minute = (int(match["hour"] or 0), int(match["minute"] or 0)) if match else (0, 0)
    if not match or not (match["date"] or match["hour"]) or hour > 23 or minute > 59:
        raise BadInput(f"{text!r} is not a {what}; write 09:00, mon 09:00 or 2026-11-30 09:00")
    if match["date"]:
        try:
            return datetime.fromisoformat(match["date"]).replace(hour=hour, minute=minute)
        except ValueError:
            raise BadInput(f"{match['date']!r} is not a date; write it as 2026-11-30") from None
    if match["day"] and match["day"] not in DAYS:
        raise BadInput(f"{match['day']!r} is not a weekday; use one of {', '.join(DAYS)}")
    local = now.astimezone(zone_of(zone)).replace(tzinfo=None, second=0, microsecond=0)
    step = timedelta(days=7 if match["day"] else 1)
    found = local.replace(hour=hour, minute=minute)
    if match["day"]:
        found += timedelta(days=(DAYS.index(match["day"]) - found.weekday()) % 7)  # that weekday, this week on
    while found > local:
        found -= step
    return found + step if ahead and found < local else found


def parse_shift(text: str) -> timedelta:
    length = parse_duration(text)
    if not MIN_SHIFT <= length <= MAX_SHIFT:
        raise BadInput(f"a shift lasts from {describe_duration(MIN_SHIFT)} to {describe_duration(MAX_SHIFT)}")
    return length


def _group(session: Session, name: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise Missing(f"there is no group {name!r}; create it with `switchboard group set {name} --member EMAIL`")
    return group


def set_rotation(session: Session, group_name: str, *, zone: str, shift: str, handoff: str, now: datetime) -> None:
    """Give a group a rotation, or change its zone, shift length or first handoff."""
    group = _group(session, group_name)
    if not session.scalar(select(GroupMember.email).where(GroupMember.group_id == group.id).limit(1)):
        raise BadInput(f"group {group_name!r} has no members to rotate; add them with `switchboard group set`")
    zone_of(zone)
    length, start = parse_shift(shift), parse_handoff(handoff, zone, now)
    row = session.get(OnCallRotation, group.id) or OnCallRotation(group_id=group.id)
    row.timezone, row.shift_minutes, row.handoff = zone, int(length.total_seconds() // 60), start.isoformat("T")[:16]
    session.add(row)
    session.flush()


def remove_rotation(session: Session, group_name: str) -> None:
    group = _group(session, group_name)
    if session.get(OnCallRotation, group.id) is None:
        raise Missing(f"group {group_name!r} has no on-call rotation")
    session.execute(delete(OnCallRotation).where(OnCallRotation.group_id == group.id))
    session.execute(delete(OnCallOverride).where(OnCallOverride.group_id == group.id))


def add_override(
    session: Session, group_name: str, who: str, starts: datetime, ends: datetime, *, by: str, now: datetime
) -> Override:
    """`who` is on call for the group from `starts` to `ends`, whatever the rotation says; naive times are read
    in the rotation's time zone, as people give them (one the clocks skip there is refused). `who` must be able
    to answer a page: an active agent or admin (hub/assignees.py `people`)."""
    group = _group(session, group_name)
    rotation = session.get(OnCallRotation, group.id)
    if rotation is None:
        raise Missing(f"group {group_name!r} has no on-call rotation to override; set one first")
    zone = zone_of(rotation.timezone)
    starts, ends = (t if t.tzinfo else from_local(t, zone) for t in (starts, ends))
    who = assignees.person(session.connection(), who)
    if ends <= starts:
        raise BadInput("an override ends after it starts")
    if ends <= now:
        raise BadInput("that override is over already; give times still to come")
    if ends - starts > MAX_SPAN or ends > now + MAX_OVERRIDE_AHEAD:
        raise BadInput(f"an override lasts at most {MAX_SPAN.days} days and ends within a year")
    row = OnCallOverride(group_id=group.id, email=who, starts_at=starts, ends_at=ends, created_by=by)
    session.add(row)
    session.flush()
    return Override(row.id, who, starts, ends)


def remove_override(session: Session, group_name: str, override_id: int) -> None:
    group = _group(session, group_name)
    removed = session.execute(
        delete(OnCallOverride).where(OnCallOverride.id == override_id, OnCallOverride.group_id == group.id)
    )
    if not getattr(removed, "rowcount", 0):
        raise Missing(
            f"group {group_name!r} has no override {override_id}; the On call page and "
            f"`switchboard oncall show {group_name}` list its overrides with their numbers"
        )


def rotations(db: Connection | Session, names: Sequence[str] | None, now: datetime) -> dict[str, Rotation]:
    """The rotations of the named groups (all when None) with their overrides still in force or recent."""
    query = select(
        Group.id, Group.name, OnCallRotation.timezone, OnCallRotation.shift_minutes, OnCallRotation.handoff
    ).join(OnCallRotation, OnCallRotation.group_id == Group.id)
    if names is not None:
        if not names:
            return {}
        query = query.where(Group.name.in_(names))
    rows = db.execute(query).all()
    if not rows:
        return {}
    ids = [row.id for row in rows]
    members: dict[int, list[str]] = {}
    listed = select(GroupMember.group_id, GroupMember.email).where(GroupMember.group_id.in_(ids))
    for group_id, email in db.execute(listed.order_by(GroupMember.group_id, GroupMember.position)):
        members.setdefault(group_id, []).append(email)
    overrides: dict[int, list[Override]] = {}
    covers = select(OnCallOverride.group_id, OnCallOverride.id, OnCallOverride.email, OnCallOverride.starts_at,
                    OnCallOverride.ends_at)  # fmt: skip
    for group_id, override_id, email, starts, ends in db.execute(
        covers.where(OnCallOverride.group_id.in_(ids), OnCallOverride.ends_at > now - PAST_OVERRIDES)
    ):
        overrides.setdefault(group_id, []).append(Override(override_id, email, starts, ends))
    return {
        row.name: Rotation(
            members=tuple(members.get(row.id, ())),
            length=timedelta(minutes=row.shift_minutes),
            handoff=datetime.fromisoformat(row.handoff),
            zone=zone_of(row.timezone),
            overrides=tuple(sorted(overrides.get(row.id, ()), key=lambda o: o.starts)),
        )
        for row in rows
    }


def now_and_next(name: str, rotation: Rotation, now: datetime) -> OnCallNow:
    horizon = now + MAX_SPAN
    ahead = shifts(rotation, now, horizon)
    current = ahead[0] if ahead and ahead[0].starts <= now else None
    following = next((s for s in ahead if current is None or s.starts >= current.ends), None)
    return OnCallNow(
        group=name,
        zone=rotation.zone.key,
        shift=describe_duration(rotation.length),
        handoff=rotation.handoff.isoformat(" ")[:16],
        members=rotation.members,
        on_call=current.who if current else None,
        until=current.ends if current and current.ends < horizon else None,
        next=following.who if following else None,
        overrides=tuple(o for o in rotation.overrides if o.ends > now),
    )


def current(session: Session, group_name: str, now: datetime) -> OnCallNow:
    """One group's rotation: who is on call now, until when, and who is next."""
    found = rotations(session, [group_name], now).get(group_name)
    if found is None:
        raise Missing(f"group {group_name!r} has no on-call rotation; `switchboard oncall set {group_name}` makes one")
    return now_and_next(group_name, found, now)


def overview(session: Session, now: datetime) -> list[OnCallNow]:
    """Every rotation, by group name: who is on call now, until when, and who is next."""
    return [now_and_next(name, rotation, now) for name, rotation in sorted(rotations(session, None, now).items())]


def rota(session: Session, group_name: str, start: datetime, end: datetime) -> list[Shift]:
    """The group's shifts from `start` to `end` (at most hub.rotation.MAX_SPAN), overrides spliced in."""
    found = rotations(session, [_group(session, group_name).name], start).get(group_name)
    if found is None:
        raise Missing(f"group {group_name!r} has no on-call rotation")
    return shifts(found, start, end)


@dataclass(frozen=True)
class Paged:
    """Whom a page for a group reaches now (None: no one can answer), and whom it passed over on the way, in the
    order tried, each with why (hub/assignees.py `why_unable`: "is deactivated"), so a timeline can say it."""

    who: str | None
    passed_over: tuple[tuple[str, str], ...] = ()


def page(conn: Connection, group_name: str, now: datetime) -> Paged | None:
    """Whom a page for the group reaches now: who is on call, or when they can no longer answer (deactivated
    since), the next in line who can; None when the group has no rotation. One read more than the rotation's."""
    found = rotations(conn, [group_name], now).get(group_name)
    if found is None:
        return None
    why = assignees.why_unable(conn, people_of(found))
    return Paged(answering(found, now, why), tuple((who, why[who]) for who in passed_over(found, now, why)))


def people_of(rotation: Rotation) -> list[str]:
    """Everyone a rotation may page: its members and those covering parts of it."""
    return [*rotation.members, *(o.who for o in rotation.overrides)]


def announce_shifts(db: Database, sender: Sender, now: datetime | None = None) -> int:
    """Mail each active user whose on-call shift began within SHIFT_NOTICE_WITHIN (a handover, or an override
    beginning or ending), once per shift however many dispatchers run; returns how many were told. Run by the
    dispatcher's upkeep."""
    now = now or utcnow()
    told = 0
    with db.transaction() as session:
        found = rotations(session, None, now)
        if not found:
            return 0
        ids = {
            name: group_id
            for name, group_id in session.execute(select(Group.name, Group.id).where(Group.name.in_(list(found))))
        }
        conn = session.connection()
        for name, rotation in found.items():
            shift = started(rotation, now, SHIFT_NOTICE_WITHIN)
            if shift is None or not active_people(conn, [shift.who]) or not _first_told(conn, ids[name], shift):
                continue
            ahead = now_and_next(name, rotation, now)
            notice = notices.shift_started(
                group=name, recipient=shift.who, starts=_local(shift.starts, rotation), covering=bool(shift.override),
                ends=_local(ahead.until, rotation) if ahead.until else None, then=ahead.next,
                desk_address=sender.desk_address, base_url=sender.base_url, templates=sender.templates,
            )  # fmt: skip
            INSERT_OUTBOX.execute_many(conn, [outbox_row(None, notice)])
            told += 1
    if told:
        log.info("told %d person(s) their on-call shift began", told)
    return told


def _first_told(conn: Connection, group_id: int, shift: Shift) -> bool:
    """Note that the shift's person is being told; False when someone (another dispatcher) already did."""
    told = {"group_id": group_id, "starts_at": shift.starts, "email": shift.who}
    return insert_new(conn, OnCallNotice, OnCallNotice.email, **told) is not None


def wall_clock(moment: datetime, zone: str) -> str:
    """`moment` as people on the rotation read it: `Mon 2026-11-30 09:00`, in its time zone."""
    return f"{moment.astimezone(zone_of(zone)):%a %Y-%m-%d %H:%M}"


def _local(moment: datetime, rotation: Rotation) -> str:
    return f"{wall_clock(moment, rotation.zone.key)} {rotation.zone.key}"
