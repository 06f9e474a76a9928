"""`switchboard db ...`: migrate the database, back it up, seal its secrets anew.

Imported only when one of these commands runs or shows its help (hub/cli.py's OWN_COMMANDS); each imports what it
works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli import in_transaction, load_settings
from hub.errors import BadInput, StorageUnavailable


@click.group()
def db() -> None:
    """Manage the database: migrate it, back it up, seal its secrets anew."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (safe to run repeatedly)."""
    from hub.migrate import upgrade_database

    settings = load_settings()
    try:
        where = upgrade_database(settings.database_url, timeout=settings.db_timeout)
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}\nCheck DATABASE_URL.") from None
    click.echo(f"database is up to date ({where})")


@db.command("backup")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--without-key",
    is_flag=True,
    help="Leave the generated secret key out (for copies that leave the machine; keep the key elsewhere).",
)
def db_backup(folder: Path, without_key: bool) -> None:
    """Copy the database and what SWITCHBOARD_HOME keeps into FOLDER (new or empty), while the hub runs.

    SQLite is copied with VACUUM INTO (writers carry on) and checked; PostgreSQL is dumped with pg_dump (restore
    with pg_restore). Then the email attachments, mail template overrides and the generated secret key when it is
    the key in use (not with SECRET_KEY set, nor with --without-key: keep the key elsewhere, since it opens the
    secrets the database seals). The README's "Backups" section says how to restore.

    \b
    Example:
      switchboard db backup /srv/backups/switchboard-$(date +%F)
      switchboard db backup --without-key /mnt/offsite/switchboard-$(date +%F)
    """
    from hub import backup

    settings = load_settings()
    try:
        taken = backup.take(
            settings, folder, progress=lambda line: click.echo(line, err=True), with_key=not without_key
        )
    except (BadInput, StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # the backup's disk is full, a file under SWITCHBOARD_HOME cannot be read, ...
        raise click.ClickException(f"backup failed, and what it had written is removed: {exc}") from None
    click.echo(f"backup written to {taken.folder}: {taken.database.name} ({taken.check}), "
               f"{taken.files} file(s) from SWITCHBOARD_HOME")  # fmt: skip
    if not taken.key_included:
        click.echo(f"the secret key is not in it: {taken.key_note}")


@db.command("reseal")
def db_reseal() -> None:
    """Seal every secret the database keeps under the current SECRET_KEY.

    Two-factor authenticator secrets, webhook signing secrets and typed-in mailbox passwords are kept sealed
    (AES-256-GCM) under a key derived from SECRET_KEY. After a new SECRET_KEY, list the former one in
    SWITCHBOARD_OLD_SECRET_KEYS on every process, restart them, run this, then drop the former key. Run it once
    after upgrading, too: it seals what older versions kept plain. It logs no one out, and is all or nothing.

    \b
    Example:
      SWITCHBOARD_OLD_SECRET_KEYS="$PREVIOUS_KEY" switchboard db reseal
    """
    from hub import reseal
    from hub.sealed import CannotOpen, Keyring

    keys = Keyring.of(load_settings())
    try:
        done = in_transaction(
            lambda session: reseal.reseal(session, keys, progress=lambda line: click.echo(line, err=True))
        )
    except CannotOpen as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from None
    for column in done:
        click.echo(f"{column.column}: {column.rewritten} of {column.secrets} sealed anew")
    click.echo("every secret in the database is sealed under the current SECRET_KEY")
