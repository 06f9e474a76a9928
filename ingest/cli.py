"""`switchboard smtp`: the service desk's SMTP listener as its own process."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import click
from sqlalchemy import select

from hub import accounts
from hub.cli import in_transaction, load_settings, open_database
from hub.models import Event, Integration
from ingest.errors import InvalidPayload
from ingest.pipeline import make_intake
from ingest.smtp import make_controller
from ingest.webhooks import mapping as webhook_mapping


@click.command()
def smtp() -> None:
    """Receive email for the desk address(es) on SWITCHBOARD_SMTP_PORT (default 2525).

    Mail for other addresses is refused (550); each accepted message becomes an incident or a reply to one.
    Point your mail server's transport for the desk address here, or test with:
    swaks --server 127.0.0.1:2525 --to helpdesk@localhost --from you@example.com --header "Subject: Printer jam"
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s smtp %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
    settings = load_settings()
    db = open_database(settings)
    controller = make_controller(settings, make_intake(settings, db))
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(
            f"cannot listen on {settings.bind_host}:{settings.smtp_port}: {exc}. Is the port in use? "
            "Set SWITCHBOARD_SMTP_PORT."
        ) from None
    click.echo(f"smtp: listening on {settings.bind_host}:{settings.smtp_port} for {', '.join(settings.desk_addresses)}")
    stop.wait()
    controller.stop()
    db.dispose()


@click.group()
def mapping() -> None:
    """Map a tool's own JSON onto a generic integration with JMESPath (see docs/integrations.md)."""


def _load_spec(path: str) -> dict[str, Any]:
    try:
        spec = json.loads(Path(path).read_text())
        return webhook_mapping.check(spec)
    except (OSError, json.JSONDecodeError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}") from None
    except InvalidPayload as exc:
        raise click.BadParameter(str(exc)) from None


@mapping.command("set")
@click.argument("name")
@click.argument("mapping_file", type=click.Path(exists=True, dir_okay=False))
def mapping_set(name: str, mapping_file: str) -> None:
    """Give generic integration NAME the mapping in MAPPING_FILE (a JSON object; `switchboard mapping preview`
    first to see what it makes of the last payloads)."""
    spec = _load_spec(mapping_file)
    in_transaction(lambda s: accounts.configure_integration(s, name, mapping=spec))
    click.echo(f"integration {name!r} now maps its payloads with {mapping_file}")


@mapping.command("clear")
@click.argument("name")
def mapping_clear(name: str) -> None:
    """Remove NAME's mapping: its payloads must then be in the generic shape."""
    in_transaction(lambda s: accounts.configure_integration(s, name, mapping=None))
    click.echo(f"integration {name!r} has no mapping")


@mapping.command("preview")
@click.argument("name")
@click.option("--file", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help="Try this mapping instead of the saved one.")  # fmt: skip
@click.option("--last", default=5, show_default=True, help="How many of the latest payloads to try it on.")
def mapping_preview(name: str, mapping_file: str | None, last: int) -> None:
    """Show what a mapping makes of NAME's latest payloads, without saving anything."""

    def latest(session: Any) -> tuple[dict[str, Any] | None, list[bytes]]:
        row = session.scalar(select(Integration).where(Integration.name == name))
        if row is None:
            raise click.ClickException(f"there is no integration {name!r}")
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
