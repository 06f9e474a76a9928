"""Alertmanager batches: Switchboard's durable alerts/s against a real Alertmanager's in-memory alerts/s, same run.

Both get POSTs of 100 alerts from 1 and from 4 concurrent clients:
- Switchboard: Alertmanager's own webhook body (payload version 4, what a `webhook_configs` receiver sends) on
  `POST /api/v1/events/<name>` of an `alertmanager` integration, served under the gunicorn command line
  `switchboard web` uses (gunicorn_argv, 2 sync workers by default). A 202 means every alert of the batch was
  stored as an event and opened its incident, with timeline entry and outbox notification (a rule assigns critical
  alerts to a user), in one committed and fsynced transaction.
- Alertmanager (Debian's prometheus-alertmanager, installed if missing and we are root): started here on a free
  loopback port with a throwaway config (one null receiver), a temp --storage.path and clustering off; the same
  alerts as postable alerts (labels, annotations, startsAt, endsAt, generatorURL) on `POST /api/v2/alerts`. Its
  200 means the alerts are in its in-memory store.
The alerts: all distinct (the `instance` label differs, so each has its own fingerprint and, in Switchboard, opens
its own incident: the heavier path), severity critical, labels and annotations shaped like the fixtures in
tests/ingest/webhooks/fixtures/alertmanager; the fingerprint Switchboard is sent is the one Alertmanager computes.
Load: one Python thread per client, each with one persistent HTTP/1.1 connection (gunicorn's sync workers close
after every response, so towards Switchboard a client reconnects per batch); every body is encoded before the
clock starts. Each measurement lasts --seconds or --batches per client, whichever comes first. The rate is alerts
answered 2xx per second of wall time. That the load generator is not the limit is checked twice: it is first
run against a sink (a separate process that reads each body and answers 200) and must reach at least twice the
faster server's rate, and the generator's and each server's CPU use are printed with every figure.
Target: Switchboard alerts/s >= 0.5 x Alertmanager alerts/s, for 1 and for 4 clients (with no failed request and
the generator check passed).

    python bench/alertmanager_compare.py [--seconds 15] [--batches 300] [--batch-size 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text
from support import HOST, Cores, CpuMeter, prepare_home, process_tree, run_main, start_gunicorn, stop

from hub.db import Database  # support put the project on the path
from hub.net import free_port, wait_for_port
from ingest.webhooks.alertmanager import label_fingerprint
from tests.servers import Alertmanager

ALERTMANAGER = Alertmanager.BINARY
TARGET = 0.5
#: The load generator must drive a do-nothing sink at least this many times faster than the fastest server.
GENERATOR_HEADROOM = 2.0
CLIENT_COUNTS = (1, 4)
WARM_UP_BATCHES = 4  # per server, untimed: first requests pay for imports and caches
ZERO_TIME = "0001-01-01T00:00:00Z"  # a firing alert's endsAt in Alertmanager's webhook
ALERT_NAMES = ("NodeFilesystemAlmostOutOfSpace", "HostHighCpuLoad", "KubePodCrashLooping", "HostOutOfMemory")
ALERTMANAGER_CONFIG = """\
route:
  receiver: "null"
receivers:
  - name: "null"
"""


# --- the alerts ---------------------------------------------------------------------------------------------------


def make_alert(tag: str, n: int, starts_at: str) -> dict[str, Any]:
    """Alert number n of a measurement: what Prometheus would send, distinct from every other by `instance`."""
    name = ALERT_NAMES[n % len(ALERT_NAMES)]
    instance = f"{tag}-{n}.example.net:9100"
    return {
        "labels": {"alertname": name, "instance": instance, "job": "node", "severity": "critical", "team": "dba"},
        "annotations": {
            "summary": f"{name} on {instance}",
            "description": f"Filesystem on /dev/nvme0n1p1 at {instance} has only 3.12% available space left.",
            "runbook_url": f"https://runbooks.prometheus-operator.dev/runbooks/node/{name.lower()}",
        },
        "startsAt": starts_at,
        "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=node_filesystem_avail_bytes%7Bjob%3D%22"
        "node%22%7D+%2F+node_filesystem_size_bytes%7Bjob%3D%22node%22%7D+%2A+100+%3C+5&g0.tab=1",
    }


def webhook_body(alerts: Sequence[dict[str, Any]]) -> bytes:
    """The notification an Alertmanager `webhook_configs` receiver posts (payload version 4) for these alerts."""
    firing = [
        {**a, "status": "firing", "endsAt": ZERO_TIME, "fingerprint": label_fingerprint(a["labels"])} for a in alerts
    ]
    return json.dumps(
        {
            "receiver": "switchboard",
            "status": "firing",
            "alerts": firing,
            "groupLabels": {},
            "commonLabels": {"job": "node", "severity": "critical", "team": "dba"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.net:9093",
            "version": "4",
            "groupKey": "{}:{}",
            "truncatedAlerts": 0,
        }
    ).encode()


def postable_body(alerts: Sequence[dict[str, Any]], ends_at: str) -> bytes:
    """The same alerts as Prometheus posts them to Alertmanager's /api/v2/alerts."""
    return json.dumps([{**a, "endsAt": ends_at} for a in alerts]).encode()


def batches(
    tag: str, clients: int, per_client: int, size: int, encode: Callable[[list[dict[str, Any]]], bytes]
) -> list[list[bytes]]:
    """Every body of one measurement, per client, encoded up front so the clock only sees sending."""
    now = datetime.now(UTC)
    starts_at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    out = []
    for c in range(clients):
        first = c * per_client * size
        out.append([
            encode([make_alert(tag, first + b * size + i, starts_at) for i in range(size)])
            for b in range(per_client)
        ])  # fmt: skip
    return out


# --- processes ----------------------------------------------------------------------------------------------------


def ensure_alertmanager() -> bool:
    """The Alertmanager binary is there, installed from Debian's package if it was not and we may."""
    if os.access(ALERTMANAGER, os.X_OK):
        return True
    if os.geteuid() != 0:
        print(f"bench needs {ALERTMANAGER}: apt-get install prometheus-alertmanager", file=sys.stderr)
        return False
    print("installing prometheus-alertmanager ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "prometheus-alertmanager"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, check=False)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False)
    return os.access(ALERTMANAGER, os.X_OK)


class _Sink(BaseHTTPRequestHandler):
    """Reads each body and answers 200 with keep-alive: the load generator's ceiling, not a server's."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve_sink(port: int) -> None:
    ThreadingHTTPServer((HOST, port), _Sink).serve_forever()


# --- load ---------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one client saw."""

    accepted: int = 0  # alerts in batches answered 2xx
    batches: int = 0
    failed: int = 0  # batches answered otherwise, or lost to a connection error
    errors: list[str] = field(default_factory=list)
    finished: float = 0.0  # time.monotonic() when the client stopped


def client(port: int, path: str, headers: dict[str, str], bodies: list[bytes], size: int, deadline: float,
           halt: threading.Event, tally: Tally) -> None:  # fmt: skip
    """Post the bodies one after another on one connection until done, the deadline, or a halt."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        for body in bodies:
            if halt.is_set() or time.monotonic() >= deadline:
                break
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.failed += 1
                tally.errors.append(repr(exc))
                conn.close()  # the next request opens a new connection
                continue
            if 200 <= response.status < 300:
                tally.accepted += size
                tally.batches += 1
            else:
                tally.failed += 1
                tally.errors.append(f"{response.status} {answer[:200]!r}")
    finally:
        tally.finished = time.monotonic()
        conn.close()


@dataclass(frozen=True)
class Figure:
    alerts: int
    failed: int
    seconds: float
    cpu: Cores
    errors: tuple[str, ...]

    @property
    def rate(self) -> float:
        return self.alerts / self.seconds


def measure(port: int, path: str, headers: dict[str, str], per_client: list[list[bytes]], size: int, seconds: float,
            server: int, label: str) -> Figure:  # fmt: skip
    """Run one client thread per body list at once and tally what the server accepted, printing progress."""
    tallies = [Tally() for _ in per_client]
    halt = threading.Event()
    server_pids = process_tree(server)
    start = time.monotonic()
    deadline = start + seconds
    meter = CpuMeter(server_pids)
    threads = [
        threading.Thread(target=client, args=(port, path, headers, bodies, size, deadline, halt, tally), daemon=True)
        for bodies, tally in zip(per_client, tallies, strict=True)
    ]
    try:
        for t in threads:
            t.start()
        last = start
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
                if time.monotonic() - last >= 5:
                    last = time.monotonic()
                    done = sum(t.accepted for t in tallies)
                    print(f"  {label}: {last - start:4.0f} s, {done} alerts accepted", flush=True)
    finally:
        halt.set()
        for t in threads:
            t.join(35)
    elapsed = max(t.finished for t in tallies) - start
    errors = tuple(e for t in tallies for e in t.errors)
    return Figure(sum(t.accepted for t in tallies), sum(t.failed for t in tallies), elapsed, meter.cores(elapsed),
                  errors)  # fmt: skip


def run_server(name: str, port: int, path: str, headers: dict[str, str], encode: Callable[..., bytes],
               server: int, args: argparse.Namespace) -> tuple[dict[int, Figure], int]:  # fmt: skip
    """Warm up, then measure each client count; (figures by client count, alerts accepted including warm-up)."""
    warm_up = batches(f"warm-{uuid.uuid4().hex[:8]}", 1, WARM_UP_BATCHES, args.batch_size, encode)
    warm = measure(port, path, headers, warm_up, args.batch_size, 60, server, name)
    accepted = warm.alerts
    if warm.failed:
        print(f"  {name} warm-up: {warm.failed} failed batches, first: {warm.errors[0]}", flush=True)
    figures = {}
    for clients in CLIENT_COUNTS:
        print(f"{name}, {clients} client(s): encoding {clients} x {args.batches} batches ...", flush=True)
        bodies = batches(f"c{clients}-{uuid.uuid4().hex[:8]}", clients, args.batches, args.batch_size, encode)
        time.sleep(0.5)
        figure = measure(port, path, headers, bodies, args.batch_size, args.seconds, server, name)
        del bodies
        figures[clients] = figure
        accepted += figure.alerts
        print(f"{name:12} {clients} client(s): {figure.rate:9.0f} alerts/s  ({figure.alerts} alerts in "
              f"{figure.seconds:.1f} s, failed batches: {figure.failed}; {figure.cpu.describe()})",
              flush=True)  # fmt: skip
        if figure.failed:
            print(f"  first error: {figure.errors[0]}", file=sys.stderr, flush=True)
    return figures, accepted


def alertmanager_received(port: int) -> int:
    """Alerts Alertmanager counted as received (its own metric), to cross-check the 2xx tally."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:
        lines = r.read().decode().splitlines()
    return int(sum(float(line.rpartition(" ")[2]) for line in lines
                   if line.startswith("alertmanager_alerts_received_total")))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="longest duration of each measurement")
    parser.add_argument("--batches", type=int, default=300, help="most batches per client in each measurement")
    parser.add_argument("--batch-size", type=int, default=100, help="alerts per POST")
    parser.add_argument("--workers", type=int, default=2, help="Switchboard's gunicorn workers (switchboard's default)")
    args = parser.parse_args()
    if not ensure_alertmanager():
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[int, Figure]] = {}
    sink_port = free_port()
    sink = multiprocessing.get_context("fork").Process(target=_serve_sink, args=(sink_port,), daemon=True)
    try:
        print("load generator against a sink that reads each body and answers 200 (its ceiling)", flush=True)
        sink.start()
        wait_for_port(HOST, sink_port, timeout=10)
        ceiling = {}
        for clients in CLIENT_COUNTS:
            bodies = batches("sink", clients, args.batches, args.batch_size, webhook_body)  # the larger bodies
            figure = measure(sink_port, "/", {"Content-Type": "application/json"}, bodies, args.batch_size,
                             args.seconds, sink.pid or 0, "sink")  # fmt: skip
            ceiling[clients] = figure.rate
            print(f"{'sink':12} {clients} client(s): {figure.rate:9.0f} alerts/s  ({figure.cpu.describe('sink')})",
                  flush=True)  # fmt: skip
        sink.terminate()
        sink.join(10)

        print(f"Alertmanager ({ALERTMANAGER}) on loopback, in memory", flush=True)
        am = Alertmanager(ALERTMANAGER_CONFIG, tmp).start()
        am_port = am.port
        processes.append(am.process)
        ends_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
        results["alertmanager"], am_sent = run_server(
            "alertmanager", am_port, "/api/v2/alerts", {"Content-Type": "application/json"},
            lambda alerts: postable_body(alerts, ends_at), am.process.pid, args,
        )  # fmt: skip
        print(f"  Alertmanager's own count of alerts received: {alertmanager_received(am_port)} (2xx tally: {am_sent})")
        am.stop()

        print(f"Switchboard under gunicorn ({args.workers} sync workers), SQLite in {tmp}", flush=True)
        env, url, secrets = prepare_home(tmp, {"prom": "alertmanager"})
        secret = secrets["prom"]
        sb, sb_port = start_gunicorn(env, "web.wsgi:app", args.workers, tmp / "gunicorn.log")
        processes.append(sb)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
        results["switchboard"], sb_sent = run_server(
            "switchboard", sb_port, "/api/v1/events/prom", headers, webhook_body, sb.pid, args
        )
        stop(sb)
        db = Database.connect(url)
        with db.reader() as conn:
            incidents = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
            outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
        db.dispose()
        print(f"  in Switchboard's database: {incidents} incidents, {outbox} outbox notifications "
              f"(alerts acknowledged: {sb_sent})")  # fmt: skip
    finally:
        if sink.is_alive():
            sink.terminate()
            sink.join(10)
        for process in processes:
            stop(process)
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    ok = incidents == sb_sent
    if not ok:
        print("Switchboard acknowledged alerts that are not in its database: the figures are not valid")
    for clients in CLIENT_COUNTS:
        am_fig, sb_fig = results["alertmanager"][clients], results["switchboard"][clients]
        ratio = sb_fig.rate / am_fig.rate if am_fig.rate else 0.0
        headroom = ceiling[clients] / max(am_fig.rate, sb_fig.rate, 1.0)
        fair = headroom >= GENERATOR_HEADROOM and not am_fig.failed and not sb_fig.failed
        met = ratio >= TARGET and fair
        ok &= met
        verdict = "met" if met else "NOT met"
        print(f"{clients} client(s): switchboard {sb_fig.rate:8.0f} alerts/s, alertmanager {am_fig.rate:8.0f} "
              f"alerts/s, ratio {ratio:5.2f}  (target >= {TARGET:.2f}: {verdict})")  # fmt: skip
        print(f"  load generator ceiling {ceiling[clients]:.0f} alerts/s = {headroom:.1f} x the faster server "
              f"(needs >= {GENERATOR_HEADROOM:.0f} for the figures to be the servers')")  # fmt: skip
        if am_fig.failed or sb_fig.failed:
            print(f"  failed batches: alertmanager {am_fig.failed}, switchboard {sb_fig.failed}: not a valid figure")
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main)
