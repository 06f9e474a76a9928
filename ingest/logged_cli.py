"""`switchboard incident create`: an incident logged by hand from a terminal, as the new-incident page logs one.

It lives in ingest, not beside the other incident commands in hub/, because logging goes through the intake and
its rules (ingest/logged_intake.py), which hub may not import; the `incident` group finds it through the
`switchboard.incident_commands` entry point (pyproject.toml), as `switchboard` finds the other layers' commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting
from hub.domain import INCIDENT_KINDS
from ingest.contact_channels import CHANNELS

if TYPE_CHECKING:
    from hub.agent_action import Actor
    from hub.config import Settings
    from hub.db import Database
    from hub.intake import Outcome


@click.command("create")
@click.option("--title", required=True, help='A short summary, such as "Cannot print on floor 3".')
@click.option("--description", default="", help="What the person said, in full.")
@click.option("--requester", metavar="EMAIL", help="Who reported it: mailed its reference (unless --no-acknowledge).")
@click.option("--channel", type=click.Choice(CHANNELS), default=CHANNELS[0], show_default=True,
              help="How they reached the desk.")  # fmt: skip
@click.option("--service", metavar="NAME", help="The service it is about (the catalogue's name).")
@click.option("--ci", metavar="NAME", help="The configuration item it is about (an active CI's name).")
@click.option("--priority", type=click.IntRange(1, 5), help="1 (highest) to 5; the rules' guess when left out.")
@click.option("--category", help="The category; the rules' guess when left out.")
@click.option(
    "--kind",
    type=click.Choice(INCIDENT_KINDS),
    help="incident (something is broken) or request (someone needs something); the rules' when left out.",
)
@click.option("--assignee", metavar="EMAIL|GROUP", help="Who takes it; the rules' choice when left out.")
@click.option("--acknowledge/--no-acknowledge", default=True, show_default=True,
              help="Mail the requester its reference.")  # fmt: skip
@AS
def incident_create(title: str, description: str, requester: str | None, channel: str, service: str | None,
                    ci: str | None, priority: int | None, category: str | None, kind: str | None,
                    assignee: str | None, acknowledge: bool, actor: str) -> None:  # fmt: skip
    """Log an incident someone reported by phone, at the desk or in a chat, as the new-incident page does: routed
    by the rules, with what is given here winning over their guesses, and the requester mailed its reference.

    Example: switchboard incident create --title "Cannot print on floor 3" --requester sam@example.com
    --channel walk-in --as ann@example.com
    """
    from ingest.logged_intake import log_incident
    from ingest.pipeline import make_intake

    fields = {"title": title, "description": description, "requester": requester, "channel": channel,
              "service": service, "ci": ci, "priority": priority, "category": category, "kind": kind,
              "assignee": assignee, "acknowledge_requester": acknowledge}  # fmt: skip

    def work(db: Database, settings: Settings, who: Actor) -> Outcome:
        return log_incident(make_intake(settings, db), fields, by=who.name)

    outcome = acting(actor, work)
    if outcome.ref is None:  # the rules held it back (a threshold not reached yet): stored, no incident
        click.echo(f"Stored as event {outcome.event_id}; the rules opened no incident for it (yet)")
    elif not outcome.created:  # a rule gave it the dedup key of an incident already open
        click.echo(f"Counted on {outcome.ref}, which was already open for the same thing")
    elif outcome.acknowledged and requester:
        click.echo(f"{outcome.ref} logged; {requester.strip().lower()} is mailed its reference")
    else:
        click.echo(f"{outcome.ref} logged")
