"""What the benchmarks share: a prepared SWITCHBOARD_HOME, gunicorn started as `switchboard web` starts it, and
readings from /proc (CPU time, peak RSS) of the processes measured."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hub.accounts import create_integration, create_user  # noqa: E402
from hub.config import Settings  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.domain import RuleSpec  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.net import free_port, wait_for_port  # noqa: E402
from hub.rulebook import add_rule  # noqa: E402
from web.cli import gunicorn_argv  # noqa: E402

HOST = "127.0.0.1"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


@contextmanager
def scratch_database(prefix: str, *, postgresql: bool) -> Iterator[Database]:
    """A migrated database of the benchmark's own: a SQLite file in a temporary folder, or a PostgreSQL cluster
    started for it (initdb); both gone when the block ends, however it ends."""
    with tempfile.TemporaryDirectory(prefix=prefix) as home, ExitStack() as cleanup:
        url = f"sqlite:///{home}/desk.db"
        if postgresql:
            from tests.servers import PostgresCluster

            cluster = PostgresCluster()
            cleanup.callback(cluster.stop)
            cluster.start()
            url = cluster.create_database("desk")
        db = Database.connect(url)
        cleanup.callback(db.engine.dispose)
        upgrade(db.engine)
        yield db


def process_tree(root: int) -> list[int]:
    """root and all its descendants (gunicorn's master and workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy so far, all CPUs (/proc/stat: everything but idle and iowait)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / CLOCK_TICK


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
    return total / CLOCK_TICK


@dataclass(frozen=True)
class Cores:
    """CPU cores busy during a timed run, so a figure shows whether the server, the load generator or the machine
    was the limit."""

    server: float  # the server's processes
    client: float  # the load generator: this process (its client threads share one GIL, so at most one core)
    machine: float  # the whole machine: the two above, the kernel's loopback and disk work, anything else running

    def describe(self, server: str = "server") -> str:
        return (f"CPU cores: {server} {self.server:.2f}, load generator {self.client:.2f}, "
                f"whole machine {self.machine:.2f} of {os.cpu_count()}")  # fmt: skip


class CpuMeter:
    """Counts CPU time from its creation: `cores(elapsed)` is the average use since then, in cores."""

    def __init__(self, server_pids: list[int]) -> None:
        self.pids = server_pids
        self.start = (cpu_seconds(server_pids), time.process_time(), machine_busy_seconds())

    def cores(self, elapsed: float) -> Cores:
        server0, client0, machine0 = self.start
        return Cores(server=(cpu_seconds(self.pids) - server0) / elapsed,
                     client=(time.process_time() - client0) / elapsed,
                     machine=(machine_busy_seconds() - machine0) / elapsed)  # fmt: skip


def peak_rss_kib(pid: int) -> int:
    """VmHWM, the process's peak resident set, in KiB (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


def start_gunicorn(env: dict[str, str], app: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The `switchboard web` command line serving `app` on a free loopback port."""
    settings = replace(Settings.from_env(dict(env, SWITCHBOARD_WEB_WORKERS=str(workers))), web_port=free_port())
    server_env = dict(env, PYTHONPATH=f"{ROOT / 'bench'}:{ROOT}")
    with log.open("wb") as out:
        process = subprocess.Popen(gunicorn_argv(settings, app), env=server_env, cwd=ROOT, stdout=out, stderr=out)
    try:
        wait_for_port(HOST, settings.web_port, timeout=30)
        _wait_for_workers(process.pid, workers, timeout=30)
    except TimeoutError:
        stop(process)
        raise
    return process, settings.web_port


def _wait_for_workers(master: int, workers: int, timeout: float) -> None:
    """gunicorn binds its port before it forks the workers: wait for them, so CPU readings taken from the process
    tree right after start count the workers too."""
    deadline = time.monotonic() + timeout
    while len(process_tree(master)) < workers + 1:
        if time.monotonic() > deadline:
            raise TimeoutError(f"gunicorn did not start {workers} workers within {timeout:.0f} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not gone in 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def prepare_home(tmp: Path, integrations: dict[str, str]) -> tuple[dict[str, str], str, dict[str, str]]:
    """A fresh SWITCHBOARD_HOME with these integrations (name: kind) and a rule assigning critical alerts to a
    user, so each new incident owes one notification; returns (env, database URL, secrets by name)."""
    home = tmp / "var"
    env = dict(os.environ, SWITCHBOARD_HOME=str(home), SECRET_KEY="bench", REDIS_URL="redis://127.0.0.1:1/0")
    env.pop("DATABASE_URL", None)
    url = f"sqlite:///{home / 'switchboard.db'}"
    db = Database.connect(url)
    upgrade(db.engine)
    with db.transaction() as s:
        secrets = {name: create_integration(s, name=name, kind=kind)[1] for name, kind in integrations.items()}
        create_user(s, email="oncall@example.com", password="bench-password", role="agent")
        add_rule(s, RuleSpec(id=0, name="critical to on-call", field="severity", op="equals", value="critical",
                             set_assignee="oncall@example.com"))  # fmt: skip
    db.dispose()
    return env, url, secrets


def join_with_progress(
    threads: Sequence[threading.Thread], started: float, every: float, line: Callable[[float], str]
) -> None:
    """Wait for the load threads, printing `line(seconds so far)` every `every` seconds: long runs show progress."""
    last = started
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)
            if time.monotonic() - last >= every:
                last = time.monotonic()
                print(line(last - started), flush=True)


def verdict(checks: list[tuple[str, bool]]) -> int:
    """Print each check with ok/FAILED, then whether the target was met; the exit status for `make bench`."""
    for line, ok in checks:
        print(f"{line:100} {'ok' if ok else 'FAILED'}")
    met = all(ok for _, ok in checks)
    print(f"verdict: target {'met' if met else 'NOT met'}")
    return 0 if met else 1


def run_main(main: Callable[[], int]) -> None:
    """Exit with `main()`'s status; Ctrl-C exits 130 (each benchmark stops its servers on the way out)."""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: no figures", file=sys.stderr)
        sys.exit(130)
