"""Storing an SMTP message and choosing the reply, on a thread of the SMTP process or on a pool of processes.

aiosmtpd holds every SMTP conversation on one event loop. Parsing a message and recording the incident it makes
is CPU work, and on a thread of that process it competes with the conversations for the one interpreter lock, so
one SMTP process uses one core however many the machine has. `AcceptPool` does that work in worker processes,
each with its own database connection and intake, so the conversations and the storing use every core. Either
way the reply is chosen only after the commit: 250 once the message is stored, 451 when it could not be.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from hub.config import Settings
from hub.db import Database
from hub.errors import StorageUnavailable
from hub.intake import Intake
from hub.telemetry import INGEST_SECONDS, request_id
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake

log = logging.getLogger("switchboard.smtp")

TEMPORARY_FAILURE = "451 4.3.0 Temporary storage failure, please try again later"


class Acceptor:
    """Stores one message through an intake and returns the SMTP reply (blocking: it does the I/O)."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    def __call__(self, raw: bytes, mail_from: str | None, recipients: tuple[str, ...] = ()) -> str:
        started = time.perf_counter()
        request_id.set(uuid.uuid4().hex[:16])
        try:
            stored = store_message(self.intake, raw, envelope_from=mail_from, recipients=recipients)
        except StorageUnavailable as exc:
            log.error("could not store a message from %s: %s", mail_from, exc)
            return TEMPORARY_FAILURE
        INGEST_SECONDS.labels(source="email").observe(time.perf_counter() - started)
        if stored.unprocessable:
            return f"250 2.0.0 Kept as event {stored.event_id} for review"
        if stored.duplicate:  # a resend of a message we stored (our 250 was lost): acknowledged, not applied twice
            return f"250 2.0.0 Already received as {stored.ref or f'event {stored.event_id}'}"
        return f"250 2.0.0 Accepted as {stored.ref}" if stored.ref else f"250 2.0.0 Accepted as event {stored.event_id}"


class ThreadAccept:
    """Accept on the event loop's default thread pool, in this process (tests, and `--processes 0`)."""

    def __init__(self, intake: Intake) -> None:
        self._accept = Acceptor(intake)

    async def __call__(self, raw: bytes, mail_from: str | None, recipients: tuple[str, ...]) -> str:
        return await asyncio.get_running_loop().run_in_executor(None, self._accept, raw, mail_from, recipients)


# -- the worker processes' side ------------------------------------------------------------------------------------

_worker: Acceptor | None = None


def _start_worker(settings: Settings, parent: int) -> None:
    """Runs once in each new worker process: its own database connection and intake."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the front decides when to stop
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-listener", daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s smtp-worker %(levelname)s %(message)s")
    _worker = Acceptor(make_intake(settings, Database.connect(settings.database_url, timeout=settings.db_timeout)))


def _exit_with(parent: int) -> None:
    """A listener killed outright (SIGKILL) cannot shut its pool down: its workers then leave by themselves."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _accept_in_worker(raw: bytes, mail_from: str | None, recipients: tuple[str, ...]) -> str:
    assert _worker is not None, "the pool's initializer did not run"
    return _worker(raw, mail_from, recipients)


def _ready(pause: float) -> None:
    time.sleep(pause)  # long enough that each warm-up call starts a process of its own


class AcceptPool:
    """Accept on `processes` worker processes (started fresh with spawn: no threads or connections inherited).

    A pool starts its workers as it is made, in the background: an interpreter takes seconds to start (7-12 s on a
    busy 2-core machine, past a sending server's patience), and no message should wait for that. A worker that
    dies (killed, out of memory) breaks the pool: the messages it was storing are answered 451, so their senders
    retry, and a new pool, warming already, takes the next message.
    """

    def __init__(self, settings: Settings, processes: int) -> None:
        self._settings = settings
        self._processes = processes
        self._starting: list[Future[None]] = []
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._settings, os.getpid()),
        )
        # A pool starts a process per call it is handed while it has fewer than `processes` and none idle; each
        # call lasts long enough that the next finds none idle, so every worker starts now (without waiting here).
        self._starting = [pool.submit(_ready, 0.2) for _ in range(self._processes)]
        return pool

    @property
    def warm(self) -> bool:
        """Whether every worker of the current pool is up and has opened its database."""
        return all(future.done() and future.exception() is None for future in self._starting)

    def warm_up(self, timeout: float = 60) -> None:
        """Wait until every worker is up, so the first messages do not wait for interpreters to start."""
        for future in self._starting:
            future.result(timeout=timeout)

    async def __call__(self, raw: bytes, mail_from: str | None, recipients: tuple[str, ...]) -> str:
        pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _accept_in_worker, raw, mail_from, recipients)
        except BrokenProcessPool:
            log.error("an SMTP worker process died while storing a message from %s; answered 451", mail_from)
            if pool is self._pool:
                self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
            return TEMPORARY_FAILURE

    def close(self) -> None:
        self._pool.shutdown(wait=True)
