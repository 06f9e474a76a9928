"""Small network helpers shared by the servers and their tests."""

from __future__ import annotations

import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free for a server to take, and kept from other callers for a minute; never hard-code ports.

    A port only "free a moment ago" can be handed to the next process that asks for one (tests run in several
    processes side by side), and two servers would then race for it. So the port is left in TIME_WAIT: a connection
    to it is made and closed from the listening side first. For about a minute the kernel picks it for no one who
    binds port 0 (it skips ports with any socket on them), nor lets anyone bind it without SO_REUSEADDR, while a
    server, which binds with SO_REUSEADDR (asyncio, http.server, gunicorn, Redis, PostgreSQL, Dovecot and Go all do),
    can take it at once: the TIME_WAIT socket was made with SO_REUSEADDR too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection((host, port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # this side closes first, so the TIME_WAIT is on the listening port
            client.recv(1)  # the close has arrived: the client's own close below completes the exchange
    return port


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
