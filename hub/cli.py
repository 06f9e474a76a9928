"""The `switchboard` command. Hub-level commands live here; each layer adds its own through the
`switchboard.commands` entry point group (see pyproject.toml), so this module never imports upwards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from hub import accounts, audit, backup, silences
from hub.config import Settings
from hub.db import Database
from hub.domain import ROLES
from hub.durations import parse_duration
from hub.errors import BadInput, ConfigError, StorageUnavailable
from hub.migrate import upgrade_database
from hub.models import utcnow
from hub.numbers import MAX_EVENT_ID, MAX_ID, whole_number
from hub.supervisor import up
from hub.weekly import parse_window

#: Ids typed on the command line: a number no row can have is refused before PostgreSQL refuses to compare with it.
ROW_ID = click.IntRange(1, MAX_ID)
EVENT_ID = click.IntRange(1, MAX_EVENT_ID)


def load_settings() -> Settings:
    """Settings from the environment, with a readable error instead of a traceback."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def open_database(settings: Settings) -> Database:
    return Database.connect(settings.database_url, timeout=settings.db_timeout)


def in_transaction(work: Callable[[Any], Any]) -> Any:
    """Run `work(session)` in one transaction against the configured database; errors say what to do next."""
    settings = load_settings()
    db = open_database(settings)
    try:
        with db.transaction() as session:
            return work(session)
    except BadInput as exc:
        raise click.ClickException(str(exc)) from None
    except StorageUnavailable as exc:
        raise click.ClickException(
            f"{exc}\nIs DATABASE_URL right, and has `switchboard db upgrade` been run?"
        ) from None
    finally:
        db.dispose()


class PluginGroup(click.Group):
    """A click group that also lists the commands other layers register as entry points."""

    def _plugins(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group="switchboard.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self._plugins():
            command = self._plugins()[cmd_name].load()
        return command


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="switchboard")
def main() -> None:
    """Switchboard: an IT service management hub.

    Start everything on one machine with `switchboard up`; run the parts as separate processes with
    `switchboard web`, `switchboard smtp`, `switchboard worker` and `switchboard dispatch`.
    Configuration comes from environment variables (see the README).
    """


main.add_command(up)


@main.group()
def db() -> None:
    """Manage the database: migrate it, back it up."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (safe to run repeatedly)."""
    settings = load_settings()
    try:
        where = upgrade_database(settings.database_url, timeout=settings.db_timeout)
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}\nCheck DATABASE_URL.") from None
    click.echo(f"database is up to date ({where})")


@db.command("backup")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def db_backup(folder: Path) -> None:
    """Copy the database and what SWITCHBOARD_HOME keeps into FOLDER (new or empty), while the hub runs.

    SQLite is copied with VACUUM INTO (writers carry on) and checked; PostgreSQL is dumped with pg_dump (restore
    with pg_restore). Then the email attachments, mail template overrides and the secret key. The README's
    "Backups" section says how to restore.

    \b
    Example:
      switchboard db backup /srv/backups/switchboard-$(date +%F)
    """
    settings = load_settings()
    try:
        taken = backup.take(settings, folder, progress=lambda line: click.echo(line, err=True))
    except (BadInput, StorageUnavailable) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # the backup's disk is full, a file under SWITCHBOARD_HOME cannot be read, ...
        raise click.ClickException(f"backup failed, and what it had written is removed: {exc}") from None
    click.echo(f"backup written to {taken.folder}: {taken.database.name} ({taken.check}), "
               f"{taken.files} file(s) from SWITCHBOARD_HOME")  # fmt: skip


@main.group()
def user() -> None:
    """Manage people who can log in to the web UI."""


@user.command("create")
@click.option("--email", required=True, help="Login name and notification address.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
def user_create(email: str, role: str, password: str) -> None:
    """Create a user who can log in to the web UI."""

    def create(session: Session) -> str:
        created = accounts.create_user(session, email=email, password=password, role=role).email
        audit.record(session, audit.CLI, "user.create", created, role=role)
        return created

    click.echo(f"created {role} {in_transaction(create)}")


@user.command("set")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), help="The new role.")
@click.option("--enable/--disable", "active", default=None, help="Let them log in, or not (their history stays).")
def user_set(email: str, role: str | None, active: bool | None) -> None:
    """Change a user's role or switch their account on or off.

    Example: switchboard user set ann@example.com --role admin
    """
    if role is None and active is None:
        raise click.UsageError("nothing to change: give --role, --enable or --disable")

    def change(session: Session) -> str:
        changed = accounts.change_user(session, email, role=role, active=active)
        action = "user.role" if active is None else ("user.enable" if active else "user.disable")
        audit.record(session, audit.CLI, action, changed.email, role=changed.role, active=changed.active)
        return f"{changed.email} is {changed.role}" + ("" if changed.active else " (disabled)")

    click.echo(in_transaction(change))


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'grafana-dashboard'.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
def token_create(name: str, role: str) -> None:
    """Create an API token; it is printed once, as the last line, and stored only as a hash."""

    def create(session: Session) -> str:
        audit.record(session, audit.CLI, "token.create", name, role=role)
        return accounts.create_token(session, name=name, role=role)

    value = in_transaction(create)
    click.echo(f"API token {name!r} ({role}); store it now, it will not be shown again:", err=True)
    click.echo(value)


@main.group()
def integration() -> None:
    """Manage integrations (monitoring tools that post events)."""


@integration.command("create")
@click.option("--kind", type=click.Choice(accounts.INTEGRATION_KINDS), default="generic", show_default=True)
@click.option("--name", required=True, help="Appears in the URL: /api/v1/events/<name>.")
@click.option(
    "--rate-limit", type=click.IntRange(min=1), help="Most requests per minute; more get 429 (default: none)."
)
def integration_create(kind: str, name: str, rate_limit: int | None) -> None:
    """Create an integration; its secret is printed once, as the last line."""

    def create(session: Session) -> str:
        audit.record(session, audit.CLI, "integration.create", name, kind=kind)
        return accounts.create_integration(session, name=name, kind=kind, rate_limit=rate_limit)[1]

    secret = in_transaction(create)
    click.echo(f"integration {name!r} ({kind}) posts to /api/v1/events/{name} with", err=True)
    click.echo("'Authorization: Bearer <secret>'; store the secret now, it will not be shown again:", err=True)
    click.echo(secret)


@integration.command("rotate")
@click.argument("name")
def integration_rotate(name: str) -> None:
    """Give an integration a new secret, printed once as the last line; the old one stops working at once.

    Update the tool's configuration with the new secret right after, or its alerts are refused (401).
    """

    def rotate(session: Session) -> str:
        audit.record(session, audit.CLI, "integration.rotate", name)
        return accounts.rotate_integration_secret(session, name)

    secret = in_transaction(rotate)
    click.echo(f"integration {name!r} has a new secret; store it now, it will not be shown again:", err=True)
    click.echo(secret)


@integration.command("set")
@click.argument("name")
@click.option("--rate-limit", help="Most requests per minute (more get 429), or 'none'.")
@click.option("--reopen-window", help="A trigger this soon after a resolve reopens the incident: 10m, 1h; or 'none'.")
@click.option("--auto-resolve", help="Resolve open incidents after this long without alerts: 30m, 4h; or 'none'.")
@click.option("--threshold", help="Open an incident only after N events with one key within a time: 3/5m; or 'none'.")
@click.option(
    "--flapping", help="N state changes within a time make an alert flapping (notices held): 4/10m; or 'none'."
)
@click.option("--enable/--disable", "enabled", default=None, help="Accept or refuse this integration's events.")
def integration_set(
    name: str,
    rate_limit: str | None,
    reopen_window: str | None,
    auto_resolve: str | None,
    threshold: str | None,
    flapping: str | None,
    enabled: bool | None,
) -> None:
    """Change an integration's settings; only the options given change.

    Example: switchboard integration set prometheus --reopen-window 15m --auto-resolve 4h
    """
    changes: dict[str, Any] = {}
    try:
        if rate_limit is not None:
            changes["rate_limit"] = None if rate_limit == "none" else int(rate_limit)
        if reopen_window is not None:
            changes["reopen_window"] = _seconds(reopen_window)
        if auto_resolve is not None:
            changes["auto_resolve_after"] = _seconds(auto_resolve)
        if threshold is not None:
            changes["threshold"] = _count_within(threshold)
        if flapping is not None:
            changes["flapping"] = _count_within(flapping)
    except (BadInput, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None
    if not changes and enabled is None:
        raise click.UsageError("nothing to change: give --rate-limit, --reopen-window, --auto-resolve, --threshold ...")

    def configure(session: Session) -> None:
        accounts.configure_integration(session, name, enabled=enabled, **changes)
        audit.record(session, audit.CLI, "integration.configure", name, **{k: v for k, v in changes.items()},
                     **({} if enabled is None else {"enabled": enabled}))  # fmt: skip

    in_transaction(configure)
    click.echo(f"updated integration {name!r} (other processes pick it up within a second)")


def _seconds(text: str) -> int | None:
    return None if text == "none" else int(parse_duration(text).total_seconds())


def _count_within(text: str) -> tuple[int, int] | None:
    """`3/5m`: a count within a time, as (count, seconds); `none` clears it."""
    if text == "none":
        return None
    count, slash, window = text.partition("/")
    number = whole_number(count)
    if not slash or number is None:
        raise BadInput(f"{text!r} is not a count within a time; write it as 3/5m")
    return number, int(parse_duration(window).total_seconds())


@main.group()
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
def silence_add(
    matches: tuple[str, ...], duration: str | None, starts: datetime | None, every: str | None, tz: str, comment: str
) -> None:
    """Add a silence.

    \b
    A one-off maintenance window:
      switchboard silence add --match labels.team=db --duration 2h --comment "DB upgrade"
    Every Sunday night's backups, for a year:
      switchboard silence add --match labels.job=backup --every "sun 01:00-05:00" --tz Europe/Berlin
    """

    def work(session: Session) -> int:
        start = starts.replace(tzinfo=UTC) if starts else utcnow()
        matchers = [silences.parse_matcher(m) for m in matches]
        weekly = parse_window(every, tz) if every else None
        length = parse_duration(duration) if duration else (silences.RECURRING_FOR if weekly else timedelta(hours=2))
        row = silences.add_silence(session, matchers=matchers, starts_at=start, ends_at=start + length,
                                   comment=comment, created_by="cli", every=weekly)  # fmt: skip
        audit.record(session, audit.CLI, "silence.create", f"silence {row.id}", silence=silences.describe(row))
        return row.id

    click.echo(f"added silence {in_transaction(work)}")


@silence.command("list")
def silence_list() -> None:
    """Print the silences that have not ended."""
    for row in in_transaction(silences.active):
        click.echo(f"{row.id:>4}  {row.starts_at:%Y-%m-%d %H:%M} .. {row.ends_at:%Y-%m-%d %H:%M} UTC  "
                   f"{silences.describe(row)}  # {row.comment}")  # fmt: skip


@silence.command("expire")
@click.argument("silence_id", type=ROW_ID)
def silence_expire(silence_id: int) -> None:
    """End silence SILENCE_ID now."""
    in_transaction(lambda s: silences.expire_silence(s, silence_id))
    click.echo(f"expired silence {silence_id}")
