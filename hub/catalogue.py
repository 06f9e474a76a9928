"""The service catalogue, business calendars and SLA policies: stored, listed, and read as values for the clocks.

Every change bumps the `sla` revision in the same transaction, so each process's SlaBook (hub/sla.py) reloads
policies and calendars only when they change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import revisions
from hub.business_hours import ALWAYS, Calendar, format_hours, parse_hours, weekly_from_json, weekly_json
from hub.durations import describe_duration
from hub.errors import BadInput
from hub.models import BusinessCalendar, Service, SlaPolicy
from hub.names import check_name
from hub.sla_clocks import DEFAULT_WARN_AT, PolicySpec

SLA_REVISION = "sla"


def bump_version(session: Session) -> None:
    """Call in the transaction that changes calendars or policies, so every process reloads them."""
    revisions.bump(session, SLA_REVISION)


def _unique(session: Session, row: Any, what: str, name: str, listing: str) -> None:
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise BadInput(f"there is already a {what} named {name!r}; `{listing}` shows them") from None


# -- services ---------------------------------------------------------------------------------------------------


def add_service(
    session: Session, *, name: str, owner_group: str | None = None, description: str = "", public: bool = False
) -> Service:
    name = check_name(name, "service")
    row = Service(name=name, owner_group=(owner_group or "").strip() or None, description=description.strip(),
                  public=public)  # fmt: skip
    _unique(session, row, "service", name, "switchboard service list")
    return row


def set_service(
    session: Session, name: str, *, public: bool | None = None, owner_group: str | None = None,
    description: str | None = None,
) -> Service:  # fmt: skip
    """Change what is given of a service: whether the public status page shows it (hub/status_page.py), its
    owner group, its description."""
    row = session.scalar(select(Service).where(Service.name == name.strip()))
    if row is None:
        raise BadInput(f"there is no service {name!r}; `switchboard service list` shows them")
    if public is not None:
        row.public = public
    if owner_group is not None:
        row.owner_group = owner_group.strip() or None
    if description is not None:
        row.description = description.strip()
    return row


def services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)))


# -- calendars --------------------------------------------------------------------------------------------------


def add_calendar(
    session: Session,
    *,
    name: str,
    tz: str,
    hours: str,
    country: str | None = None,
    subdivision: str | None = None,
    dates: frozenset[date] = frozenset(),
) -> BusinessCalendar:
    """Store a calendar after checking it makes sense (zone, hours, holiday country) by building it."""
    name = check_name(name, "calendar")
    calendar = Calendar(tz=tz, weekly=parse_hours(hours), country=country, subdivision=subdivision,
                        extra_holidays=dates)  # fmt: skip
    row = BusinessCalendar(
        name=name,
        tz=calendar.tz,
        hours=weekly_json(calendar.weekly),
        holiday_country=country.upper() if country else None,
        holiday_subdivision=subdivision,
        holiday_dates={"dates": sorted(d.isoformat() for d in dates)},
    )
    _unique(session, row, "calendar", name, "switchboard calendar list")
    bump_version(session)
    return row


def calendar_of(row: BusinessCalendar | Any) -> Calendar:
    """A Calendar value from a stored row (ORM object or Core row with the same columns)."""
    return Calendar(
        tz=row.tz,
        weekly=weekly_from_json(row.hours),
        country=row.holiday_country,
        subdivision=row.holiday_subdivision,
        extra_holidays=frozenset(date.fromisoformat(d) for d in (row.holiday_dates or {}).get("dates", [])),
    )


def calendars(session: Session) -> list[BusinessCalendar]:
    return list(session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def describe_calendar(row: BusinessCalendar) -> str:
    holidays = [row.holiday_country, row.holiday_subdivision] if row.holiday_country else []
    extra = len((row.holiday_dates or {}).get("dates", []))
    parts = [f"{row.name}: {row.tz}, {format_hours(weekly_from_json(row.hours))}"]
    if holidays:
        parts.append("holidays " + "-".join(h for h in holidays if h))
    if extra:
        parts.append(f"{extra} more holiday date(s)")
    return "; ".join(parts)


# -- policies ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    first_response: timedelta | None = None
    next_update: timedelta | None = None
    resolution: timedelta | None = None


def add_policy(
    session: Session,
    *,
    name: str,
    priority: int,
    targets: Targets,
    calendar: str | None = None,
    service: str | None = None,
    category: str | None = None,
    organisation: str | None = None,
    warn_at: float = DEFAULT_WARN_AT,
) -> SlaPolicy:
    """Store a policy; its calendar and service must exist (24x7 UTC when no calendar is named)."""
    name = check_name(name, "policy")
    if priority not in range(1, 6):
        raise BadInput(f"priority must be P1 (highest) to P5, not P{priority}")
    if not 0 < warn_at < 1:
        raise BadInput("warn-at is a share of the target between 0 and 1, e.g. 0.75")
    if targets.first_response is None and targets.resolution is None:
        raise BadInput("a policy needs a first-response or a resolution target, e.g. --resolution 4h")
    calendar_id = None
    if calendar is not None:
        calendar_id = session.scalar(select(BusinessCalendar.id).where(BusinessCalendar.name == calendar))
        if calendar_id is None:
            raise BadInput(f"there is no calendar {calendar!r}; add it with `switchboard calendar add`")
    if service is not None and session.scalar(select(Service.id).where(Service.name == service)) is None:
        raise BadInput(f"there is no service {service!r}; add it with `switchboard service add`")

    def seconds(span: timedelta | None) -> int | None:
        return int(span.total_seconds()) if span is not None else None

    row = SlaPolicy(
        name=name, priority=priority, service=service, category=category, organisation=organisation,
        calendar_id=calendar_id, first_response=seconds(targets.first_response),
        next_update=seconds(targets.next_update), resolution=seconds(targets.resolution), warn_at=warn_at,
    )  # fmt: skip
    _unique(session, row, "policy", name, "switchboard sla list")
    bump_version(session)
    return row


def policies(session: Session) -> list[tuple[SlaPolicy, str | None]]:
    """Every policy with its calendar's name, by priority then name."""
    query = (
        select(SlaPolicy, BusinessCalendar.name)
        .outerjoin(BusinessCalendar, SlaPolicy.calendar_id == BusinessCalendar.id)
        .order_by(SlaPolicy.priority, SlaPolicy.name)
    )
    return [(p, c) for p, c in session.execute(query).all()]


def describe_scope(policy: SlaPolicy) -> str:
    """Which incidents a policy is for, beyond its priority: "service mail, category outage", or "all"."""
    scope = (("service", policy.service), ("category", policy.category), ("organisation", policy.organisation))
    return ", ".join(f"{what} {value}" for what, value in scope if value) or "all"


def describe_targets(policy: SlaPolicy) -> str:
    """A policy's targets in words: "first response 30m, resolution 4h"."""
    targets = (("first response", policy.first_response), ("next update", policy.next_update),
               ("resolution", policy.resolution))  # fmt: skip
    return ", ".join(
        f"{what} {describe_duration(timedelta(seconds=value))}" for what, value in targets if value is not None
    )


def load_policies(conn: Connection | Session) -> tuple[dict[int, PolicySpec], dict[int, Calendar]]:
    """Every policy as a PolicySpec (its calendar built), and the calendars by id, for the clocks."""
    cals = {row.id: calendar_of(row) for row in conn.execute(select(*BusinessCalendar.__table__.c)).all()}
    specs = {}
    for row in conn.execute(select(*SlaPolicy.__table__.c).order_by(SlaPolicy.id)).all():
        specs[row.id] = PolicySpec(
            id=row.id, name=row.name, priority=row.priority, service=row.service, category=row.category,
            organisation=row.organisation,
            calendar=cals[row.calendar_id] if row.calendar_id is not None else ALWAYS,
            first_response=_span(row.first_response), next_update=_span(row.next_update),
            resolution=_span(row.resolution), warn_at=row.warn_at,
        )  # fmt: skip
    return specs, cals


def _span(seconds: int | None) -> timedelta | None:
    return timedelta(seconds=seconds) if seconds is not None else None
