"""`switchboard heartbeat ...`: pings an integration promises; a late one raises an incident.

Imported only when one of these commands runs or shows its help (hub/cli.py's OWN_COMMANDS); each imports what it
works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hub.cli import in_transaction, load_settings, printed_time
from hub.durations import describe_duration
from hub.heartbeat_words import HELP

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def heartbeat() -> None:
    """Heartbeats: a source that stops pinging raises an incident (a dead man's switch)."""


@heartbeat.command("add")
@click.option("--integration", required=True, help="The integration that pings (its secret authenticates the ping).")
@click.option("--name", required=True, help=HELP["name"])
@click.option("--every", required=True, help=HELP["every"])
def heartbeat_add(integration: str, name: str, every: str) -> None:
    """Expect a ping from an integration every so often; a late one raises an incident, the next ping resolves it.

    \b
    Alertmanager's always-firing Watchdog alert, every minute, five minutes of slack:
      switchboard heartbeat add --integration prometheus --name watchdog --every 5m
    Then ping POST /api/v1/heartbeats/prometheus/watchdog with the integration's secret; the command prints
    the curl line to do it.
    """
    from urllib.parse import quote

    from hub import audit, heartbeats

    def work(session: Session) -> heartbeats.Beat:
        made = heartbeats.add(session, integration, name, every)
        audit.record(session, audit.CLI, "heartbeat.add", f"{integration}/{made.name}", every=every)
        return made

    made = in_transaction(work)
    # Quoted as a URL must be: curl refuses a name's space, and a shell would split the line at it.
    url = f"{load_settings().base_url}/api/v1/heartbeats/{made.integration}/{quote(made.name, safe='/')}"
    click.echo(f"{made.integration}/{made.name}: a ping every {describe_duration(made.interval)}, first due "
               f"{printed_time(made.due_at)}")  # fmt: skip
    click.echo(f"ping it: curl -fsS -X POST -H 'Authorization: Bearer <secret>' {url}")


@heartbeat.command("list")
def heartbeat_list() -> None:
    """Print every heartbeat: when it last pinged, when the next ping is due, and whether it is late."""
    from hub import heartbeats
    from hub.models import utcnow

    found = in_transaction(heartbeats.listing)
    if not found:
        click.echo("No heartbeats; `switchboard heartbeat add --integration N --name watchdog --every 5m` makes one.")
    now = utcnow()
    for beat in found:
        state = "MISSED" if beat.missed_at else ("late" if now > beat.due_at else "ok")
        every = describe_duration(beat.interval)
        click.echo(f"{beat.integration}/{beat.name}: every {every}, last ping {printed_time(beat.last_ping_at)}, "
                   f"due {printed_time(beat.due_at)}  {state}")  # fmt: skip


@heartbeat.command("remove")
@click.option("--integration", required=True)
@click.option("--name", required=True)
def heartbeat_remove(integration: str, name: str) -> None:
    """Stop expecting a heartbeat (an incident it raised stays, to be resolved by hand)."""
    from hub import audit, heartbeats

    def work(session: Session) -> None:
        heartbeats.remove(session, integration, name)
        audit.record(session, audit.CLI, "heartbeat.remove", f"{integration}/{name}")

    in_transaction(work)
    click.echo(f"removed heartbeat {integration}/{name}")
