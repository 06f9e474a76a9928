"""`switchboard up`: the whole hub as one process tree on one machine.

It starts the embedded Redis (when REDIS_URL is unset), migrates the database, then runs each part as a child
process exactly as the Procfile would (`switchboard web|smtp|imap|worker|dispatch`), watches them, and stops them in
order on Ctrl-C or SIGTERM: intake first, so nothing is accepted that cannot be finished, workers last.

It imports what it works with (Redis, SQLAlchemy, Alembic...) when it runs (see hub/cli.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from hub import run_lock
from hub.config import Settings
from hub.errors import ConfigError, StorageUnavailable
from hub.net import cannot_listen, wait_for_port
from hub.processes import spawn

if TYPE_CHECKING:
    from hub.redis_server import RedisServer

#: Start order; shutdown runs in reverse. `imap` always runs: with no mailboxes configured it only re-reads the
#: list now and then, so a mailbox added later is watched without a restart.
PARTS = ("worker", "dispatch", "smtp", "imap", "web")
#: A worker may be in the middle of an SMTP exchange (30 s socket timeout): give it time to finish.
STOP_TIMEOUT = {"worker": 35.0}


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


def _spawn(name: str, env: dict[str, str]) -> Child:
    return Child(name, spawn([sys.executable, "-m", "hub", name], env=env))


def _stop(children: list[Child]) -> None:
    for child in reversed(children):
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
            timeout = STOP_TIMEOUT.get(child.name, 15.0)
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                click.echo(f"up: {child.name} did not stop in {timeout:.0f}s; killing it", err=True)
                child.process.kill()
                child.process.wait()


@click.command()
@click.option("--workers", default=1, show_default=True, help="How many RQ worker processes to run.")
def up(workers: int) -> None:
    """Start the whole hub: web UI and API, SMTP listener, IMAP import, dispatcher and workers (Ctrl-C stops it)."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None

    try:  # first: a second hub on this home is told so, not that its ports are taken
        lock = run_lock.take(settings.home)
    except run_lock.AlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    try:
        _run(settings, workers)
    finally:
        lock.release()
    click.echo("up: stopped")


def _run(settings: Settings, workers: int) -> None:
    """Run the hub till asked to stop, holding the home's lock."""
    from hub import telemetry
    from hub.redis_server import RedisServer

    _check_ports_free(settings)
    if settings.redis_url is not None:
        _check_redis(settings.redis_url)
    stopping = False

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    env = dict(os.environ, SWITCHBOARD_HOME=str(settings.home), SECRET_KEY=settings.secret_key)
    telemetry.prepare_multiprocess_dir(settings.home, env)  # web workers and the SMTP listener share /metrics
    redis_server: RedisServer | None = None
    restarts: list[float] = []  # when the embedded Redis was started again
    children: list[Child] = []
    try:
        if settings.redis_url is None:
            click.echo(f"up: starting embedded Redis in {settings.home / 'redis'}")
            redis_server = RedisServer(
                settings.home / "redis", socket_name=_socket_of_this_run(settings.home / "redis")
            )
            redis_server.start()
            env["REDIS_URL"] = redis_server.url
        click.echo("up: migrating the database")
        _migrate(settings)
        if (sealed := seal_at_start(settings)) is not None:
            click.echo(f"up: {sealed}", err=True)
        for name in PARTS:
            for _ in range(workers if name == "worker" else 1):
                children.append(_spawn(name, env))
        wait_for_port(settings.bind_host, settings.web_port, timeout=30)
        wait_for_port(settings.bind_host, settings.smtp_port, timeout=30)
        click.echo(
            f"up: Switchboard is running. Web UI and API: {settings.base_url}  "
            f"SMTP: {settings.bind_host}:{settings.smtp_port} (desk: {', '.join(settings.desk_addresses)})  "
            "Press Ctrl-C to stop."
        )
        if (hint := _first_login_hint(settings)) is not None:
            click.echo(hint)
        while not stopping:
            dead = next((c for c in children if c.process.poll() is not None), None)
            if dead is not None:
                raise click.ClickException(f"{dead.name} exited with status {dead.process.returncode}; stopping")
            if redis_server is not None and redis_server.exited:
                _restart_redis(redis_server, restarts)
            time.sleep(0.2)
        click.echo("up: stopping")
    except TimeoutError as exc:
        raise click.ClickException(f"{exc}; see the messages above") from None
    finally:
        _stop(children)
        if redis_server is not None:
            redis_server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _socket_of_this_run(folder: Path) -> str:
    """The embedded Redis's socket for this run, named by our pid; those earlier runs left (a Redis killed with -9
    keeps its socket file) are removed, which is safe while we hold the home's lock: no other hub uses them."""
    for stale in folder.glob("redis-*.sock"):
        stale.unlink(missing_ok=True)
    return f"redis-{os.getpid()}.sock"


def _check_redis(url: str) -> None:
    """A REDIS_URL that does not answer: say so before starting anything (the worker would exit at once, and
    with it the hub)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise click.ClickException(
            f"Redis at REDIS_URL does not answer ({exc}): start it, or unset REDIS_URL to use the embedded one"
        ) from None
    finally:
        client.close()


#: The embedded Redis is started again after it dies, but not more than this often within RESTART_WINDOW seconds.
MAX_RESTARTS, RESTART_WINDOW = 5, 60.0


def _restart_redis(server: RedisServer, restarts: list[float]) -> None:
    """The embedded Redis is ours to keep running: start it again on the same socket, where the parts reconnect
    by themselves (meanwhile the outbox holds every notification, and ingest goes on). One that keeps dying
    (a full disk, say) stops the hub instead, pointing at its log."""
    now = time.monotonic()
    restarts[:] = [t for t in restarts if now - t < RESTART_WINDOW] + [now]
    log = server.directory / "redis.log"
    if len(restarts) > MAX_RESTARTS:
        raise click.ClickException(f"the embedded Redis stopped {len(restarts)} times within a minute; see {log}")
    click.echo("up: the embedded Redis stopped; starting it again", err=True)
    try:
        server.start()
    except RuntimeError as exc:
        raise click.ClickException(f"the embedded Redis stopped and could not be started again: {exc}") from None


def _migrate(settings: Settings) -> None:
    from hub.migrate import upgrade_database

    try:
        upgrade_database(settings.database_url, timeout=settings.db_timeout)
    except StorageUnavailable as exc:
        raise click.ClickException(f"{exc}\nCheck DATABASE_URL.") from None


def seal_at_start(settings: Settings) -> str | None:
    """Seal what an older version kept plain, or a former key sealed (SWITCHBOARD_OLD_SECRET_KEYS), under this
    key: on one machine every part runs with the key `up` hands it, so after an upgrade or a new key there is no
    `switchboard db reseal` to remember. What it did, or why it could not, in words; None when nothing was due."""
    from hub import reseal
    from hub.db import Database
    from hub.sealed import CannotOpen, Keyring

    db = Database.connect(settings.database_url, timeout=settings.db_timeout)
    try:
        with db.transaction() as session:
            done = reseal.reseal(session, Keyring.of(settings))
    except CannotOpen as exc:  # the hub still starts: each such secret says so where it is used
        return f"secrets left as they were: {exc}"
    except StorageUnavailable as exc:
        return f"secrets not checked, the database did not answer: {exc}"
    finally:
        db.dispose()
    count = sum(column.rewritten for column in done)
    return f"sealed {count} secret(s) under the current SECRET_KEY" if count else None


def _first_login_hint(settings: Settings) -> str | None:
    """What to do before anyone can log in, while no one has an account: the login page says so too, but only to
    whoever opens it."""
    from hub.accounts import FIRST_ADMIN_COMMAND, has_users
    from hub.db import Database

    db = Database.connect(settings.database_url, timeout=settings.db_timeout)
    try:
        with db.read() as session:
            if has_users(session):
                return None
    except StorageUnavailable:
        return None  # it answered the migration a moment ago: a hiccup is no reason to stop the hub
    finally:
        db.dispose()
    return f"up: no one can log in yet: in another terminal run  {FIRST_ADMIN_COMMAND}"


def _check_ports_free(settings: Settings) -> None:
    """Fail before starting anything when a port is taken, rather than report a hub that is not ours."""
    for name, port in (("SWITCHBOARD_WEB_PORT", settings.web_port), ("SWITCHBOARD_SMTP_PORT", settings.smtp_port)):
        if (problem := cannot_listen(settings.bind_host, port, name)) is not None:
            raise click.ClickException(problem)
