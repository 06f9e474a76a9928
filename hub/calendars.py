"""Business calendars the SLA clocks run on: stored, listed, and read as Calendar values (hub/business_hours.py).

What people type of a calendar (a zone, hours, a holiday country, closed days typed or in an iCal file) is checked
here, once, for `switchboard calendar` (hub/calendar_cli.py) and the /services pages (web/calendars.py) alike;
a mistake in one field is a BadField naming it, so the page shows it beside that field. Every change bumps the
`sla` revision (hub/catalogue_rows.py), so each process's SlaBook reloads. Changing a calendar re-plans the clocks
running on it, so that lives beside them (hub/sla_edits.py); the policies that name a calendar are
hub/catalogue.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.business_hours import (
    Calendar,
    country_holidays,
    format_hours,
    holidays_from_ical,
    parse_hours,
    weekly_from_json,
    weekly_json,
)
from hub.catalogue_rows import bump_version, checked_name, get_entry, quoted, store, store_change
from hub.errors import BadField, BadInput
from hub.models import BusinessCalendar, SlaPolicy
from hub.zones import zone_of

_LISTING = "switchboard calendar list"


class CalendarTerms(TypedDict):
    """What `switchboard calendar add` takes of a calendar but its name: as typed (checked when stored) or stored."""

    tz: str
    hours: str  # as people write it: `mon-fri 09:00-17:00; sat 10:00-14:00`, `24x7`
    country: str | None  # public holidays of this country (ISO code) ...
    subdivision: str | None  # ... and region
    dates: frozenset[date]  # more closed days


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
    terms = CalendarTerms(tz=tz, hours=hours, country=country, subdivision=subdivision, dates=dates)
    row = BusinessCalendar(name=checked_name(name, "calendar"), **_calendar_columns(terms))
    store(session, row, "calendar", _LISTING)
    return row


def change_calendar(session: Session, name: str, terms: CalendarTerms, *, new_name: str | None = None) -> bool:
    """Give the calendar `name` (locked) new terms, checked as `add_calendar` checks them, and a new name when
    `new_name` is given; whether anything changed. Re-planning the clocks that run on it is hub/sla_edits.py's."""
    row = get_calendar(session, name, lock=True)
    return store_change(session, row, _calendar_columns(terms), new_name=new_name, what="calendar", listing=_LISTING)


def remove_calendar(session: Session, name: str) -> str:
    """Delete the calendar `name`, refused while a policy's clocks run on it (naming them); returns its name."""
    row = get_calendar(session, name, lock=True)
    using = list(
        session.scalars(select(SlaPolicy.name).where(SlaPolicy.calendar_id == row.id).order_by(SlaPolicy.name))
    )
    if using:
        them = "it" if len(using) == 1 else "them"
        raise BadInput(f"the clocks of SLA {quoted('policy', 'policies', using)} run on calendar {row.name!r}: "
                       f"give {them} another calendar or remove {them} first")  # fmt: skip
    session.delete(row)
    session.flush()
    bump_version(session)
    return row.name


def get_calendar(session: Session, name: str, *, lock: bool = False) -> BusinessCalendar:
    """The calendar `name`; `lock`: locked for the caller's change."""
    return get_entry(session, BusinessCalendar, name, what="calendar", listing=_LISTING, lock=lock)


def _calendar_columns(terms: CalendarTerms) -> dict[str, Any]:
    """A calendar's columns but its name, checked (hours, zone, holiday country); a mistake names its field."""
    country, subdivision = terms["country"], terms["subdivision"]
    try:
        weekly = Calendar(weekly=parse_hours(terms["hours"])).weekly  # some hours, each range within a day
    except BadInput as exc:
        raise BadField("hours", str(exc)) from None
    try:
        zone_of(terms["tz"].strip())
    except BadInput as exc:
        raise BadField("tz", str(exc)) from None
    if country is not None:
        try:
            country_holidays(country, subdivision)
        except BadInput as exc:
            raise BadField("holidays", str(exc)) from None
    return {
        "tz": terms["tz"].strip(),
        "hours": weekly_json(weekly),
        "holiday_country": country.upper() if country else None,
        "holiday_subdivision": subdivision,
        "holiday_dates": {"dates": sorted(d.isoformat() for d in terms["dates"])},
    }


def parse_region(text: str | None) -> tuple[str | None, str | None]:
    """Public holidays as `--holidays` takes them: a country (`DE`) or a country and region (`DE-BY`), as the
    holidays package names them; (None, None) for none."""
    country, _, subdivision = (text or "").strip().partition("-")
    return country or None, subdivision or None


def parse_dates(texts: Iterable[str], field: str = "holiday") -> frozenset[date]:
    """Closed days written YYYY-MM-DD; a mistake is about `field`."""
    found = set()
    for text in texts:
        try:
            found.add(date.fromisoformat(text.strip()))
        except ValueError:
            raise BadField(field, f"{text.strip()!r} is not a date; write closed days as YYYY-MM-DD") from None
    return frozenset(found)


def ical_closed_days(text: str) -> frozenset[date]:
    """The closed days of an iCalendar file: its all-day events (hub/business_hours.py). A file with none is no
    holiday calendar, so it is a mistake about `ical` rather than nothing added."""
    try:
        found = holidays_from_ical(text)
    except BadInput as exc:
        raise BadField("ical", str(exc)) from None
    if not found:
        raise BadField("ical", "the iCalendar file holds no all-day events, which are what closed days are; "
                               "export the holidays or closing days as all-day events")  # fmt: skip
    return found


def calendar_of(row: BusinessCalendar | Any) -> Calendar:
    """A Calendar value from a stored row (ORM object or Core row with the same columns)."""
    return Calendar(
        tz=row.tz,
        weekly=weekly_from_json(row.hours),
        country=row.holiday_country,
        subdivision=row.holiday_subdivision,
        extra_holidays=frozenset(date.fromisoformat(d) for d in (row.holiday_dates or {}).get("dates", [])),
    )


def calendar_terms(row: BusinessCalendar) -> CalendarTerms:
    """A stored calendar's terms: what a change keeps of those it does not give, and what its form starts from."""
    calendar = calendar_of(row)
    return CalendarTerms(tz=calendar.tz, hours=format_hours(calendar.weekly), country=calendar.country,
                         subdivision=calendar.subdivision, dates=calendar.extra_holidays)  # fmt: skip


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
