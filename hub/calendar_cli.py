"""`switchboard calendar`: the business calendars SLA clocks run on (hub/calendars.py); a change re-plans the
clocks running on it (hub/sla_edits.py).

One of hub's own commands (hub/cli.py OWN_COMMANDS); each command imports what it works with when it runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction, option_value, options

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def calendar() -> None:
    """Business-hours calendars that SLA clocks run on."""


#: --holiday and --ical, as `add` and `set` both take them: the closed days (`_closed_days` reads them).
_closed_day_options = options(
    click.option("--holiday", "dates", multiple=True, help="A closed day, YYYY-MM-DD; repeat for several."),
    click.option("--ical", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="An iCalendar file whose all-day events are closed days."),
)  # fmt: skip


@calendar.command("add")
@click.option("--name", required=True, help="Unique name, e.g. 'office-berlin'.")
@click.option("--tz", required=True, help="IANA time zone, e.g. Europe/Berlin.")
@click.option(
    "--hours",
    required=True,
    help="e.g. 'mon-fri 09:00-17:00', 'mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00' or '24x7'.",
)
@click.option("--holidays", "country", help="Public holidays of a country (ISO code: DE, US) or a region (DE-BY).")
@_closed_day_options
def calendar_add(
    name: str, tz: str, hours: str, country: str | None, dates: tuple[str, ...], ical: Path | None
) -> None:
    """Add a calendar, e.g.: switchboard calendar add --name office --tz Europe/Berlin --hours "mon-fri 09:00-17:00"
    --holidays DE"""
    from hub import calendars

    closed = _closed_days(dates, ical)
    region, subdivision = calendars.parse_region(country)

    def work(session: Session) -> str:
        from hub import audit

        row = calendars.add_calendar(
            session,
            name=name,
            tz=tz,
            hours=hours,
            country=region,
            subdivision=subdivision,
            dates=closed,
        )
        described = calendars.describe_calendar(row)
        audit.record(session, audit.CLI, "calendar.add", row.name, calendar=described)
        return described

    click.echo(f"added calendar {in_transaction(work)}")


@calendar.command("set")
@click.argument("name")
@click.option("--name", "new_name", help="A new name; the policies on it follow.")
@click.option("--tz", help="IANA time zone, e.g. Europe/Berlin.")
@click.option("--hours", help="e.g. 'mon-fri 09:00-17:00' or '24x7'.")
@click.option("--holidays", "country", help="Public holidays of a country or region (DE, DE-BY); '' for none.")
@_closed_day_options
def calendar_set(
    name: str,
    new_name: str | None,
    tz: str | None,
    hours: str | None,
    country: str | None,
    dates: tuple[str, ...],
    ical: Path | None,
) -> None:
    """Change the calendar NAME: the options given replace what they name (the closed days become those of
    --holiday and --ical together, when either is given), and the unresolved incidents whose clocks run on it are
    re-planned. E.g.: switchboard calendar set office --hours "mon-fri 08:00-18:00" --holiday 2026-12-24"""
    from hub import audit, calendars, sla_edits

    if new_name is None and tz is None and hours is None and country is None and not dates and ical is None:
        raise click.UsageError("say what to change: --name, --tz, --hours, --holidays, --holiday or --ical")
    closed = _closed_days(dates, ical) if dates or ical is not None else None

    def work(session: Session) -> sla_edits.Edit:
        terms = calendars.calendar_terms(calendars.get_calendar(session, name, lock=True))
        if tz is not None:
            terms["tz"] = tz
        if hours is not None:
            terms["hours"] = hours
        if closed is not None:
            terms["dates"] = closed
        if country is not None:
            terms["country"], terms["subdivision"] = calendars.parse_region(country)
        return sla_edits.edit_calendar(session, name, terms, by=audit.CLI, new_name=new_name)

    done = in_transaction(work)
    click.echo(f"calendar {done.name!r}: {sla_edits.describe(done) if done.changed else 'nothing changed'}")


@calendar.command("remove")
@click.argument("name")
def calendar_remove(name: str) -> None:
    """Remove the calendar NAME; refused while an SLA policy's clocks run on it (it says which)."""
    from hub import audit, calendars

    def remove(session: Session) -> str:
        gone = calendars.remove_calendar(session, name)
        audit.record(session, audit.CLI, "calendar.remove", gone)
        return gone

    click.echo(f"removed calendar {in_transaction(remove)!r}")


def _closed_days(dates: tuple[str, ...], ical: Path | None) -> frozenset[date]:
    """The closed days of --holiday and --ical together; a mistake names its option."""
    from hub import calendars

    closed = option_value(lambda: calendars.parse_dates(dates))
    if ical is not None:
        text = ical.read_text(encoding="utf-8", errors="replace")
        closed |= option_value(lambda: calendars.ical_closed_days(text))
    return closed


@calendar.command("list")
def calendar_list() -> None:
    """Print the calendars: zone, hours and holidays."""
    from hub import calendars

    for row in in_transaction(calendars.calendars):
        click.echo(calendars.describe_calendar(row))
