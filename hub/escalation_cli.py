"""`switchboard escalation ...`: who is told, and when, while an incident stays unacknowledged.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def escalation_group() -> None:
    """Manage escalation policies; a rule starts one with `escalation: <name>` in what it sets."""


@escalation_group.command("create")
@click.option("--name", required=True, help="What rules call it, e.g. 'db-oncall'.")
@click.option("--step", "steps", multiple=True, required=True,
              help="DELAY:TARGET[,TARGET]: after DELAY unacknowledged (from the previous step), tell the targets: "
                   "an email, group:<name>, oncall:<group> (who is on call then) or channel:<name>. "
                   "Repeat for each step.")  # fmt: skip
@click.option("--repeat", default=0, show_default=True, help="Run all the steps again this many times (0-10).")
def create(name: str, steps: tuple[str, ...], repeat: int) -> None:
    """Create an escalation policy.

    \b
    Example: page whoever is on call for the DBAs after 5 minutes (see `switchboard oncall`), the whole DBA
    group after 15 more, and the ops chat after 30:
      switchboard escalation create --name db-oncall --step 5m:oncall:dba \\
          --step 15m:group:dba --step 30m:channel:ops-slack --repeat 2
    Then in a rule: set: {escalation: db-oncall}
    """
    from hub import audit, escalation

    def work(session: Session) -> str:
        row = escalation.create_policy(session, name, escalation.parse_steps(steps), repeat)
        audit.record(session, audit.CLI, "escalation.create", row.name, steps=list(steps), repeat=repeat)
        return escalation.describe(row)

    click.echo(f"escalation policy {name!r}: {in_transaction(work)}")


@escalation_group.command("list")
def list_command() -> None:
    """Print the escalation policies and their steps."""
    from hub import escalation

    rows = in_transaction(lambda session: [(p.name, escalation.describe(p)) for p in escalation.list_policies(session)])
    if not rows:
        click.echo("no escalation policies; create one with `switchboard escalation create --help`")
    for name, steps in rows:
        click.echo(f"{name}: {steps}")
