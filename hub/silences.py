"""Stored silences (maintenance windows): add, expire, list. Matching them against events is the rules
engine's job (rules/silences.py); every change bumps the routing version so each process reloads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain import MATCH_OPS, Matcher, is_rule_field
from hub.errors import BadInput
from hub.models import Silence, utcnow
from hub.regex import compile_pattern
from hub.rulebook import bump_version
from hub.weekly import WeeklyWindow

MAX_DURATION = timedelta(days=366)
#: How long a recurring silence keeps recurring when no end is given.
RECURRING_FOR = timedelta(days=365)


def weekly_of(row: Silence) -> WeeklyWindow | None:
    """The weekly window of a recurring silence, or None for a one-off."""
    every = (row.matchers or {}).get("every")
    return WeeklyWindow.from_json(every) if every else None


def describe(row: Silence) -> str:
    """The matchers, and when a recurring silence holds: `labels.team=db; every sun 02:00-04:00 Europe/Berlin`."""
    matchers = ", ".join(f"{m['field']}{m['op']}{m['value']}" for m in (row.matchers or {}).get("matchers", []))
    weekly = weekly_of(row)
    return f"{matchers}; every {weekly.text()}" if weekly else matchers


def parse_matcher(text: str) -> Matcher:
    """`labels.team=db`, `severity!=info`, `title=~disk.*`, `source!~^email$` into a Matcher."""
    for op in ("=~", "!~", "!=", "="):  # longest first, so `!=` is not read as `!` `=`
        field, sep, value = text.partition(op)
        if sep:
            return check_matcher(Matcher(field.strip(), op, value.strip()))
    raise BadInput(f"{text!r} is not a matcher; write field=value, field!=value, field=~regex or field!~regex")


def check_matcher(matcher: Matcher) -> Matcher:
    if not is_rule_field(matcher.field):
        raise BadInput(f"unknown field {matcher.field!r} in a silence; use e.g. labels.team, severity, integration")
    if matcher.op not in MATCH_OPS:
        raise BadInput(f"unknown matcher operator {matcher.op!r}; use one of {', '.join(MATCH_OPS)}")
    if matcher.op in ("=~", "!~"):
        compile_pattern(matcher.value)  # raises InvalidPattern (a BadInput) naming the problem
    return matcher


def add_silence(
    session: Session,
    *,
    matchers: list[Matcher],
    ends_at: datetime,
    starts_at: datetime | None = None,
    comment: str = "",
    created_by: str,
    every: WeeklyWindow | None = None,
) -> Silence:
    """Store a silence; it needs at least one matcher (an empty one would silence everything by accident).

    With `every`, it recurs: it holds only inside that weekly window, from `starts_at` until `ends_at`.
    """
    if not matchers:
        raise BadInput("a silence needs at least one matcher, e.g. labels.team=db")
    starts = starts_at or utcnow()
    if ends_at <= starts:
        raise BadInput("a silence must end after it starts")
    if ends_at - starts > MAX_DURATION:
        raise BadInput("a silence may last at most a year; make a new one when it ends")
    stored: dict[str, Any] = {
        "matchers": [{"field": m.field, "op": m.op, "value": m.value} for m in map(check_matcher, matchers)]
    }
    if every is not None:
        stored["every"] = every.as_json()
    row = Silence(
        matchers=stored,
        starts_at=starts,
        ends_at=ends_at,
        comment=comment,
        created_by=created_by,
    )
    session.add(row)
    bump_version(session)
    session.flush()
    return row


def expire_silence(session: Session, silence_id: int) -> Silence:
    """End a silence now (it stays on record)."""
    row = session.get(Silence, silence_id)
    if row is None:
        raise BadInput(f"there is no silence {silence_id}; `switchboard silence list` shows them")
    row.ends_at = min(row.ends_at, utcnow())
    bump_version(session)
    return row


def active(session: Session) -> list[Silence]:
    """Silences that have not ended yet (including ones that start later)."""
    return list(session.scalars(select(Silence).where(Silence.ends_at > utcnow()).order_by(Silence.ends_at)))


def testing(session: Session, fields: frozenset[str], value: str) -> list[Silence]:
    """The silences not ended yet with a matcher that compares one of `fields` with `value` (`=` or `!=`: exactly,
    as silences compare), in the order they end."""

    def names_it(row: Silence) -> bool:
        matchers = (row.matchers or {}).get("matchers", [])
        return any(m["field"] in fields and m["op"] in ("=", "!=") and m["value"] == value for m in matchers)

    return [row for row in active(session) if names_it(row)]
