"""On-call rotations: who is on call at a given time, and the shifts over a span. Pure: times in, people out.

A rotation's members take shifts of one length in turn, the first member from the `handoff` onwards. Shifts
hand over at the same local wall-clock time whatever daylight saving does (09:00 in Berlin stays 09:00), so the
arithmetic is on the zone's naive local times: shift k covers [handoff + k * length, handoff + (k + 1) * length).
An override covers [starts, ends) and wins over the rotation; where overrides overlap, the newest one wins.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise, takewhile
from zoneinfo import ZoneInfo

#: The longest span `shifts` lays out, so a page or an API call cannot ask for a million rows.
MAX_SPAN = timedelta(days=92)
MIN_SHIFT = timedelta(hours=1)
MAX_SHIFT = timedelta(days=28)


@dataclass(frozen=True)
class Override:
    """Someone covering part of the rotation (a swap, a holiday); `id` orders them: the newest wins."""

    id: int
    who: str
    starts: datetime  # aware
    ends: datetime


@dataclass(frozen=True)
class Rotation:
    members: tuple[str, ...]
    length: timedelta
    handoff: datetime  # naive, in `zone`: when the first member's first shift starts
    zone: ZoneInfo
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Shift:
    """One stretch with one person on call; `override` is the covering override's id, if one is."""

    who: str
    starts: datetime  # aware, UTC
    ends: datetime
    override: int | None = None


def _local(rotation: Rotation, at: datetime) -> datetime:
    return at.astimezone(rotation.zone).replace(tzinfo=None)


def _aware(rotation: Rotation, local: datetime) -> datetime:
    return local.replace(tzinfo=rotation.zone).astimezone(UTC)


def shift_number(rotation: Rotation, at: datetime) -> int:
    """Which shift of the rotation `at` falls in (negative before the first handoff)."""
    return (_local(rotation, at) - rotation.handoff) // rotation.length


def scheduled(rotation: Rotation, at: datetime) -> str | None:
    """Whom the rotation itself puts on call at `at`, overrides aside; None for a rotation with no members."""
    if not rotation.members:
        return None
    return rotation.members[shift_number(rotation, at) % len(rotation.members)]


def covering(rotation: Rotation, at: datetime) -> Override | None:
    """The newest override in force at `at`, if any."""
    found = [o for o in rotation.overrides if o.starts <= at < o.ends]
    return max(found, key=lambda o: o.id) if found else None


def on_call(rotation: Rotation, at: datetime) -> str | None:
    """Who is on call at `at`: the covering override's person, else the rotation's."""
    override = covering(rotation, at)
    return override.who if override is not None else scheduled(rotation, at)


def in_line(rotation: Rotation, at: datetime) -> Iterator[str]:
    """Whom a page at `at` tries, in order, each once: the covering overrides' people, newest first, then the
    rotation's members from whoever's shift it is round the rota. Lazy: a page stops at the first who can answer."""
    covers = sorted((o for o in rotation.overrides if o.starts <= at < o.ends), key=lambda o: o.id, reverse=True)
    tried = [o.who for o in covers]
    yield from dict.fromkeys(tried)
    if rotation.members:
        first, count = shift_number(rotation, at), len(rotation.members)
        turns = (rotation.members[(first + step) % count] for step in range(count))
        yield from (who for who in turns if who not in tried)


def answering(rotation: Rotation, at: datetime, unable: Container[str]) -> str | None:
    """Whom a page at `at` reaches, passing over the `unable` (deactivated since they joined the rota or took the
    cover): the newest covering override's person who can answer, else the rotation's own, else the members after
    them in rota order; None when no one can."""
    return next((who for who in in_line(rotation, at) if who not in unable), None)


def passed_over(rotation: Rotation, at: datetime, unable: Container[str]) -> list[str]:
    """Those a page at `at` passes over before it reaches whom `answering` names (everyone in line when no one
    can answer), in the order tried: the first was on call."""
    return list(takewhile(lambda who: who in unable, in_line(rotation, at)))


def handoff_after(rotation: Rotation, at: datetime) -> datetime:
    """The rotation's next regular handover after `at` (aware, UTC). Strictly after: in the hour a clock goes
    back, a local time can name a moment already past, and a handover there is skipped."""
    number = shift_number(rotation, at) + 1
    while (moment := _aware(rotation, rotation.handoff + number * rotation.length)) <= at:
        number += 1
    return moment


def shifts(rotation: Rotation, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call from `start` to `end` (at most MAX_SPAN), as consecutive shifts with overrides spliced in;
    a stretch where no one is on call (no members, no override) is left out."""
    end = min(end, start + MAX_SPAN)
    if end <= start:
        return []
    cuts = {start, end}
    moment = start
    while (moment := handoff_after(rotation, moment)) < end:
        cuts.add(moment)
    for each in rotation.overrides:
        cuts.update(t for t in (each.starts, each.ends) if start < t < end)
    points = sorted(cuts)
    laid: list[Shift] = []
    for begins, finishes in pairwise(points):
        override = covering(rotation, begins)
        who = override.who if override is not None else scheduled(rotation, begins)
        if who is None:
            continue
        same = override.id if override is not None else None
        if laid and laid[-1].who == who and laid[-1].override == same and laid[-1].ends == begins:
            laid[-1] = Shift(who, laid[-1].starts, finishes, same)
        else:
            laid.append(Shift(who, begins, finishes, same))
    return [Shift(s.who, s.starts.astimezone(UTC), s.ends.astimezone(UTC), s.override)
            for s in laid]  # fmt: skip


def started(rotation: Rotation, now: datetime, within: timedelta) -> Shift | None:
    """The shift in force at `now` when it began less than `within` ago: at a handover to someone else, or as an
    override began or ended. None when the person on call has not changed in that time."""
    laid = shifts(rotation, now - within, now + timedelta(seconds=1))
    current = laid[-1] if laid else None
    return current if current is not None and now - within < current.starts <= now else None
