"""One writer at a time on a SQLite file, across threads and processes, with waiters woken promptly.

SQLite allows one writer; a writer that finds the lock taken sleeps in SQLite's busy handler for 1, 2, 5, 10 ms
and more before looking again, which on a busy hub wastes far more time than the sub-millisecond transactions it
waits for. Writers therefore queue here first: a thread lock inside the process, then an advisory `flock` on a
file beside the database across processes, polled at sub-millisecond intervals up to the configured timeout.
The SQLite lock stays the real guarantee; this only makes waiting cheap.
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
