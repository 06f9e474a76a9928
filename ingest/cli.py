"""`switchboard smtp`: the service desk's SMTP listener as its own process."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from hub.cli import load_settings, open_database
from ingest.pipeline import make_intake
from ingest.smtp import make_controller


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
