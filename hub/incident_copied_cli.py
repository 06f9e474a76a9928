"""`switchboard incident copy|uncopy`: who is copied on an incident's conversation, as the incident page's Copied
box changes it (hub/copied_changes.py): the same checks, refusals and timeline entries, done `--as` an active agent
or admin (hub/acting_cli.py). `switchboard incident show` lists who is copied.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import click

from hub.acting_cli import AS, acting
from hub.cli import incident_number


def _copy_command(on: bool) -> click.Command:
    """`copy` or `uncopy`: EMAIL is copied on incident REF's conversation with its requester, or no longer."""
    name = "copy" if on else "uncopy"

    def run(ref: str, email: str, actor: str) -> None:
        from hub import copied_changes
        from hub.agent_action import Mail

        number, address = incident_number(ref), email.strip().lower()
        changed = acting(actor, lambda db, settings, who: copied_changes.change(db, number, address, who, on=on,
                                                                               mail=Mail.of(settings)))  # fmt: skip
        if on:
            click.echo(f"INC-{number} copies {address}: replies and the resolution mail go to them too"
                       if changed else f"INC-{number} copied {address} already")  # fmt: skip
        elif changed:
            click.echo(f"INC-{number} no longer copies {address}")
        else:
            raise click.ClickException(f"INC-{number} does not copy {address}: `switchboard incident show "
                                       f"INC-{number}` lists who it copies")  # fmt: skip

    summary = (
        "Copy EMAIL on incident REF's conversation: replies and the resolution mail go to them too, on Cc."
        if on
        else "Stop copying EMAIL on incident REF's conversation: mail still waiting for them is not sent."
    )
    example = f"Example: switchboard incident {name} INC-7 carl@example.com --as ann@example.com"
    command = click.command(name, help=f"{summary}\n\n{example}")(run)
    return click.argument("email")(click.argument("ref")(AS(command)))


incident_copy = _copy_command(True)
incident_uncopy = _copy_command(False)
