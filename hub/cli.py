"""The `switchboard` command. Hub's own commands live in their own modules (OWN_COMMANDS); each layer adds its own
through the `switchboard.commands` entry point group (see pyproject.toml), so this module never imports upwards.

Every command is imported only when it runs, and `switchboard --help` lists them from hub/command_index.py:
importing them all (Flask, gunicorn, SQLAlchemy, Alembic, aiosmtpd, RQ...) made it take well over a second.
A command's own module is still imported for `switchboard <command> ... --help`, so each command imports what it
works with (SQLAlchemy and the models, Flask, RQ, Redis, aiosmtpd, IMAPClient, argon2...) in its body, when it runs,
and imports needed only for type hints sit under TYPE_CHECKING: otherwise that help took up to a second too.
tests/hub/test_cli.py asks every command for its help and checks none of them is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, TypeVar

import click

from hub import zones
from hub.command_index import SHORT_HELP
from hub.config import Settings
from hub.errors import BadField, BadInput, ConfigError, StorageUnavailable
from hub.numbers import MAX_EVENT_ID, MAX_ID

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hub.db import Database

ENTRY_POINT_GROUP = "switchboard.commands"
#: Hub's own commands and where they are defined: loaded like the entry points, but adding one needs no reinstall.
OWN_COMMANDS = {
    "article": "hub.knowledge_cli:article",
    "calendar": "hub.calendar_cli:calendar",
    "change": "hub.change_cli:change",
    "channel": "hub.notify_cli:channel",
    "ci": "hub.ci_cli:ci",
    "db": "hub.db_cli:db",
    "desk": "hub.desk_cli:desk",
    "escalation": "hub.escalation_cli:escalation_group",
    "freeze": "hub.change_cli:freeze",
    "heartbeat": "hub.heartbeat_cli:heartbeat",
    "incident": "hub.incident_cli:incident",
    "integration": "hub.account_cli:integration",
    "oncall": "hub.oncall_cli:oncall_group",
    "outbox": "hub.notify_cli:outbox",
    "problem": "hub.problem_cli:problem",
    "request-type": "hub.request_type_cli:request_type",
    "requester": "hub.requester_cli:requester",
    "review": "hub.major_cli:review",
    "service": "hub.service_cli:service",
    "silence": "hub.silence_cli:silence",
    "sla": "hub.sla_cli:sla",
    "template": "hub.template_cli:template",
    "time": "hub.time_cli:time_group",
    "token": "hub.account_cli:token",
    "up": "hub.supervisor:up",
    "user": "hub.account_cli:user",
}

#: Keys of click's per-command `meta`: whether `--utc` was given, and the zone times are printed in.
_UTC = "switchboard.utc"
_ZONE = "switchboard.printing_zone"

#: Ids typed on the command line: a number no row can have is refused before PostgreSQL refuses to compare with it.
ROW_ID = click.IntRange(1, MAX_ID)
EVENT_ID = click.IntRange(1, MAX_EVENT_ID)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def load_settings() -> Settings:
    """Settings from the environment, with a readable error instead of a traceback."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


def open_database(settings: Settings) -> Database:
    from hub.db import Database  # here, not at the top: SQLAlchemy is no part of `switchboard --help`

    return Database.connect(settings.database_url, timeout=settings.db_timeout)


def in_transaction(work: Callable[[Any], Any]) -> Any:
    """Run `work(session)` in one transaction against the configured database; errors say what to do next."""

    def run(db: Database, _: Settings) -> Any:
        with db.transaction() as session:
            return work(session)

    return with_database(run)


def with_database(work: Callable[[Database, Settings], Any]) -> Any:
    """Run `work(db, settings)` against the configured database, for hub actions that open their own transactions
    (an agent's action on an incident); errors say what to do next."""
    settings = load_settings()
    db = open_database(settings)
    try:
        return work(db, settings)
    except BadInput as exc:
        raise click.ClickException(str(exc)) from None
    except StorageUnavailable as exc:
        raise click.ClickException(
            f"{exc}\nIs DATABASE_URL right, and has `switchboard db upgrade` been run?"
        ) from None
    finally:
        db.dispose()


def printed_time(moment: datetime, *, seconds: bool = False) -> str:
    """An instant as a command prints it: the installation's wall clock with its abbreviation, as the pages without
    a login show it (`2026-11-27 10:14 CET`), or UTC's under `switchboard --utc`. Typed times stay UTC."""
    return zones.wall_clock(moment, _printing_zone(), seconds=seconds)


def _printing_zone() -> ZoneInfo:
    """The zone of `printed_time`, worked out once per command (outside one, as for a test calling a command's
    function directly: the installation's)."""
    context = click.get_current_context(silent=True)
    meta: dict[str, Any] = context.meta if context is not None else {}
    if _ZONE not in meta:
        meta[_ZONE] = zones.zone_of(zones.DEFAULT if meta.get(_UTC) else load_settings().timezone)
    zone: ZoneInfo = meta[_ZONE]
    return zone


def option_value(parse: Callable[[], T]) -> T:
    """What a hub parser makes of an option's value; its BadField is shown as that option's mistake."""
    try:
        return parse()
    except BadField as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field.replace('_', '-')}") from None


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, in the order given: what commands that add and change the same
    thing (`sla add` and `sla set`) share, written once."""

    def decorate(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate


def incident_number(ref: str) -> int:
    """The id of an incident reference typed as an argument (INC-7, any case), or a usage error saying so."""
    from hub.domain import parse_ref

    found = parse_ref(ref)
    if found is None:
        raise click.BadParameter(f"{ref!r} is not an incident reference like INC-7", param_hint="REF")
    return found


class EntryPointGroup(click.Group):
    """A click group that also offers the commands other layers register under `entry_point_group` (and those of
    `own`, named the same way), each imported only when it runs."""

    entry_point_group = ""
    own: Mapping[str, str] = {}

    def _entry_points(self) -> dict[str, EntryPoint]:
        own = [EntryPoint(name, value, self.entry_point_group) for name, value in self.own.items()]
        return {ep.name: ep for ep in (*entry_points(group=self.entry_point_group), *own)}  # own ones win a clash

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._entry_points()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and (found := self._entry_points().get(cmd_name)) is not None:
            command = found.load()
        return command


class PluginGroup(EntryPointGroup):
    """`switchboard` itself: hub's own commands (OWN_COMMANDS) and those other layers register as entry points."""

    entry_point_group = ENTRY_POINT_GROUP
    own = OWN_COMMANDS

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands as click does, each with its line from SHORT_HELP instead of importing it."""
        # Stand-ins that carry only that line, so click's own layout (column widths, shortening) applies unchanged.
        listed = {
            name: click.Command(name, help=SHORT_HELP[name]) if name in SHORT_HELP else self.get_command(ctx, name)
            for name in self.list_commands(ctx)
        }
        click.Group(commands={n: c for n, c in listed.items() if c is not None}).format_commands(ctx, formatter)


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="switchboard")
@click.option("--utc", is_flag=True, help="Print times in UTC rather than in SWITCHBOARD_TIMEZONE.")
@click.pass_context
def main(ctx: click.Context, utc: bool) -> None:
    """Switchboard: an IT service management hub.

    Start everything on one machine with `switchboard up`; run the parts as separate processes (the Procfile's
    lines) with `switchboard web`, `switchboard smtp`, `switchboard imap`, `switchboard dispatch` and `switchboard
    worker`, after `switchboard db upgrade`.
    Configuration comes from environment variables (see the README). Commands print times in
    SWITCHBOARD_TIMEZONE with its abbreviation (`2026-11-27 10:14 CET`); `switchboard --utc ...` prints them in UTC.
    """
    ctx.meta[_UTC] = utc
