"""`switchboard silence ...`: maintenance windows, one-off or weekly.

Imported only when one of these commands runs or shows its help (hub/cli.py's OWN_COMMANDS); each imports what it
works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from hub.acting_cli import AS, acting_in
from hub.cli import ROW_ID, in_transaction, printed_time
from hub.durations import parse_duration
from hub.weekly import parse_window

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group()
def silence() -> None:
    """Silence matching events for a while (maintenance windows): they are stored and counted, no one notified."""


@silence.command("add")
@click.option(
    "--match",
    "matches",
    multiple=True,
    required=True,
    help="field=value, field!=value, field=~regex or field!~regex; repeat for several (all must match).",
)
@click.option("--duration", help="How long from the start: 90m, 2h, 3d, 1w (default 2h; 1 year with --every).")
@click.option("--starts", type=click.DateTime(), help="When it starts, in UTC (default: now).")
@click.option("--every", help="Recur weekly inside this window only: 'sun 02:00-04:00', 'mon-fri 22:00-06:00'.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone of --every's times, e.g. Europe/Berlin.")
@click.option("--comment", default="", help="Why, for whoever wonders later.")
@AS
def silence_add(
    matches: tuple[str, ...], duration: str | None, starts: datetime | None, every: str | None, tz: str, comment: str,
    actor: str,
) -> None:  # fmt: skip
    """Add a silence.

    \b
    A one-off maintenance window:
      switchboard silence add --match labels.team=db --duration 2h --comment "DB upgrade" --as ann@example.com
    Every Sunday night's backups, for a year:
      switchboard silence add --match labels.job=backup --every "sun 01:00-05:00" --tz Europe/Berlin \\
          --as ann@example.com
    """
    from hub import audit, silences
    from hub.models import utcnow

    def work(session: Session, who: str) -> int:
        start = starts.replace(tzinfo=UTC) if starts else utcnow()
        matchers = [silences.parse_matcher(m) for m in matches]
        weekly = parse_window(every, tz) if every else None
        length = parse_duration(duration) if duration else (silences.RECURRING_FOR if weekly else timedelta(hours=2))
        row = silences.add_silence(session, matchers=matchers, starts_at=start, ends_at=start + length,
                                   comment=comment, created_by=who, every=weekly)  # fmt: skip
        audit.record(session, who, "silence.create", f"silence {row.id}", silence=silences.describe(row))
        return row.id

    click.echo(f"added silence {acting_in(actor, work)}")


@silence.command("list")
def silence_list() -> None:
    """Print the silences that have not ended."""
    from hub import silences

    for row in in_transaction(silences.active):
        click.echo(f"{row.id:>4}  {printed_time(row.starts_at)} .. {printed_time(row.ends_at)}  "
                   f"{silences.describe(row)}  # {row.comment}")  # fmt: skip


@silence.command("expire")
@click.argument("silence_id", type=ROW_ID)
@AS
def silence_expire(silence_id: int, actor: str) -> None:
    """End silence SILENCE_ID now."""
    from hub import audit, silences

    def work(session: Session, who: str) -> None:
        silences.expire_silence(session, silence_id)
        audit.record(session, who, "silence.expire", f"silence {silence_id}")  # as the page records it

    acting_in(actor, work)
    click.echo(f"expired silence {silence_id}")
