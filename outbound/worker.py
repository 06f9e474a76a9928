"""The RQ worker that delivers notifications, stopping warmly on SIGTERM or SIGINT from its first moment.

RQ turns SIGTERM into a warm shutdown (finish the job in hand, then stop), but installs that handler only after it
has registered with Redis and started its scheduler; a SIGTERM in that window (`switchboard up` stopped right after
starting) would kill the process outright. Here a stop asked for during start-up is remembered and honoured as soon
as RQ's own handlers are in place, before any job is taken.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import redis
from rq import SimpleWorker, Worker

from outbound.queue import make_queue

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _WarmFromStart:
    """Mixed into RQ's worker classes: honours a stop requested before RQ installed its signal handlers, and
    records one that RQ's handlers take in `early_stop` too, so that it outlives this worker."""

    early_stop: threading.Event | None = None

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[misc]
        if self.early_stop is not None and self.early_stop.is_set():
            self.log.info("Worker %s: warm shut down requested during start-up", self.name)  # type: ignore[attr-defined]
            self._stop_requested = True  # checked at the top of RQ's loop, before any job is taken

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        # A stop while Redis is away ends this worker with a connection error (it cannot deregister); the caller
        # must then stop rather than start another.
        if self.early_stop is not None:
            self.early_stop.set()
        super().request_stop(signum, frame)  # type: ignore[misc]


class NotificationWorker(_WarmFromStart, SimpleWorker):
    """Runs each delivery in this process: about 230 jobs/s here."""


class ForkingNotificationWorker(_WarmFromStart, Worker):
    """Runs each delivery in a forked child: isolates crashes and leaks, about 64 jobs/s here."""


def run_worker(
    connection: redis.Redis, *, burst: bool = False, fork: bool = False, stop: threading.Event | None = None
) -> bool:
    """Work the notifications queue until stopped (or, with `burst`, until it is empty); True if it ran any job.

    With `with_scheduler`, one worker also moves retries whose delay has passed back onto the queue. `stop` is set
    when SIGTERM or SIGINT arrives, whether or not the worker then ends normally.
    """
    early_stop = stop if stop is not None else threading.Event()

    def _remember(_signum: int, _frame: FrameType | None) -> None:
        early_stop.set()

    previous: dict[int, Callable[..., Any] | int | None] = {sig: signal.signal(sig, _remember) for sig in STOP_SIGNALS}
    try:
        worker_class = ForkingNotificationWorker if fork else NotificationWorker
        worker = worker_class([make_queue(connection)], connection=connection)
        worker.early_stop = early_stop
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
