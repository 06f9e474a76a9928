"""`switchboard worker` and `switchboard dispatch`, registered through the `switchboard.commands` entry points.

Each command imports what it works with when it runs (see hub/cli.py).
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click

from hub.cli import load_settings, open_database
from hub.config import Settings, without_password
from hub.errors import StorageUnavailable
from outbound.errors import QueueUnavailable

if TYPE_CHECKING:
    import redis
    from rq import Queue

    from hub.db import Database


def _redis_url(settings: Settings) -> str:
    if settings.redis_url is None:
        raise click.ClickException(
            "REDIS_URL is not set. Point it at your Redis (e.g. redis://localhost:6379/0), "
            "or run `switchboard up`, which starts an embedded Redis and sets REDIS_URL for its parts."
        )
    return settings.redis_url


def _log_to_stderr() -> None:
    """Show our own log lines (including console-delivered mail) next to RQ's, which configures only its own.

    Like RQ, leave logging alone when something (an application, a test runner) already handles these records.
    """
    logger = logging.getLogger("switchboard")
    if not logger.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@click.command()
@click.option("--burst", is_flag=True, help="Deliver everything queued now, then exit.")
@click.option(
    "--fork/--no-fork",
    default=False,
    show_default=True,
    help=(
        "Run each job in a forked child (RQ's Worker), which isolates crashes and memory leaks but is slower: "
        "about 64 jobs/s here against about 230 for the default non-forking SimpleWorker."
    ),
)
def worker(burst: bool, fork: bool) -> None:
    """Deliver notifications: run an RQ worker on the 'notifications' queue in REDIS_URL.

    Each job delivers a batch of notifications, several at a time. SIGTERM or Ctrl-C stops it warmly: the batch in
    progress finishes first (a second signal stops at once). A notification that fails for now is retried on its
    own (SWITCHBOARD_RETRY_FIRST, _RETRY_CAP, _RETRY_GIVE_UP: 10 s doubling to 60 s, for 24 h by default), then
    dead-lettered; see `switchboard outbox list --dead`.
    """
    import redis

    from outbound import runtime
    from outbound.channels.email import Relay
    from outbound.queue import connect

    settings = load_settings()
    url = _redis_url(settings)
    if settings.smtp_relay is not None:
        try:  # fail at start, not on every delivery
            Relay.from_url(settings.smtp_relay)
        except ValueError as exc:
            raise click.ClickException(f"configuration: SWITCHBOARD_SMTP_RELAY: {exc}") from None
    _log_to_stderr()
    runtime.install(settings)  # jobs in this process (or its forked children) use these settings
    connection = connect(url, timeout=None)  # RQ sets a socket timeout longer than its blocking dequeue
    try:
        connection.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        connection.close()
        raise click.ClickException(f"cannot reach Redis at {without_password(url)}: {exc}") from None
    try:
        _work_through_outages(connection, url, burst=burst, fork=fork)
    finally:
        runtime.reset()
        connection.close()


def _work_through_outages(connection: redis.Redis, url: str, *, burst: bool, fork: bool) -> None:
    """Run the worker; when Redis goes away under it, wait for it to come back and start again.

    RQ rides out a Redis that is briefly away while it waits for jobs, but not everywhere (registration,
    heartbeats), so the worker is restarted here; whatever it held is found again by the dispatcher's sweep.
    """
    import redis

    from outbound.worker import STOP_SIGNALS, run_worker

    log = logging.getLogger("switchboard.outbound")
    stop = threading.Event()  # a SIGTERM or SIGINT, whenever it came: never start again after one

    def _request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in STOP_SIGNALS}
    pause = 0.5
    try:
        while not stop.is_set():
            try:
                run_worker(connection, burst=burst, fork=fork, stop=stop)
                return
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not stop.is_set():
                    log.warning("lost Redis at %s (%s); starting again in %.1f s", without_password(url), exc, pause)
                    stop.wait(pause)
                    pause = min(pause * 2, 5.0)
                if stop.is_set():  # asked before the worker gave up, or during the pause: say why it stops either way
                    log.warning("stopping while Redis at %s is away (%s)", without_password(url), exc)
                    return
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command()
@click.option("--once", is_flag=True, help="Move everything pending now onto the queue, print how many, and exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.01),
    default=0.2,
    show_default=True,
    help="Seconds between looks at the outbox when it is empty.",
)
def dispatch(once: bool, interval: float) -> None:
    """Move pending notifications from the outbox (database) onto the 'notifications' queue (Redis).

    Run one or more next to the workers; several dispatchers share the work on PostgreSQL. When Redis is down,
    notifications stay in the outbox and go out when it returns. SIGTERM or Ctrl-C stops it between batches.
    """
    import redis

    from hub import approval_reminders, incident_words, retention
    from hub.intake_notices import NoticeSettings
    from hub.mail_templates import MailTemplates
    from hub.maintenance import auto_close_chore, plugged_chores, upkeep
    from outbound import escalations, problem_incidents
    from outbound.dispatcher import run_dispatcher
    from outbound.queue import QUEUE_NAME, connect, make_queue

    settings = load_settings()
    url = _redis_url(settings)
    _log_to_stderr()
    db = open_database(settings)
    connection = connect(url)
    queue = make_queue(connection)
    try:
        if once:
            click.echo(f"moved {_drain(db, queue)} notification(s) to the {QUEUE_NAME!r} queue")
            return
        try:  # an idle dispatcher does not talk to Redis, so a wrong REDIS_URL would go unnoticed until mail is owed
            connection.ping()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            logging.getLogger("switchboard.outbound").warning(
                "Redis at %s does not answer (%s): notifications stay in the outbox until it does; "
                "check REDIS_URL. Periodic chores (SLA, auto-resolve, retention) run meanwhile.",
                without_password(url), exc,
            )  # fmt: skip
        stop = threading.Event()

        def _request_stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _request_stop)
        signal.signal(signal.SIGINT, _request_stop)
        notice_settings = NoticeSettings(settings.desk_addresses, settings.base_url, MailTemplates.at(settings.home),
                                         secret_key=settings.secret_key, timezone=settings.timezone)  # fmt: skip
        # Old alert repeats deleted now and then, and the chores other layers add (e.g. the rules' decisions on
        # SLA warnings and breaches, which are ingest's).
        chores = [retention.chore(settings, db), auto_close_chore(settings, db),
                  approval_reminders.chore(settings, db), *plugged_chores(settings, db)]  # fmt: skip
        # The words of new incidents, every few seconds (hub/incident_words.py): the list's search needs them soon,
        # and the intake must not pay for them.
        index_words = incident_words.Indexer(db)

        def each_round() -> None:
            escalations.schedule(db, queue)
            problem_incidents.schedule(db, queue)  # the next batch of a problem's incidents, at once
            index_words()

        run_dispatcher(db, queue, interval=interval, stop=stop, upkeep=lambda: upkeep(db, notice_settings, chores),
                       each_round=each_round)  # fmt: skip
    finally:
        connection.close()
        db.dispose()


def _drain(db: Database, queue: Queue) -> int:
    """Move batches until one comes back short; report Redis or database trouble instead of returning 0."""
    from outbound.dispatcher import BATCH, move_batch

    total = 0
    try:
        while True:
            moved = move_batch(db, queue, batch=BATCH)
            total += moved
            if moved < BATCH:
                return total
    except QueueUnavailable as exc:
        raise click.ClickException(f"{exc}; {total} notification(s) were moved, the rest stay pending") from None
    except StorageUnavailable as exc:
        hint = "Is DATABASE_URL right, and has `switchboard db upgrade` been run?"
        raise click.ClickException(f"{exc}\n{hint}") from None
