"""Delivering owed mail in a test the way the running hub does: the dispatcher moves it onto the RQ queue, then a
worker sends it through the relay (the test's SMTP sink). Shared by the outbound, web and browser tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rq import Queue, SimpleWorker

from hub.db import Database
from outbound.dispatcher import dispatch_once
from tests.servers import SmtpSink


@contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """RQ workers (and the dispatch command) take over SIGINT/SIGTERM; give them back so Ctrl-C still stops pytest."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def work(queue: Queue) -> None:
    """Run every job on the queue (and retries with no interval) in this process, then return."""
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def deliver_everything(queue: Queue, db: Database, rounds: int = 10) -> None:
    """Dispatch and work until nothing is due any more (retries included, when they are due at once)."""
    for _ in range(rounds):
        if not dispatch_once(db, queue):
            return
        work(queue)


@dataclass(frozen=True)
class Mailing:
    """A hub's database, its queue and the sink its relay sends to: what a test needs to see mail arrive."""

    db: Database
    queue: Queue
    sink: SmtpSink

    def deliver(self) -> None:
        deliver_everything(self.queue, self.db)
