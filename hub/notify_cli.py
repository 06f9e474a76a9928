"""`switchboard channel ...` and `switchboard outbox ...`: where notifications go, and those not delivered.

Registered through the `switchboard.commands` entry points like every layer's commands; they use only the hub.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

import click

from hub.cli import ROW_ID, in_transaction, load_settings, printed_time
from hub.domain import CHANNEL_KINDS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def channel() -> None:
    """Manage channels: email addresses, webhooks and chat rooms that rules can send notifications to."""


def _header(values: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, colon, text = value.partition(":")
        if not colon or not name.strip():
            raise click.BadParameter(f"{value!r} is not 'Name: value'", param_hint="--header")
        headers[name.strip()] = text.strip()
    return headers


@channel.command("create")
@click.option("--kind", type=click.Choice(CHANNEL_KINDS), required=True, help="What the channel is.")
@click.option("--name", required=True, help="How rules name it: lowercase letters, digits, '.', '-', '_'.")
@click.option("--url", help="The webhook or incoming-webhook URL (all kinds but email).")
@click.option("--to", "to", help="The address to write to (email channels).")
@click.option("--method", default="POST", show_default=True, help="HTTP method (webhooks): POST, PUT or PATCH.")
@click.option("--header", "headers", multiple=True, help="'Name: value' sent with each request (webhooks); repeat.")
@click.option(
    "--body-template",
    type=click.File("r"),
    help="A file with a Jinja2 body template (webhooks); checked now, as JSON unless --header sets another "
    "Content-Type. Default: a JSON document with the incident.",
)
def channel_create(
    kind: str,
    name: str,
    url: str | None,
    to: str | None,
    method: str,
    headers: tuple[str, ...],
    body_template: TextIO | None,
) -> None:
    """Create a channel. A webhook's signing secret is printed once, as the last line.

    \b
    Examples:
      switchboard channel create --kind email --name dba-team --to dba@example.com
      switchboard channel create --kind webhook --name ops-bot --url https://bot.example/hook
      switchboard channel create --kind slack --name ops-room --url https://hooks.slack.com/services/T/B/X
    """
    from hub import channels
    from hub.sealed import Keyring

    template = body_template.read() if body_template is not None else None
    settings = load_settings()
    keys = Keyring.of(settings)

    def work(session: Session) -> tuple[channels.ChannelSpec, str | None]:
        return channels.create_channel(session, kind=kind, name=name, url=url, to=to, method=method,
                                       headers=_header(headers), body_template=template, keys=keys,
                                       reach=settings.webhook_targets)  # fmt: skip

    spec, secret = in_transaction(work)
    click.echo(f"created {spec.kind} channel {spec.name!r} -> {spec.to_address or spec.url}", err=secret is not None)
    if secret is not None:
        click.echo("receivers verify X-Switchboard-Signature with this secret; store it now, it is not shown again:",
                   err=True)  # fmt: skip
        click.echo(secret)


@channel.command("list")
def channel_list() -> None:
    """Print every channel: name, kind, where it sends, whether it is enabled, and why it cannot send if so."""
    from hub import channels
    from hub.sealed import Keyring

    keys = Keyring.of(load_settings())
    specs = in_transaction(lambda s: channels.list_channels(s, keys))
    if not specs:
        click.echo("no channels yet; add one with `switchboard channel create`")
    for spec in specs:
        state = "" if spec.enabled else "  (disabled)"
        click.echo(f"{spec.name:<24} {spec.kind:<11} {spec.to_address or spec.url}{state}")
        if spec.problem:
            click.echo(f"    cannot send: {spec.problem}")


@channel.command("remove")
@click.argument("name")
def channel_remove(name: str) -> None:
    """Remove channel NAME; notifications still owed to it are dead-lettered when their turn comes."""
    from hub import channels

    in_transaction(lambda s: channels.remove_channel(s, name))
    click.echo(f"removed channel {name!r}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def outbox() -> None:
    """Notifications not delivered yet: list them, retry dead ones, discard one."""


@outbox.command("list")
@click.option("--dead", is_flag=True, help="Only the dead-lettered ones (failed for good or for too long).")
def outbox_list(dead: bool) -> None:
    """Print every undelivered notification: id, state, incident, kind, recipient, attempts and last error."""
    from hub import outbox_admin

    items = in_transaction(lambda s: outbox_admin.undelivered(s, dead_only=dead))
    if not items:
        click.echo("no dead notifications" if dead else "every notification has been delivered")
        return
    for item in items:
        retry = item.next_attempt_at if item.status == "pending" else None
        due = f" next {printed_time(retry, seconds=True)}" if retry is not None else ""
        error = f"  {item.last_error}" if item.last_error else ""
        click.echo(
            f"{item.id:>6} {item.status:<8} {item.incident or '-':<10} {item.kind:<15} {item.channel}:{item.recipient}"
            f"  attempts={item.attempts}{due}{error}"
        )


@outbox.command("retry")
@click.argument("outbox_id", type=ROW_ID, required=False)
@click.option("--all-dead", is_flag=True, help="Retry every dead notification.")
def outbox_retry(outbox_id: int | None, all_dead: bool) -> None:
    """Send dead notification OUTBOX_ID (or --all-dead) again, with a fresh retry budget."""
    from hub import outbox_admin

    if (outbox_id is None) == (not all_dead):
        raise click.UsageError("give one notification id, or --all-dead")
    if all_dead:
        count = in_transaction(lambda s: outbox_admin.retry_all_dead(s, by="cli"))
        click.echo(f"{count} dead notification(s) will be sent again")
        return
    assert outbox_id is not None
    in_transaction(lambda s: outbox_admin.retry(s, outbox_id, by="cli"))
    click.echo(f"notification {outbox_id} will be sent again")


@outbox.command("discard")
@click.argument("outbox_id", type=ROW_ID)
def outbox_discard(outbox_id: int) -> None:
    """Give up on undelivered notification OUTBOX_ID for good (it stays on record as discarded)."""
    from hub import outbox_admin

    in_transaction(lambda s: outbox_admin.discard(s, outbox_id, by="cli"))
    click.echo(f"notification {outbox_id} discarded")
