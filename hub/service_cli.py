"""`switchboard service`: the service catalogue (hub/catalogue.py), renaming and removing a service everywhere it
is named (hub/service_references.py), and the status page's subscribers (hub/status_subscriptions.py).

One of hub's own commands (hub/cli.py OWN_COMMANDS); each command imports what it works with when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction, printed_time

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


_MAJOR_GROUP = (
    "The group paged when one of its incidents is declared a major incident, e.g. 'payroll-mim', "
    "instead of SWITCHBOARD_MAJOR_INCIDENT_GROUP."
)


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
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
@click.option("--major-group", help=_MAJOR_GROUP)
def service_add(name: str, owner_group: str | None, description: str, public: bool, major_group: str | None) -> None:
    """Add a service, e.g.: switchboard service add --name mail --owner-group messaging --public"""
    from hub import audit, catalogue

    def add(session: Session) -> list[str]:
        row = catalogue.add_service(session, name=name, owner_group=owner_group, description=description,
                                    public=public, major_group=major_group)  # fmt: skip
        audit.record(session, audit.CLI, "service.add", row.name, owner_group=row.owner_group, public=row.public,
                     major_group=row.major_group)  # fmt: skip
        return catalogue.missing_groups(session, row)

    warnings = in_transaction(add)
    click.echo(f"added service {name.strip()!r}" + (", shown on the status page (/status)" if public else ""))
    _warn(warnings)


@service.command("set")
@click.argument("name")
@click.option("--public/--private", default=None, help="Show it on the public status page, /status, or not.")
@click.option("--owner-group", help="The group that owns it ('' for none).")
@click.option("--description", help="One line on what it is.")
@click.option("--major-group", help=f"{_MAJOR_GROUP} ('' for none: the installation's)")
def service_set(
    name: str, public: bool | None, owner_group: str | None, description: str | None, major_group: str | None
) -> None:
    """Change a service, e.g.: switchboard service set mail --public --description "Email for everyone", or
    switchboard service set payroll --major-group payroll-mim"""
    from hub import audit, catalogue

    if public is None and owner_group is None and description is None and major_group is None:
        raise click.UsageError("say what to change: --public or --private, --owner-group, --description, "
                               "--major-group")  # fmt: skip

    def change(session: Session) -> tuple[str, bool, str | None, list[str]]:
        row = catalogue.set_service(session, name, public=public, owner_group=owner_group, description=description,
                                    major_group=major_group)  # fmt: skip
        audit.record(session, audit.CLI, "service.change", row.name, owner_group=row.owner_group, public=row.public,
                     description=row.description, major_group=row.major_group)  # fmt: skip
        warnings = catalogue.missing_groups(session, row, owner=owner_group is not None, major=major_group is not None)
        return row.name, row.public, row.major_group, warnings

    changed, shown, paged, warnings = in_transaction(change)
    click.echo(f"service {changed!r}: {'shown on the status page (/status)' if shown else 'not on the status page'}"
               + (f"; its major incidents page {paged}" if paged else ""))  # fmt: skip
    _warn(warnings)


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
    """Print the services with their owner groups; public ones are on the status page, and a service with its own
    major-incident group says which."""
    from hub import catalogue

    for row in in_transaction(catalogue.services):
        major = f"major incidents: {row.major_group} " if row.major_group else ""
        click.echo(f"{row.name:<24} {row.owner_group or '-':<20} {'public ' if row.public else ''}{major}"
                   f"{row.description}")  # fmt: skip


@service.command("subscribers")
def service_subscribers() -> None:
    """Print who gets the status page's updates by email and about which services, and who asked but has not
    confirmed yet (forgotten after a week)."""
    from hub import status_subscriptions

    found = in_transaction(status_subscriptions.listing)
    for row in found:
        if row.confirmed_at is None:
            click.echo(f"{row.email:<40} not confirmed, asked {printed_time(row.created_at)}")
            continue
        about = "every service" if row.services is None else ", ".join(row.services)
        click.echo(f"{row.email:<40} since {printed_time(row.confirmed_at)}: {about}")
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
