"""`switchboard time`: where the desk's time went, for a spreadsheet, an invoice or a weekly mail.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import click

from hub.cli import in_transaction
from hub.domain import INCIDENT_KINDS, KIND_WORDS


@click.group("time")
def time_group() -> None:
    """Time spent on incidents: totals by person, category or service."""


@time_group.command("report")
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True, help="The last this many days.")
@click.option("--by", type=click.Choice(["who", "category", "service"]), default="who", show_default=True,
              help="Group by the person who logged it, or the incident's category or service.")  # fmt: skip
@click.option("--kind", type=click.Choice(INCIDENT_KINDS), default=None,
              help="Only time logged on incidents, or only on service requests (default: both).")  # fmt: skip
@click.option("--csv", "as_csv", is_flag=True, help="CSV (name, minutes, incidents, entries) instead of a table.")
def time_report(days: int, by: str, kind: str | None, as_csv: bool) -> None:
    """Time logged on incidents in the last --days, most first (as /reports/time shows it).

    Example: switchboard time report --days 7 --by category --kind request --csv > week.csv
    """
    import csv
    import sys
    from datetime import timedelta

    from hub import time_spent
    from hub.models import utcnow

    until = utcnow()
    since = until - timedelta(days=days)
    rows = in_transaction(lambda session: time_spent.totals(session, by, since, until, kind))  # type: ignore[arg-type]
    if as_csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["name", "minutes", "incidents", "entries"])
        out.writerows([row.key or "", row.minutes, row.incidents, row.entries] for row in rows)
        return
    if not rows:
        click.echo(f"no time logged{f' on {KIND_WORDS[kind]}s' if kind else ''} in the last {days} days")
        return
    width = max(len(row.key or "-") for row in rows)
    for row in rows:
        click.echo(f"{row.key or '-':<{width}}  {time_spent.describe(row.minutes):>12}  "
                   f"{row.incidents} incident{'s' if row.incidents != 1 else ''}")  # fmt: skip
    total = sum(row.minutes for row in rows)
    click.echo(f"{'total':<{width}}  {time_spent.describe(total):>12}")
