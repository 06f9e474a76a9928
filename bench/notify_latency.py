"""Notification latency: alerts posted to the real web app at a steady rate, each routed by a rule to a webhook
channel on a local receiver; measured from the POST until the receiver has the notification.

Everything runs as `switchboard up` runs it, in separate processes: gunicorn (`switchboard web`), `switchboard
dispatch`, `switchboard worker`, and a Redis server. Targets: p50 < 250 ms, p99 < 1 s, none lost. The baseline
printed beside them is the round trip of the alert POST itself (what the sender waits for).

    python bench/notify_latency.py [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import HOST, ROOT, prepare_home, run_main, start_gunicorn, stop

from hub.channels import create_channel
from hub.db import Database
from hub.domain import RuleSpec
from hub.net import free_port
from hub.redis_server import RedisServer, bundled_binary
from hub.rulebook import add_rule
from hub.sealed import Keyring

TEMPLATE = '{"title": {{ title|tojson }}, "reference": {{ reference|tojson }}}'


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    binary = shutil.which("redis-server") or bundled_binary()
    redis_server = RedisServer(tmp / "redis", port=free_port(), binary=binary, persist=False).start()
    received: dict[str, float] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                received.setdefault(json.loads(body)["title"], time.monotonic())
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    receiver_port = free_port()
    receiver = ThreadingHTTPServer((HOST, receiver_port), Handler)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()

    env, url, secrets = prepare_home(tmp, {"bench": "generic"})
    env = dict(env, REDIS_URL=redis_server.url, PYTHONPATH=str(ROOT))
    db = Database.connect(url)
    with db.transaction() as session:
        create_channel(session, kind="webhook", name="bench-hook", url=f"http://{HOST}:{receiver_port}/hook",
                       body_template=TEMPLATE, keys=Keyring.derive(env["SECRET_KEY"]))  # fmt: skip
        add_rule(session, RuleSpec(id=0, name="warnings to the bench hook", field="severity", op="equals",
                                   value="warning", actions={"channels": ["bench-hook"]}))  # fmt: skip
    db.dispose()

    log = (tmp / "parts.log").open("ab")
    parts = [
        subprocess.Popen([sys.executable, "-m", "hub", command], env=env, cwd=ROOT, stdout=log, stderr=log)
        for command in ("dispatch", "worker")
    ]
    web, port = start_gunicorn(env, "web.wsgi:app", 2, tmp / "web.log")
    parts.append(web)
    posted: dict[str, float] = {}
    post_times: list[float] = []
    failures = 0
    try:
        time.sleep(2.0)  # the worker registers with Redis
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        total = int(args.rate * args.seconds)
        started = time.monotonic()
        for n in range(total):
            due = started + n / args.rate
            if (pause := due - time.monotonic()) > 0:
                time.sleep(pause)
            title = f"Queue backlog on worker{n}"
            body = json.dumps({"title": title, "severity": "warning", "dedup_key": f"lat-{n}"})
            sent = time.monotonic()
            headers = {"Authorization": f"Bearer {secrets['bench']}", "Content-Type": "application/json"}
            conn.request("POST", "/api/v1/events/bench", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            post_times.append(time.monotonic() - sent)
            if response.status == 202:
                posted[title] = sent
            else:
                failures += 1
            if n and n % int(args.rate * 5) == 0:
                print(f"  {n} posted, {len(received)} received", flush=True)
        deadline = time.monotonic() + 30
        while len(received) < len(posted) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for part in reversed(parts):
            stop(part)
        receiver.shutdown()
        redis_server.stop()

    latencies = [received[t] - posted[t] for t in posted if t in received]
    lost = len(posted) - len(latencies)
    if not latencies:
        print("nothing was delivered; see the logs in", tmp, file=sys.stderr)
        return 1
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"alert POST round trip (baseline):   p50 {percentile(post_times, 0.5) * 1000:6.1f} ms   "
          f"p99 {percentile(post_times, 0.99) * 1000:6.1f} ms")  # fmt: skip
    print(f"POST -> webhook received:           p50 {p50 * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   "
          f"max {max(latencies) * 1000:6.1f} ms")  # fmt: skip
    print(f"{len(posted)} alerts accepted at {args.rate:g}/s, {failures} refused, {lost} notification(s) lost")
    ok = p50 < 0.25 and p99 < 1.0 and lost == 0 and failures == 0
    print(f"target p50 < 250 ms, p99 < 1 s, 0 lost: {'met' if ok else 'NOT met'}")
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs and database kept in {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main)
