"""`switchboard web`: serve the web UI and API with gunicorn.

It imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import os
import sys

import click

from hub.cli import load_settings
from hub.config import Settings
from hub.net import cannot_listen

#: What `switchboard web` says when started without Redis, where the limits are counted: otherwise password guessing
#: would go unchecked, and nothing would say so.
NO_LIMITS = (
    "web: warning: REDIS_URL is not set, so no limit is counted: failed logins (password guessing), webhooks' rate "
    "limits and the public forms' limits; set REDIS_URL (switchboard up starts a Redis itself)"
)
#: Seconds gunicorn gives in-flight requests after SIGTERM; under the 15 s `switchboard up` waits before a kill.
GRACEFUL_TIMEOUT = 10


def gunicorn_argv(settings: Settings, app: str = "web.wsgi:app") -> list[str]:
    """The gunicorn command line for these settings (pure, so it can be tested without starting anything)."""
    host = f"[{settings.bind_host}]" if ":" in settings.bind_host else settings.bind_host
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{settings.web_port}",
        "--workers",
        str(settings.web_workers),
        # Sync workers: measured faster here than gthread for the event path, which is CPU-bound (see
        # bench/webhook_ingest.py); SQLite writers queue on hub.sqlite_writes either way.
        "--worker-class",
        "sync",
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT),
        # gunicorn's control socket defaults to one path per user; two hubs on one machine would share it.
        "--no-control-socket",
        app,
    ]


@click.command()
def web() -> None:
    """Serve the web UI and HTTP API (gunicorn) on SWITCHBOARD_BIND:SWITCHBOARD_WEB_PORT.

    The number of worker processes is SWITCHBOARD_WEB_WORKERS (default 2). This process becomes gunicorn, so
    SIGTERM reaches it directly: it stops accepting, lets requests in flight finish, then exits.
    """
    from hub import telemetry

    settings = load_settings()  # fail here, readably, rather than in every gunicorn worker
    if settings.web_workers < 1:
        raise click.ClickException("configuration: SWITCHBOARD_WEB_WORKERS must be at least 1")
    if (problem := cannot_listen(settings.bind_host, settings.web_port, "SWITCHBOARD_WEB_PORT")) is not None:
        raise click.ClickException(problem)  # gunicorn would retry for 5 s, then say only "Can't connect"
    telemetry.prepare_multiprocess_dir(settings.home, os.environ)  # gunicorn and its workers inherit it
    argv = gunicorn_argv(settings)
    if settings.redis_url is None:  # web/ratelimit.py lets everything through without it
        click.echo(NO_LIMITS, err=True)
    click.echo(f"web: serving on http://{argv[4]} with {settings.web_workers} worker(s)", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)
