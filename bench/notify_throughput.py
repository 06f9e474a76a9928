"""Notification throughput: 20,000 queued webhook notifications delivered by 2 worker processes to a local
receiver, printed beside the rate at which the same 2 workers drain RQ no-op jobs (RQ's own per-job ceiling).

Each RQ job delivers a batch of outbox rows concurrently and records their outcomes in one transaction, so the
notification rate is not bound by the no-op job rate. Target: >= 500 delivered per second.

    python bench/notify_throughput.py [--notifications 20000] [--workers 2] [--noop-jobs 3000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, prepare_home, run_main, stop

from hub.channels import create_channel, incident_facts
from hub.db import Database
from hub.models import OutboxMessage, utcnow
from hub.net import free_port
from hub.redis_server import RedisServer, bundled_binary
from hub.sealed import Keyring
from outbound.queue import connect, make_queue

TARGET = 500.0


class Counter:
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.requests = 0
        self.lock = threading.Lock()


def start_receiver(counter: Counter) -> tuple[ThreadingHTTPServer, int]:
    """A keep-alive HTTP receiver that answers 204 and remembers each delivery id."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with counter.lock:
                counter.requests += 1
                counter.ids.add(self.headers.get("X-Switchboard-Delivery", ""))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def workers(env: dict[str, str], count: int, *args: str, log: Path) -> list[subprocess.Popen[bytes]]:
    out = log.open("ab")
    return [
        subprocess.Popen([sys.executable, "-m", "hub", "worker", *args], env=env, cwd=ROOT, stdout=out, stderr=out)
        for _ in range(count)
    ]


def noop_rate(env: dict[str, str], redis_url: str, jobs: int, count: int, log: Path) -> float:
    """No-op jobs per second drained by `count` burst workers (start-up excluded: timed from the first job)."""
    queue = make_queue(connect(redis_url))
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many([queue.prepare_data("time.sleep", args=(0,), result_ttl=60) for _ in range(jobs)],
                           pipeline=pipe)  # fmt: skip
        pipe.execute()
    procs = workers(env, count, "--burst", log=log)
    while queue.count == jobs:
        time.sleep(0.005)
    started = time.monotonic() - 0.005
    for proc in procs:
        proc.wait(300)
    return jobs / (time.monotonic() - started)


def queue_notifications(url: str, count: int, base_url: str) -> None:
    db = Database.connect(url)
    now = utcnow()
    facts = incident_facts(kind="opened", incident_id=1, title="Disk full on db1", priority=1,
                           severity="critical", status="open", assignee="oncall@example.com", category="outage",
                           base_url=base_url)  # fmt: skip
    rows = []
    for _ in range(count):
        delivery = str(uuid.uuid4())
        rows.append({"delivery_id": delivery, "incident_id": None, "kind": "opened", "channel": "webhook",
                     "recipient": "bench-hook", "subject": facts["summary"], "body": "", "headers": {},
                     "status": "pending", "attempts": 0, "created_at": now, "updated_at": now,
                     "payload": {**facts, "delivery_id": delivery}})  # fmt: skip
    with db.transaction() as session:
        session.execute(OutboxMessage.__table__.insert(), rows)
    db.dispose()


def sent_count(db: Database) -> int:
    with db.read() as session:
        return session.query(OutboxMessage).filter(OutboxMessage.status == "sent").count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--noop-jobs", type=int, default=3000, help="RQ no-op jobs for the baseline")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    binary = shutil.which("redis-server") or bundled_binary()
    redis_server = RedisServer(tmp / "redis", port=free_port(), binary=binary, persist=False).start()
    counter = Counter()
    receiver, receiver_port = start_receiver(counter)
    env, url, _ = prepare_home(tmp, {})
    env = dict(env, REDIS_URL=redis_server.url, PYTHONPATH=str(ROOT))
    db = Database.connect(url)
    with db.transaction() as session:
        create_channel(session, kind="webhook", name="bench-hook", url=f"http://127.0.0.1:{receiver_port}/hook",
                       keys=Keyring.derive(env["SECRET_KEY"]))  # fmt: skip
    log = tmp / "workers.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        baseline = noop_rate(env, redis_server.url, args.noop_jobs, args.workers, log)
        print(f"RQ no-op jobs, {args.workers} SimpleWorker processes: {baseline:8.0f} jobs/s", flush=True)

        queue_notifications(url, args.notifications, "http://127.0.0.1:8000")
        procs = workers(env, args.workers, log=log)
        queue = make_queue(connect(redis_server.url))
        from rq import Worker

        while len(Worker.all(connection=queue.connection)) < args.workers:
            time.sleep(0.05)
        started = time.monotonic()
        procs.append(subprocess.Popen([sys.executable, "-m", "hub", "dispatch", "--interval", "0.05"], env=env,
                                      cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT))  # fmt: skip
        last = started
        while (done := sent_count(db)) < args.notifications:
            time.sleep(0.2)
            if time.monotonic() - last >= 5:
                last = time.monotonic()
                print(f"  {done} delivered after {last - started:.0f} s", flush=True)
            if time.monotonic() - started > 600:
                print("gave up after 600 s", file=sys.stderr)
                return 1
        elapsed = time.monotonic() - started
    finally:
        for proc in procs:
            stop(proc)
        receiver.shutdown()
        redis_server.stop()
        db.dispose()
    rate = args.notifications / elapsed
    print(f"notifications, {args.workers} worker processes:       {rate:8.0f} delivered/s "
          f"({args.notifications} in {elapsed:.1f} s; receiver saw {len(counter.ids)} distinct delivery ids in "
          f"{counter.requests} requests)")  # fmt: skip
    print(f"per RQ job: notifications/s over no-op jobs/s = {rate / baseline:.1f}x")
    ok = rate >= TARGET and len(counter.ids) == args.notifications
    print(f"target >= {TARGET:.0f}/s, every one delivered: {'met' if ok else 'NOT met'}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    run_main(main)
