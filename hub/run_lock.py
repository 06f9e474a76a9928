"""One `switchboard up` per SWITCHBOARD_HOME: a lock file holding the running one's pid.

Two hubs on one home share its database, attachments and embedded Redis folder: the second's Redis took the
first's socket path, and when the first stopped its Redis removed that socket under the second's workers. The lock
is an flock(2) on `up.lock`, which the kernel drops when its holder exits however it exits, so a crashed hub leaves
no stale lock to clear by hand; the pid written inside only names the holder in the refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "up.lock"


class AlreadyRunning(Exception):
    """Another process holds the home's lock."""

    def __init__(self, pid: int | None, path: Path) -> None:
        self.pid = pid
        self.path = path
        who = f"pid {pid}" if pid is not None else "another process"
        super().__init__(
            f"another `switchboard up` ({who}) is running on this SWITCHBOARD_HOME ({path.parent}): stop it first "
            f"(Ctrl-C in its terminal{f', or kill {pid}' if pid is not None else ''}), or give this one another "
            "SWITCHBOARD_HOME"
        )


@dataclass
class RunLock:
    """The held lock: kept open for as long as the hub runs; `release` (or the process's end) lets it go."""

    path: Path
    fd: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)  # closing the only descriptor drops the flock


def take(home: Path) -> RunLock:
    """Lock `home` for this process, or raise AlreadyRunning naming the holder's pid."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_NAME
    # Not inherited by the children (os.open's descriptors are non-inheritable): a part left running must not keep
    # the home locked after its hub is gone.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _pid_in(fd)
        os.close(fd)
        raise AlreadyRunning(holder, path) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return RunLock(path, fd)


def _pid_in(fd: int) -> int | None:
    """The pid the holder wrote, or None when it has not yet (it writes just after taking the lock)."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
