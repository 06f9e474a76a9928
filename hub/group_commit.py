"""Group commit: many threads' write units share one transaction, one lock hand-off and one fsync.

On SQLite every commit is an fsync (synchronous=FULL, so nothing acknowledged can be lost), and writers take
turns on one lock. Committing each inbound event on its own makes that turn-taking the ceiling; letting one
writer thread per process run whatever has queued up meanwhile in a single transaction lifts it without
weakening anything: each caller still gets its answer only after the commit that contains its work.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from sqlalchemy import Connection

from hub.db import Database
from hub.errors import StorageUnavailable

T = TypeVar("T")
Work = Callable[[Connection], Any]
log = logging.getLogger("switchboard.storage")


class GroupCommitter:
    """Runs `work(connection)` callables in shared write transactions on a background thread."""

    def __init__(self, db: Database, *, max_batch: int = 64, timeout: float = 30.0) -> None:
        self._db = db
        self._max_batch = max_batch
        self._timeout = timeout
        self._guard = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue[tuple[Work, Future[Any]]] = queue.SimpleQueue()

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction and return its result once that transaction has committed."""
        self._ensure_writer()
        done: Future[T] = Future()
        self._queue.put((work, done))
        try:
            return done.result(timeout=self._timeout)
        except FutureTimeout:
            raise StorageUnavailable(f"no commit within {self._timeout}s") from None

    def _ensure_writer(self) -> None:
        if self._pid == os.getpid():
            return
        with self._guard:  # first use in this process (threads do not survive a fork)
            if self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._write_forever, name="group-commit", daemon=True).start()
                self._pid = os.getpid()

    def _write_forever(self) -> None:
        pending = self._queue
        while True:
            batch = [pending.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(pending.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(batch)
            except BaseException as exc:  # never let the writer die with callers waiting
                log.exception("group commit failed")
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)

    def _commit(self, batch: list[tuple[Work, Future[Any]]]) -> None:
        live = [(work, done) for work, done in batch if done.set_running_or_notify_cancel()]
        try:
            with self._db.write() as conn:
                results = [work(conn) for work, _ in live]
        except StorageUnavailable as exc:
            for _, done in live:
                done.set_exception(exc)
            return
        except Exception as exc:
            if len(live) == 1:
                live[0][1].set_exception(exc)
                return
            # One unit failed and took the shared transaction with it: give every unit a transaction of its own,
            # so the others still commit and only the failing one reports its error.
            for work, done in live:
                self._commit_alone(work, done)
            return
        for (_, done), result in zip(live, results, strict=True):
            done.set_result(result)

    def _commit_alone(self, work: Work, done: Future[Any]) -> None:
        try:
            with self._db.write() as conn:
                result = work(conn)
        except Exception as exc:
            done.set_exception(exc)
        else:
            done.set_result(result)
