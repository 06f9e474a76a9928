"""Small network helpers shared by the servers and their tests."""

from __future__ import annotations

import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago; never hard-code ports (tests run side by side)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Block until something accepts TCP connections on host:port, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


def cannot_listen(host: str, port: int, setting: str) -> str | None:
    """Why a server could not listen on host:port, naming the `setting` that moves it; None when it can.

    Checked before starting, so the message says what to do instead of a server's own retries and traceback."""
    try:
        with socket.create_server((host, port)):
            return None
    except OSError as exc:
        return (f"cannot listen on {host}:{port} ({exc.strerror}): is another Switchboard or program using it? "
                f"Stop it or set {setting} to a free port.")  # fmt: skip
