"""`switchboard desk ...`: the service desk addresses, each with a default category and assignee group.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction, load_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def desk() -> None:
    """Manage desk addresses: mail to each is accepted over SMTP and gets its category and group.

    Addresses in SWITCHBOARD_DESK_ADDRESS are desks too (without defaults); a specific routing rule still wins
    over a desk's defaults, a catch-all rule does not.
    """


@desk.command("add")
@click.argument("address")
@click.option("--category", help="Category for its mail when no specific rule sets one.")
@click.option("--group", help="Group (or person) its mail is assigned to when no specific rule assigns it.")
def desk_add(address: str, category: str | None, group: str | None) -> None:
    """Add desk ADDRESS, or change its defaults.

    \b
    Example:
      switchboard desk add hr-help@example.com --category hr --group hr-team
    """
    from hub import audit, desks

    def add(session: Session) -> desks.Desk:
        found = desks.add_desk(session, address, category=category, group=group)
        audit.record(session, audit.CLI, "desk.add", found.address, category=found.category, group=found.group)
        return found

    found = in_transaction(add)
    click.echo(f"desk {found.address}: category {found.category or '-'}, group {found.group or '-'}")
    click.echo("The SMTP listener accepts mail for it within a few seconds; no restart needed.", err=True)


@desk.command("list")
def desk_list() -> None:
    """List desk addresses with their defaults (those only in SWITCHBOARD_DESK_ADDRESS are marked env)."""
    from hub import desks

    environment = load_settings().desk_addresses
    for found in in_transaction(lambda session: desks.list_desks(session, environment)):
        where = "table" if found.configured else "env"
        click.echo(f"{found.address}\t{found.category or '-'}\t{found.group or '-'}\t{where}")


@desk.command("remove")
@click.argument("address")
def desk_remove(address: str) -> None:
    """Remove desk ADDRESS (mail already received stays; SMTP refuses new mail for it unless it is in the env)."""
    from hub import audit, desks

    def remove(session: Session) -> None:
        desks.remove_desk(session, address)
        audit.record(session, audit.CLI, "desk.remove", address.lower())

    in_transaction(remove)
    click.echo(f"desk {address.lower()} removed")
