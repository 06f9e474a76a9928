"""`switchboard events ...`: messages kept as unprocessable, listed and reprocessed after a fix.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import time
from datetime import timedelta

import click

from hub.cli import EVENT_ID, load_settings, open_database, printed_time
from hub.durations import describe_duration, parse_duration
from hub.errors import BadInput, StorageUnavailable


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def events() -> None:
    """Inbound events: list and reprocess the unprocessable ones, delete old alert repeats."""


@events.command("unprocessable")
@click.option("--source", help="Only events from this source, e.g. email.")
@click.option("--limit", default=200, show_default=True, help="At most this many, newest first.")
def events_unprocessable(source: str | None, limit: int) -> None:
    """List unprocessable events with the error each failed with."""
    from ingest import reprocess as reprocessing
    from ingest.pipeline import make_intake

    settings = load_settings()
    db = open_database(settings)
    try:
        for item in reprocessing.unprocessable(make_intake(settings, db), source=source, limit=limit):
            click.echo(f"{item.id}\t{item.source}\t{printed_time(item.received_at)}\t{item.size} bytes\t{item.error}")
    finally:
        db.dispose()


@events.command("reprocess")
@click.argument("event_id", type=EVENT_ID, required=False)
@click.option("--all-unprocessable", "everything", is_flag=True,
              help="Every unprocessable email and generic body (oldest first).")  # fmt: skip
@click.option("--source", help="With --all-unprocessable: only events from this source, e.g. email.")
def events_reprocess(event_id: int | None, everything: bool, source: str | None) -> None:
    """Reprocess unprocessable event EVENT_ID, or all that can be (email, generic), through the normal intake path.

    Each is applied exactly once: the old event is marked reprocessed in the transaction that records the new
    one. One that fails again stays unprocessable with the new error. Exits 1 if any is still unprocessable. A
    generic integration's body is read through its mapping as it is now (fix the mapping, then reprocess).

    \b
    Examples:
      switchboard events reprocess 4711
      switchboard events reprocess --all-unprocessable --source email
    """
    from ingest import reprocess as reprocessing
    from ingest.pipeline import make_intake

    if (event_id is None) == (not everything):
        raise click.UsageError("give one EVENT_ID or --all-unprocessable (see `switchboard events unprocessable`)")
    settings = load_settings()
    db = open_database(settings)
    intake = make_intake(settings, db)
    failed = 0
    try:
        if everything:
            found = list(reversed(reprocessing.unprocessable(intake, source=source, limit=100_000)))
            ids = [item.id for item in found if item.reprocessable]
            if refused := len(found) - len(ids):
                click.echo(f"skipping {refused} webhook bod{'y' if refused == 1 else 'ies'}: refused with 400 when "
                           "they came, so their senders resend them (only email and generic integrations' bodies "
                           "are reprocessed)", err=True)  # fmt: skip
        else:
            ids = [event_id] if event_id is not None else []
        for one in ids:
            result = reprocessing.reprocess(intake, one)
            failed += not result.applied
            click.echo(result.describe())
    except BadInput as exc:
        raise click.ClickException(str(exc)) from None
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}\nIs DATABASE_URL right, and is the database up?") from None
    finally:
        db.dispose()
    if everything and not ids:
        click.echo("no unprocessable events", err=True)
    if failed:
        raise SystemExit(1)


@events.command("prune")
@click.option("--older-than", "older_than", help="Default: SWITCHBOARD_EVENT_RETENTION (90d). E.g. 30d, 12h.")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def events_prune(older_than: str | None, dry_run: bool) -> None:
    """Delete old events that changed nothing lasting: alert repeats, events held below a threshold, ignored
    and suppressed ones. Events that opened or changed an incident, emails and unprocessable events are kept.

    The dispatcher does this by itself once an hour, for events older than SWITCHBOARD_EVENT_RETENTION; run it
    by hand to free space at once, or with a shorter span.

    \b
    Examples:
      switchboard events prune --dry-run
      switchboard events prune --older-than 30d
    """
    from hub import retention

    settings = load_settings()
    try:
        span = parse_duration(older_than) if older_than else timedelta(seconds=settings.event_retention)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    if not span:
        raise click.UsageError("retention is 0 (keep forever): give --older-than, e.g. --older-than 90d")
    db = open_database(settings)
    try:
        if dry_run:
            click.echo(
                f"{retention.count_prunable(db, span)} event(s) older than {describe_duration(span)} would be deleted"
            )
            return
        shown = [time.monotonic()]

        def every_two_seconds(deleted: int) -> None:
            if time.monotonic() - shown[0] >= 2.0:
                shown[0] = time.monotonic()
                click.echo(f"  {deleted} deleted so far ...", err=True)

        deleted = retention.prune_events(db, span, progress=every_two_seconds)
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}; nothing more was deleted, run it again later") from None
    finally:
        db.dispose()
    click.echo(f"deleted {deleted} event(s) older than {describe_duration(span)}")
