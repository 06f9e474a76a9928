"""How writers share a SQLite file: one at a time, handed over promptly, made durable outside the lock.

`WriteGate`. SQLite allows one writer; a writer that finds the lock taken sleeps in SQLite's busy handler for
1, 2, 5, 10 ms and more before looking again, which on a busy hub wastes far more time than the sub-millisecond
transactions it waits for. Writers therefore queue here first: a thread lock inside the process, then an
advisory `flock` on a file beside the database across processes, polled at sub-millisecond intervals up to the
configured timeout.
The SQLite lock stays the real guarantee; this only makes waiting cheap.

`WalSync`. A commit must be on disk before we acknowledge what it holds. SQLite's synchronous=FULL fsyncs the
write-ahead log inside the commit, that is while the write lock is held, so every writer waits for every other
writer's fsync. We run synchronous=NORMAL (the WAL is appended at commit, and synced before every checkpoint)
and fsync the WAL ourselves right after the commit, outside the lock and before answering: the same guarantee,
but the fsyncs of concurrent writers overlap instead of queueing behind the lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.errors import StorageUnavailable

_FIRST_WAIT = 0.00005
_LONGEST_WAIT = 0.0005


class WriteGate:
    def __init__(self, lock_path: Path, timeout: float) -> None:
        self._path = lock_path
        self._timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def _descriptor(self) -> int:
        # flock belongs to an open file description: after a fork each process needs its own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        deadline = time.monotonic() + self._timeout
        if not self._threads.acquire(timeout=self._timeout):
            raise StorageUnavailable(f"database busy: no write slot within {self._timeout}s")
        try:
            fd = self._descriptor()
            wait = _FIRST_WAIT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StorageUnavailable(f"database busy: no write slot within {self._timeout}s") from None
                    time.sleep(wait)
                    wait = min(wait * 2, _LONGEST_WAIT)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


class WalSync:
    """fdatasync a database's write-ahead log, so every transaction committed before the call is on disk."""

    def __init__(self, wal_path: Path) -> None:
        self._path = wal_path
        self._fd: int | None = None
        self._identity: tuple[int, int, int] | None = None  # (pid, device, inode) the descriptor belongs to

    def sync(self) -> None:
        try:
            stat = os.stat(self._path)
        except FileNotFoundError:
            return  # no log: SQLite checkpointed everything into the database file and synced it
        identity = (os.getpid(), stat.st_dev, stat.st_ino)
        if identity != self._identity:  # first use, a fork, or a log SQLite deleted and made anew
            if self._fd is not None and self._identity is not None and self._identity[0] == os.getpid():
                os.close(self._fd)
            self._fd = os.open(self._path, os.O_RDONLY)
            self._identity = identity
        assert self._fd is not None
        try:
            os.fdatasync(self._fd)
        except OSError as exc:
            raise StorageUnavailable(f"could not flush the database log to disk: {exc}") from exc
