"""`switchboard smtp`: the service desk's SMTP listener as its own process.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click

from hub.cli import in_transaction, load_settings, open_database, printed_time
from hub.domain import TLS_MODES
from ingest.errors import InvalidPayload


@click.command()
def smtp() -> None:
    """Receive email for the desk address(es) on SWITCHBOARD_SMTP_PORT (default 2525).

    Mail for other addresses is refused (550); each accepted message becomes an incident or a reply to one,
    parsed and stored by SWITCHBOARD_SMTP_PROCESSES worker processes (default 1) before the 250.
    Point your mail server's transport for the desk address here, or test with:
    swaks --server 127.0.0.1:2525 --to helpdesk@localhost --from you@example.com --header "Subject: Printer jam"
    """
    from hub import telemetry
    from ingest.pipeline import make_intake
    from ingest.smtp import make_controller
    from ingest.smtp_accept import AcceptPool

    telemetry.configure_logging("smtp")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
    settings = load_settings()
    db = open_database(settings)
    pool = AcceptPool(settings, settings.smtp_processes) if settings.smtp_processes else None
    controller = make_controller(settings, make_intake(settings, db), accept=pool)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        if pool is not None:
            pool.warm_up()
        controller.start()
    except (OSError, RuntimeError) as exc:
        if pool is not None:
            pool.close()
        raise click.ClickException(
            f"cannot listen on {settings.bind_host}:{settings.smtp_port}: {exc}. Is the port in use? "
            "Set SWITCHBOARD_SMTP_PORT."
        ) from None
    click.echo(f"smtp: listening on {settings.bind_host}:{settings.smtp_port} for {', '.join(settings.desk_addresses)}")
    stop.wait()
    controller.stop()
    if pool is not None:
        pool.close()  # after the listener: messages in the middle of DATA are stored and answered first
    db.dispose()


@click.group()
def mapping() -> None:
    """Map a tool's own JSON onto a generic integration with JMESPath (see docs/integrations.md)."""


def _load_spec(path: str) -> dict[str, Any]:
    from ingest.webhooks import mapping as webhook_mapping

    try:
        spec = json.loads(Path(path).read_text())
        return webhook_mapping.check(spec)
    except (OSError, json.JSONDecodeError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}") from None
    except RecursionError:
        raise click.BadParameter(f"cannot read {path}: its JSON is nested too deep to read") from None
    except InvalidPayload as exc:
        raise click.BadParameter(str(exc)) from None


@mapping.command("set")
@click.argument("name")
@click.argument("mapping_file", type=click.Path(exists=True, dir_okay=False))
def mapping_set(name: str, mapping_file: str) -> None:
    """Give generic integration NAME the mapping in MAPPING_FILE (a JSON object; `switchboard mapping preview`
    first to see what it makes of the last payloads)."""
    from hub import accounts

    spec = _load_spec(mapping_file)
    in_transaction(lambda s: accounts.configure_integration(s, name, mapping=spec))
    click.echo(f"integration {name!r} now maps its payloads with {mapping_file}")


@mapping.command("clear")
@click.argument("name")
def mapping_clear(name: str) -> None:
    """Remove NAME's mapping: its payloads must then be in the generic shape."""
    from hub import accounts

    in_transaction(lambda s: accounts.configure_integration(s, name, mapping=None))
    click.echo(f"integration {name!r} has no mapping")


@mapping.command("preview")
@click.argument("name")
@click.option("--file", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help="Try this mapping instead of the saved one.")  # fmt: skip
@click.option("--last", default=5, show_default=True, help="How many of the latest payloads to try it on.")
def mapping_preview(name: str, mapping_file: str | None, last: int) -> None:
    """Show what a mapping makes of NAME's latest payloads, without saving anything."""
    from sqlalchemy import select

    from hub.accounts import missing_integration
    from hub.models import Event, Integration
    from ingest.webhooks import mapping as webhook_mapping

    def latest(session: Any) -> tuple[dict[str, Any] | None, list[bytes]]:
        row = session.scalar(select(Integration).where(Integration.name == name))
        if row is None:
            raise click.ClickException(missing_integration(name))
        bodies = session.scalars(
            select(Event.raw).where(Event.integration_id == row.id).order_by(Event.id.desc()).limit(last)
        ).all()
        return row.mapping, list(bodies)

    saved, bodies = in_transaction(latest)
    spec = _load_spec(mapping_file) if mapping_file else saved
    if not spec:
        raise click.ClickException("no mapping to try: give --file, or save one with `switchboard mapping set`")
    if not bodies:
        click.echo("no payloads received yet; post one (it may be refused) and try again")
    for number, result in enumerate(webhook_mapping.trial(spec, bodies, integration=name), 1):
        click.echo(f"{number}. {result.describe()}")


@click.group()
def mailbox() -> None:
    """IMAP mailboxes whose mail `switchboard imap` imports (see docs/integrations.md, "IMAP mailboxes")."""


@mailbox.command("add")
@click.option("--name", required=True, help="What to call it: lowercase letters, digits, '-' or '_'.")
@click.option("--host", required=True, help="The IMAP server, e.g. imap.example.com, outlook.office365.com.")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: 993 with --tls ssl, else 143.")
@click.option("--tls", type=click.Choice(TLS_MODES), default="ssl", show_default=True,
              help="ssl: TLS from the start (993); starttls: upgrade to TLS (143); none: test servers.")  # fmt: skip
@click.option("--user", required=True, help="The login name, usually the mailbox's address.")
@click.option("--password", help="The password, kept in the database sealed under SECRET_KEY (or: --password-env).")
@click.option("--password-env", metavar="VAR", help="Read the password from VAR in the imap process's environment.")
@click.option("--xoauth2-token-env", metavar="VAR", help="Log in with XOAUTH2, the access token read from VAR.")
@click.option(
    "--xoauth2-token-file",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="Log in with XOAUTH2, the access token read from PATH at every connect (refresh it there).",
)
@click.option("--folder", default="INBOX", show_default=True, help="The folder to import from.")
@click.option(
    "--move-to", metavar="FOLDER", help="Move imported mail here (created if missing) instead of marking it read."
)
def mailbox_add(
    name: str,
    host: str,
    port: int | None,
    tls: str,
    user: str,
    password: str | None,
    password_env: str | None,
    xoauth2_token_env: str | None,
    xoauth2_token_file: str | None,
    folder: str,
    move_to: str | None,
) -> None:
    """Import mail from an IMAP mailbox. Example:

    \b
    SUPPORT_IMAP_PASSWORD=... switchboard mailbox add --name support \\
        --host imap.example.com --user support@example.com --password-env SUPPORT_IMAP_PASSWORD
    """
    from hub import mailboxes
    from hub.sealed import Keyring

    token_file = str(Path(xoauth2_token_file).resolve()) if xoauth2_token_file else None
    given = {  # option: (authentication, how the secret is stored)
        "--password": ("password", password and f"literal:{password}"),
        "--password-env": ("password", password_env and f"env:{password_env}"),
        "--xoauth2-token-env": ("xoauth2", xoauth2_token_env and f"env:{xoauth2_token_env}"),
        "--xoauth2-token-file": ("xoauth2", token_file and f"file:{token_file}"),
    }
    chosen = [(auth, secret) for auth, secret in given.values() if secret]
    if len(chosen) != 1:
        raise click.UsageError(f"give exactly one of {', '.join(given)}")
    auth, secret = chosen[0]
    keys = Keyring.of(load_settings())
    added = in_transaction(lambda s: mailboxes.add_mailbox(
        s, name=name, host=host, port=port, tls=tls, username=user, auth=auth, secret=secret, folder=folder,
        move_to=move_to, keys=keys,
    ))  # fmt: skip
    if secret.startswith("env:") and secret[4:] not in os.environ:
        click.echo(f"note: {secret[4:]} is not set here; set it where `switchboard imap` runs", err=True)
    then = f"moves it to {move_to}" if move_to else "marks it read"
    click.echo(
        f"added mailbox {added.name!r}: {user} at {added.host}:{added.port} ({tls}), imports {folder} and {then}"
    )
    click.echo(f"check it now with: switchboard mailbox test {added.name}")


@mailbox.command("list")
def mailbox_list() -> None:
    """Print the mailboxes, where each has got to, and its latest error."""
    from hub import mailboxes

    rows = in_transaction(mailboxes.list_mailboxes)
    if not rows:
        click.echo("no mailboxes; add one with `switchboard mailbox add --help`")
    for row in rows:
        config = mailboxes.MailboxConfig.of(row)
        checked = printed_time(row.last_checked_at, seconds=True) if row.last_checked_at else "never"
        state = "enabled" if row.enabled else "disabled"
        click.echo(f"{row.name}  {state}  {row.username}@{row.host}:{row.port} ({row.tls}, {row.auth}, secret "
                   f"{config.secret_source})  {row.folder} -> {config.after_import}  last checked {checked}"
                   f"  UID {row.last_uid}")  # fmt: skip
        if row.last_error:
            click.echo(f"    last error: {row.last_error}")


@mailbox.command("test")
@click.argument("name")
@click.option("--timeout", default=15.0, show_default=True, help="Seconds to wait for the server.")
def mailbox_test(name: str, timeout: float) -> None:
    """Connect to mailbox NAME, log in and open its folder, as `switchboard imap` would; report what is there."""
    from hub import mailboxes
    from hub.sealed import Keyring
    from ingest import imap

    config = in_transaction(lambda s: mailboxes.get_mailbox(s, name))
    try:
        found = imap.probe(config, Keyring.of(load_settings()), timeout=timeout)
    except imap.MailboxError as exc:
        raise click.ClickException(f"mailbox {name!r}: {exc}") from None
    idle = "yes" if "IDLE" in found.capabilities else "no (the watcher will poll)"
    click.echo(f"mailbox {name!r}: logged in to {config.host}:{config.port} as {config.username}")
    click.echo(f"{config.folder}: {found.messages} message(s), {found.unseen} unread, UIDVALIDITY {found.uidvalidity}")
    click.echo(f"IDLE: {idle}; capabilities: {' '.join(found.capabilities)}")


@mailbox.command("remove")
@click.argument("name")
def mailbox_remove(name: str) -> None:
    """Stop importing from mailbox NAME (what it imported stays; a running watcher lets go within 30 s)."""
    from hub import mailboxes

    in_transaction(lambda s: mailboxes.remove_mailbox(s, name))
    click.echo(f"removed mailbox {name!r}")


@click.command("imap")
@click.option("--poll-interval", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between looks at a mailbox whose server has no IDLE (or with --no-idle).")  # fmt: skip
@click.option("--idle/--no-idle", "use_idle", default=True, show_default=True,
              help="Wait for new mail with IMAP IDLE when the server offers it.")  # fmt: skip
def imap_command(poll_interval: float, use_idle: bool) -> None:
    """Import mail from every enabled mailbox (`switchboard mailbox add`), through the same intake as SMTP.

    New and changed mailboxes are picked up within 30 s; with none configured it waits for one.
    """
    from hub.sealed import Keyring
    from ingest import imap
    from ingest.pipeline import make_intake

    logging.basicConfig(level=logging.INFO, format="%(asctime)s imap %(levelname)s %(message)s")
    settings = load_settings()
    db = open_database(settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    watcher = imap.Watcher(db, make_intake(settings, db), imap.WatchSettings(poll_interval, use_idle),
                           keys=Keyring.of(settings))  # fmt: skip
    watcher.run(stop, on_change=lambda count: click.echo(f"imap: {watching_words(count)}"))
    db.dispose()


def watching_words(count: int) -> str:
    """What `switchboard imap` says once it has read the list of mailboxes, and whenever that changes."""
    if count == 0:
        return "no mailbox is enabled yet; add one with `switchboard mailbox add` (the list is read every 30 s)"
    return f"watching {count} mailbox{'es' if count != 1 else ''}"
