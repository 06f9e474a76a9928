"""`switchboard service`, `switchboard calendar` and `switchboard sla`: the catalogue and the SLA policies.

Registered through the `switchboard.commands` entry points like the other layers' commands, so hub/cli.py stays
the one module that builds the root group.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from hub.cli import in_transaction
from hub.domain import parse_ref
from hub.errors import BadField
from hub.sla_clocks import DEFAULT_WARN_AT

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


def _option(parse: Callable[[], T]) -> T:
    """What a hub parser makes of an option's value; its BadField is shown as that option's mistake."""
    try:
        return parse()
    except BadField as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field.replace('_', '-')}") from None


def _given(value: T | None, kept: T) -> T:
    """An option's value, or what is kept when it was not given."""
    return kept if value is None else value


def _warn(warning: str | None) -> None:
    if warning:
        click.echo(f"warning: {warning}", err=True)


@click.group()
def service() -> None:
    """The service catalogue: what incidents, SLAs, problems and changes hang off."""


@service.command("add")
@click.option("--name", required=True, help="Unique name, e.g. 'mail'; rules and the `service` label use it.")
@click.option(
    "--owner-group",
    help="The group that owns it, e.g. 'messaging': it takes the incidents on the service no specific rule assigns.",
)
@click.option("--description", default="", help="One line on what it is (the status page shows it if public).")
@click.option("--public", is_flag=True, help="Show it on the public status page, /status.")
def service_add(name: str, owner_group: str | None, description: str, public: bool) -> None:
    """Add a service, e.g.: switchboard service add --name mail --owner-group messaging --public"""
    from hub import audit, catalogue

    def add(session: Session) -> str | None:
        row = catalogue.add_service(session, name=name, owner_group=owner_group, description=description,
                                    public=public)  # fmt: skip
        audit.record(session, audit.CLI, "service.add", row.name, owner_group=row.owner_group, public=row.public)
        return catalogue.missing_owner(session, row.owner_group)

    warning = in_transaction(add)
    click.echo(f"added service {name.strip()!r}" + (", shown on the status page (/status)" if public else ""))
    _warn(warning)


@service.command("set")
@click.argument("name")
@click.option("--public/--private", default=None, help="Show it on the public status page, /status, or not.")
@click.option("--owner-group", help="The group that owns it ('' for none).")
@click.option("--description", help="One line on what it is.")
def service_set(name: str, public: bool | None, owner_group: str | None, description: str | None) -> None:
    """Change a service, e.g.: switchboard service set mail --public --description "Email for everyone" """
    from hub import audit, catalogue

    if public is None and owner_group is None and description is None:
        raise click.UsageError("say what to change: --public or --private, --owner-group, --description")

    def change(session: Session) -> tuple[str, bool, str | None]:
        row = catalogue.set_service(session, name, public=public, owner_group=owner_group, description=description)
        audit.record(session, audit.CLI, "service.change", row.name, owner_group=row.owner_group, public=row.public,
                     description=row.description)  # fmt: skip
        warning = catalogue.missing_owner(session, row.owner_group) if owner_group is not None else None
        return row.name, row.public, warning

    changed, shown, warning = in_transaction(change)
    click.echo(f"service {changed!r}: {'shown on the status page (/status)' if shown else 'not on the status page'}")
    _warn(warning)


@service.command("rename")
@click.argument("name")
@click.argument("new_name")
def service_rename(name: str, new_name: str) -> None:
    """Rename the service NAME to NEW_NAME everywhere it is named, in one go: its incidents (resolved ones too),
    SLA policies, CIs, problems, changes, freezes, the status page's subscribers and the rules that set it. Rules
    and silences that test an event's own `service` label are listed, not changed: alerts keep sending theirs.
    E.g.: switchboard service rename mail email"""
    from hub import audit, service_references

    def rename(session: Session) -> service_references.Renamed:
        done = service_references.rename_service(session, name, new_name, author=audit.CLI)
        audit.record(session, audit.CLI, "service.rename", done.old, **done.detail())
        return done

    click.echo(service_references.describe_rename(in_transaction(rename)))


@service.command("remove")
@click.argument("name")
def service_remove(name: str) -> None:
    """Remove the service NAME: refused while unresolved incidents, SLA policies or rules that set it name it (it
    says which). CIs and help-centre requests naming it are left without a service, subscribers' choices without
    it; resolved incidents, problems, changes and freezes keep its name as a record.
    E.g.: switchboard service remove fax"""
    from hub import audit, service_references

    def remove(session: Session) -> service_references.Removed:
        done = service_references.remove_service(session, name)
        audit.record(session, audit.CLI, "service.remove", done.name, **done.detail())
        return done

    click.echo(service_references.describe_removal(in_transaction(remove)))


@service.command("list")
def service_list() -> None:
    """Print the services with their owner groups; public ones are on the status page."""
    from hub import catalogue

    for row in in_transaction(catalogue.services):
        click.echo(f"{row.name:<24} {row.owner_group or '-':<20} {'public ' if row.public else ''}{row.description}")


@service.command("subscribers")
def service_subscribers() -> None:
    """Print who gets the status page's updates by email and about which services, and who asked but has not
    confirmed yet (forgotten after a week)."""
    from hub import status_subscriptions

    found = in_transaction(status_subscriptions.listing)
    for row in found:
        if row.confirmed_at is None:
            click.echo(f"{row.email:<40} not confirmed, asked {row.created_at:%Y-%m-%d}")
            continue
        about = "every service" if row.services is None else ", ".join(row.services)
        click.echo(f"{row.email:<40} since {row.confirmed_at:%Y-%m-%d}: {about}")
    confirmed = sum(1 for row in found if row.confirmed_at)
    click.echo(f"{confirmed} subscriber(s), {len(found) - confirmed} not confirmed", err=True)


@service.command("unsubscribe")
@click.argument("email")
def service_unsubscribe(email: str) -> None:
    """Stop the status page's updates to EMAIL, e.g. for someone who asked the desk to: switchboard service
    unsubscribe ann@example.org"""
    from hub import status_subscriptions

    in_transaction(lambda s: status_subscriptions.remove(s, email))
    click.echo(f"{email.strip().lower()} gets no more status updates")


@click.group()
def calendar() -> None:
    """Business-hours calendars that SLA clocks run on."""


@calendar.command("add")
@click.option("--name", required=True, help="Unique name, e.g. 'office-berlin'.")
@click.option("--tz", required=True, help="IANA time zone, e.g. Europe/Berlin.")
@click.option(
    "--hours",
    required=True,
    help="e.g. 'mon-fri 09:00-17:00', 'mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00' or '24x7'.",
)
@click.option("--holidays", "country", help="Public holidays of a country (ISO code: DE, US) or a region (DE-BY).")
@click.option("--holiday", "dates", multiple=True, help="A closed day, YYYY-MM-DD; repeat for several.")
@click.option(
    "--ical",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An iCalendar file whose all-day events are closed days.",
)
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
@click.option("--holiday", "dates", multiple=True, help="A closed day, YYYY-MM-DD; repeat for several.")
@click.option(
    "--ical",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An iCalendar file whose all-day events are closed days.",
)
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
        done = sla_edits.edit_calendar(session, name, terms, new_name=new_name)
        if done.changed:
            audit.record(session, audit.CLI, "calendar.change", done.name, **done.detail)
        return done

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

    closed = _option(lambda: calendars.parse_dates(dates))
    if ical is not None:
        text = ical.read_text(encoding="utf-8", errors="replace")
        closed |= _option(lambda: calendars.ical_closed_days(text))
    return closed


@calendar.command("list")
def calendar_list() -> None:
    """Print the calendars: zone, hours and holidays."""
    from hub import calendars

    for row in in_transaction(calendars.calendars):
        click.echo(calendars.describe_calendar(row))


@click.group()
def sla() -> None:
    """SLA policies: targets per priority (optionally per service, category, organisation) on a calendar."""


@sla.command("add")
@click.option("--name", required=True, help="Unique name, e.g. 'P1 mail'.")
@click.option("--priority", required=True, help="P1 (highest) to P5.")
@click.option("--resolution", help="Resolve within this much business time: 4h, 2d.")
@click.option("--first-response", help="Acknowledge or answer within this much business time: 30m.")
@click.option("--next-update", help="Update the requester at least this often, after the first response.")
@click.option("--calendar", "calendar_name", help="The calendar the clocks run on (default: 24x7 UTC).")
@click.option("--service", "service_name", help="Only incidents of this service.")
@click.option("--category", help="Only incidents of this category.")
@click.option("--organisation", help="Only incidents whose 'organisation' label is this.")
@click.option(
    "--warn-at",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_WARN_AT,
    show_default=True,
    help="Warn when this share of a target has run.",
)
def sla_add(
    name: str,
    priority: str,
    resolution: str | None,
    first_response: str | None,
    next_update: str | None,
    calendar_name: str | None,
    service_name: str | None,
    category: str | None,
    organisation: str | None,
    warn_at: float,
) -> None:
    """Add a policy, e.g.: switchboard sla add --name P1 --priority P1 --resolution 4h --first-response 30m
    --calendar office"""
    from hub import audit, catalogue

    number = _option(lambda: catalogue.parse_priority(priority))
    targets = _option(lambda: catalogue.Targets.parse(first_response=first_response, next_update=next_update,
                                                      resolution=resolution))  # fmt: skip

    def add(session: Session) -> None:
        row = catalogue.add_policy(session, name=name, priority=number, targets=targets, calendar=calendar_name,
                                   service=service_name, category=category, organisation=organisation,
                                   warn_at=warn_at)  # fmt: skip
        audit.record(session, audit.CLI, "sla.add", row.name, **catalogue.policy_detail(row, calendar_name))

    in_transaction(add)
    click.echo(f"added SLA policy {name.strip()!r}; incidents opened from now on get its clocks")


@sla.command("set")
@click.argument("name")
@click.option("--name", "new_name", help="A new name.")
@click.option("--priority", help="P1 (highest) to P5.")
@click.option("--resolution", help="Resolve within this much business time: 4h, 2d ('' for no such clock).")
@click.option("--first-response", help="Acknowledge or answer within this much business time ('' for none).")
@click.option("--next-update", help="Update the requester at least this often ('' for none).")
@click.option("--calendar", "calendar_name", help="The calendar the clocks run on ('' for 24x7 UTC).")
@click.option("--service", "service_name", help="Only incidents of this service ('' for every service).")
@click.option("--category", help="Only incidents of this category ('' for every category).")
@click.option("--organisation", help="Only incidents whose 'organisation' label is this ('' for all).")
@click.option(
    "--warn-at",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Warn when this share of a target has run.",
)
def sla_set(
    name: str,
    new_name: str | None,
    priority: str | None,
    resolution: str | None,
    first_response: str | None,
    next_update: str | None,
    calendar_name: str | None,
    service_name: str | None,
    category: str | None,
    organisation: str | None,
    warn_at: float | None,
) -> None:
    """Change the policy NAME: the options given replace its terms, and the unresolved incidents whose clocks it
    runs are re-planned from their opening under the policy that now fits them (those whose due times move are
    told so on their timeline). E.g.: switchboard sla set "P1 mail" --resolution 3h --next-update 1h"""
    from hub import audit, catalogue, sla_edits

    number = _option(lambda: catalogue.parse_priority(priority)) if priority is not None else None
    typed = {"first_response": first_response, "next_update": next_update, "resolution": resolution}
    targets = {
        key: _option(partial(catalogue.parse_target, text, key)) for key, text in typed.items() if text is not None
    }
    options = (new_name, number, calendar_name, service_name, category, organisation, warn_at)
    if not targets and all(value is None for value in options):
        raise click.UsageError("say what to change, e.g. --resolution 4h; `switchboard sla set --help` lists them")

    def work(session: Session) -> sla_edits.Edit:
        kept = catalogue.policy_terms(session, catalogue.get_policy(session, name, lock=True))
        terms = catalogue.PolicyTerms(
            priority=_given(number, kept["priority"]), targets=replace(kept["targets"], **targets),
            calendar=_given(calendar_name, kept["calendar"]), service=_given(service_name, kept["service"]),
            category=_given(category, kept["category"]), organisation=_given(organisation, kept["organisation"]),
            warn_at=_given(warn_at, kept["warn_at"]),
        )  # fmt: skip
        done = sla_edits.edit_policy(session, name, terms, new_name=new_name)
        if done.changed:
            audit.record(session, audit.CLI, "sla.change", done.name, **done.detail)
        return done

    done = in_transaction(work)
    click.echo(f"SLA policy {done.name!r}: {sla_edits.describe(done) if done.changed else 'nothing changed'}")


@sla.command("remove")
@click.argument("name")
def sla_remove(name: str) -> None:
    """Remove the policy NAME: new incidents no longer get it, and the unresolved incidents whose clocks it runs
    are re-planned under the policy that fits them without it (from their opening), or lose their clocks when
    none does. Incidents resolved under it drop out of /reports/sla."""
    from hub import audit, sla_removal

    def remove(session: Session) -> sla_removal.Removal:
        done = sla_removal.remove_policy(session, name)
        audit.record(session, audit.CLI, "sla.remove", done.name, replanned=done.replanned, stopped=done.stopped)
        return done

    done = in_transaction(remove)
    click.echo(f"removed SLA policy {done.name!r}; {sla_removal.describe(done)}")


@sla.command("list")
def sla_list() -> None:
    """Print the policies: who they are for, targets, calendar."""
    from hub import catalogue

    for policy, calendar_name in in_transaction(catalogue.policies):
        scope, targets = catalogue.describe_scope(policy), catalogue.describe_targets(policy)
        click.echo(
            f"{policy.name:<20} P{policy.priority}  {scope:<28} {targets}; "
            f"warn at {policy.warn_at:.0%}; calendar {calendar_name or '24x7 UTC'}"
        )


def _incident(ref: str) -> int:
    found = parse_ref(ref)
    if found is None:
        raise click.BadParameter(f"{ref!r} is not an incident reference like INC-7", param_hint="REF")
    return found


@sla.command("wait")
@click.argument("ref")
@click.option("--by", default="cli", show_default=True, help="Who set it waiting, for the timeline.")
def sla_wait(ref: str, by: str) -> None:
    """Set incident REF waiting on its requester: its SLA clocks pause until `resume` or the requester replies."""
    from hub import sla as clocks

    incident_id = _incident(ref)
    in_transaction(lambda s: clocks.wait_on_requester(s.connection(), incident_id, by))
    click.echo(f"{ref.upper()} is waiting on its requester; SLA clocks paused")


@sla.command("resume")
@click.argument("ref")
def sla_resume(ref: str) -> None:
    """End the wait of incident REF: its SLA clocks run again, due times moved on by the pause."""
    from hub import sla as clocks

    incident_id = _incident(ref)

    def work(session: Session) -> bool:
        conn = session.connection()
        return clocks.stop_waiting(conn, clocks.SlaBookCache().current(conn), incident_id, "resumed from the CLI")

    if not in_transaction(work):
        raise click.ClickException(f"{ref.upper()} is not waiting")
    click.echo(f"{ref.upper()} runs again; SLA clocks resumed")
