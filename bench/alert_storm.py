"""Alert storm: 100,000 alerts over 100 dedup keys from 4 clients into Switchboard; does dedup hold, and at what cost.

The storm: single-alert POSTs to the generic endpoint `POST /api/v1/events/<name>`, alert i carrying dedup key
i mod --keys (round-robin), severity critical, from 4 client threads at once (client c sends alerts c, c+4, ...).
The generic kind because it names its dedup key outright and takes one alert per request: 100,000 alerts are
100,000 requests, each its own transaction, the costliest way for a storm to arrive (an Alertmanager would send
batches, and would itself fold a storm into one alert per fingerprint before sending). A rule assigns critical
alerts to a user, so each new incident owes exactly one notification in the outbox; repeats owe none.
Switchboard runs under the gunicorn command line `switchboard web` uses (gunicorn_argv, 2 sync workers by default)
with a fresh SWITCHBOARD_HOME (SQLite). Load comes from Python threads, each sending requests encoded up front,
one per connection with `Connection: close` (gunicorn's sync workers close after every response anyway) and
reading the answer's status line. Not http.client: on this 2-core machine, where the load generator shares the
CPUs with the server it measures, its per-request cost held 4,000-alert runs to 860 req/s (Switchboard) and 1,730
req/s (bare) against 1,350 and 3,640 with this client.
Targets, all of which must hold: exactly --keys incidents, whose occurrences add up to --alerts; at most --keys
outbox notifications; no failed request (any non-2xx answer or connection error counts).
Printed for context, with no target: the wall time, the same requests against bench/bare_app.py (a Flask endpoint
that reads the body and answers 202) under the same gunicorn command line, the peak RSS (VmHWM) of the server's
gunicorn master + workers, the load generator's own peak RSS, and the CPU each side used.

    python bench/alert_storm.py [--alerts 100000] [--keys 100] [--clients 4] [--workers 2] [--max-seconds 900]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text
from support import (
    HOST,
    Cores,
    CpuMeter,
    join_with_progress,
    peak_rss_kib,
    prepare_home,
    process_tree,
    run_main,
    start_gunicorn,
    stop,
)

from hub.db import Database  # support put the project on the path

PATH = "/api/v1/events/storm"


def storm_bodies(keys: int) -> list[bytes]:
    """The body for each dedup key, encoded once: a storm repeats the same alert."""
    return [
        json.dumps({
            "title": f"Disk full on db{k}",
            "description": f"/var/lib/postgresql on db{k} is 97% full",
            "severity": "critical",
            "dedup_key": f"storm-{k}",
            "labels": {"team": "db", "host": f"db{k}"},
        }).encode()
        for k in range(keys)
    ]  # fmt: skip


# --- processes ----------------------------------------------------------------------------------------------------


# --- the storm ----------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one client saw."""

    sent: int = 0
    accepted: int = 0  # answered 2xx
    failed: int = 0  # answered otherwise, or lost to a connection error
    errors: list[str] = field(default_factory=list)


def request_bytes(port: int, secret: str, body: bytes) -> bytes:
    """One whole HTTP/1.1 request, encoded once and sent as is."""
    head = (f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {secret}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


def post(port: int, request: bytes) -> tuple[int, bytes]:
    """Send one request on a new connection; (status, whole answer). The server closes when it has answered."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/1."):
        raise ConnectionError(f"not an HTTP answer: {answer[:100]!r}")
    return int(answer[9:12]), answer


def client(port: int, requests: list[bytes], first: int, step: int, count: int, deadline: float,
           halt: threading.Event, tally: Tally) -> None:  # fmt: skip
    """Send alerts first, first+step, ... (< count), alert i being the request of key i mod len(requests)."""
    keys = len(requests)
    for i in range(first, count, step):
        if halt.is_set() or time.monotonic() >= deadline:
            break
        tally.sent += 1
        try:
            status, answer = post(port, requests[i % keys])
        except (OSError, ValueError) as exc:
            tally.failed += 1
            if len(tally.errors) < 5:
                tally.errors.append(repr(exc))
            continue
        if 200 <= status < 300:
            tally.accepted += 1
        else:
            tally.failed += 1
            if len(tally.errors) < 5:
                tally.errors.append(repr(answer[:300]))


@dataclass(frozen=True)
class Run:
    sent: int
    accepted: int
    failed: int
    seconds: float
    cpu: Cores
    peak_rss_kib: dict[int, int]  # by server pid
    errors: tuple[str, ...]


def storm(name: str, port: int, server: int, secret: str, args: argparse.Namespace) -> Run:
    """Send the whole storm from --clients threads at once, printing progress; read the server's peak RSS after."""
    requests = [request_bytes(port, secret, body) for body in storm_bodies(args.keys)]
    tallies = [Tally() for _ in range(args.clients)]
    halt = threading.Event()
    pids = process_tree(server)
    start = time.monotonic()
    deadline = start + args.max_seconds
    meter = CpuMeter(pids)
    threads = [
        threading.Thread(
            target=client,
            args=(port, requests, c, args.clients, args.alerts, deadline, halt, tallies[c]),
            daemon=True,
        )
        for c in range(args.clients)
    ]
    try:
        for thread in threads:
            thread.start()

        def progress(seconds: float) -> str:
            sent, failed = sum(t.sent for t in tallies), sum(t.failed for t in tallies)
            return f"  {name}: {seconds:5.0f} s, {sent} sent ({sent / seconds:.0f}/s), {failed} failed"

        join_with_progress(threads, start, 10, progress)
        elapsed = time.monotonic() - start
    finally:
        halt.set()
        for thread in threads:
            thread.join(35)
    return Run(
        sent=sum(t.sent for t in tallies),
        accepted=sum(t.accepted for t in tallies),
        failed=sum(t.failed for t in tallies),
        seconds=elapsed,
        cpu=meter.cores(elapsed),
        peak_rss_kib={pid: peak_rss_kib(pid) for pid in process_tree(server)},
        errors=tuple(e for t in tallies for e in t.errors),
    )


def report(name: str, run: Run) -> None:
    rss = sum(run.peak_rss_kib.values()) / 1024
    each = ", ".join(f"{kib / 1024:.0f}" for kib in run.peak_rss_kib.values())
    print(f"{name:12} wall time {run.seconds:7.1f} s  ({run.accepted / run.seconds:6.0f} req/s; sent {run.sent}, "
          f"2xx {run.accepted}, failed {run.failed}; {run.cpu.describe()}; server peak RSS "
          f"{rss:.0f} MiB = master + workers {each})")  # fmt: skip
    for error in run.errors[:5]:
        print(f"  {name} error: {error}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000, help="alerts in the storm (one POST each)")
    parser.add_argument("--keys", type=int, default=100, help="distinct dedup keys, used round-robin")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both servers")
    parser.add_argument("--max-seconds", type=float, default=900, help="give up on a server's storm after this")
    args = parser.parse_args()
    if args.alerts < 1 or args.keys < 1 or args.clients < 1 or args.keys > args.alerts:
        parser.error("need 1 <= --keys <= --alerts and --clients >= 1")

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # In a child, so that the migrations' memory (about 70 MiB) stays out of the load generator's peak RSS.
        with multiprocessing.get_context("fork").Pool(1) as pool:
            env, url, secrets = pool.apply(prepare_home, (tmp, {"storm": "generic"}))
            secret = secrets["storm"]
        print(f"storm: {args.alerts} alerts over {args.keys} dedup keys from {args.clients} clients; "
              f"Switchboard under gunicorn ({args.workers} sync workers), SQLite in {tmp}", flush=True)  # fmt: skip
        server, port = start_gunicorn(env, "web.wsgi:app", args.workers, tmp / "switchboard.log")
        processes.append(server)
        switchboard = storm("switchboard", port, server.pid, secret, args)
        stop(server)
        report("switchboard", switchboard)

        db = Database.connect(url)
        with db.reader() as conn:
            incidents, occurrences = conn.execute(
                text("SELECT count(*), coalesce(sum(occurrences), 0) FROM incidents")
            ).one()
            outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
            events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        db.dispose()

        print(f"baseline: the same {args.alerts} requests against bench/bare_app.py, same gunicorn command line",
              flush=True)  # fmt: skip
        server, port = start_gunicorn(env, "bare_app:app", args.workers, tmp / "bare.log")
        processes.append(server)
        bare = storm("bare", port, server.pid, secret, args)
        stop(server)
        report("bare", bare)
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(tmp, ignore_errors=True)

    generator_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    checks = [
        (f"incidents: {incidents} (must be exactly {args.keys})", incidents == args.keys),
        (f"occurrences: {occurrences} (must be {args.alerts})", occurrences == args.alerts),
        (f"outbox notifications: {outbox} (must be at most {args.keys})", outbox <= args.keys),
        (f"failed requests: {switchboard.failed} (must be 0)", switchboard.failed == 0),
        (f"requests sent: {switchboard.sent} (must be {args.alerts})", switchboard.sent == args.alerts),
    ]
    print()
    for line, ok in checks:
        print(f"{line:60} {'ok' if ok else 'FAILED'}")
    print(f"events stored: {events}")
    print(f"wall time: switchboard {switchboard.seconds:.1f} s, bare {bare.seconds:.1f} s "
          f"(switchboard / bare = {switchboard.seconds / bare.seconds:.2f})")  # fmt: skip
    switchboard_rss, bare_rss = (sum(run.peak_rss_kib.values()) / 1024 for run in (switchboard, bare))
    print(f"peak RSS: switchboard server {switchboard_rss:.0f} MiB (master + workers), bare server {bare_rss:.0f} "
          f"MiB, load generator {generator_rss:.0f} MiB")  # fmt: skip
    if bare.failed:
        print(f"the baseline had {bare.failed} failed requests: its wall time is not a clean figure")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    run_main(main)
