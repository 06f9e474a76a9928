"""How writers share a SQLite file: one at a time, handed over promptly, made durable outside the lock.

`WriteGate`. SQLite allows one writer; a writer that finds the lock taken sleeps in SQLite's busy handler for
1, 2, 5, 10 ms and more before looking again, which on a busy hub wastes far more time than the sub-millisecond
transactions it waits for. Writers therefore queue here first: a thread lock inside the process, then an
advisory `flock` on a file beside the database across processes, which the kernel hands over the moment it is
released, within the configured timeout.
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
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import StorageUnavailable


class WriteGate:
    def __init__(self, lock_path: Path, timeout: float) -> None:
        self._path = lock_path
        self._timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._waiter: _Waiter | None = None
        self._pid: int | None = None

    def _open(self) -> tuple[int, _Waiter]:
        # flock belongs to an open file description: after a fork each process needs its own (and its own waiter).
        if self._fd is None or self._waiter is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._waiter = _Waiter(os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600))
            self._pid = os.getpid()
        return self._fd, self._waiter

    @contextmanager
    def held(self, wait: float | None = None) -> Iterator[None]:
        """The write slot, waited for `wait` seconds at most (the gate's timeout unless given; 0: only if free)."""
        wait = self._timeout if wait is None else wait
        if not self._threads.acquire(timeout=wait):
            raise StorageUnavailable(f"database busy: no write slot within {wait}s")
        try:
            fd, waiter = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if wait <= 0 or not waiter.acquire(wait):
                    raise StorageUnavailable(f"database busy: no write slot within {wait}s") from None
                fd = waiter.fd  # the waiter took the lock on its own descriptor: that is the one to release
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


@dataclass(eq=False)
class _Ticket:
    granted: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancelled: bool = False


class _Waiter:
    """A thread that waits in a blocking flock for the gate's callers, on a descriptor of its own.

    The kernel wakes a blocking flock the moment the lock is free, where polling would wake late or burn CPU;
    but a blocking flock cannot be interrupted, so the caller waits for the grant with its timeout instead, and
    a lock granted after its caller gave up is released at once. One caller at a time per process asks (the
    gate's thread lock), so tickets are served in order.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._tickets: queue.SimpleQueue[_Ticket] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="sqlite-write-gate", daemon=True).start()

    def acquire(self, timeout: float) -> bool:
        ticket = _Ticket()
        self._tickets.put(ticket)
        if ticket.granted.wait(timeout):
            return True
        with ticket.lock:
            ticket.cancelled = not ticket.granted.is_set()
        return not ticket.cancelled

    def _serve(self) -> None:
        while True:
            ticket = self._tickets.get()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            with ticket.lock:
                if not ticket.cancelled:
                    ticket.granted.set()  # the caller releases it
                    continue
            fcntl.flock(self.fd, fcntl.LOCK_UN)


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
