"""Webhook ingest throughput: Switchboard's full path against a bare Flask endpoint, same gunicorn, same run.

The full path is auth (integration secret), JSON parse and validation, dedup, rules, the commit of event +
incident + timeline + outbox row, and the 202. Both servers run under the gunicorn command line `switchboard web`
uses (2 sync worker processes by default) on loopback; load comes from wrk. Workloads: `distinct` (every event a
new incident owing an assignment mail: the heavier path; past 30 mails to one address in 10 minutes the cap
records "not sent" on the timeline instead of queueing the mail), `storm` (one dedup key: every event a repeat) and
`pagerduty` (issue 4: single PagerDuty Events v2 triggers to /v2/enqueue, each a new incident).
Target: full path / bare >= 0.5 for each. Each line also gives the server's CPU time (gunicorn master and workers,
user + system) per request: on two cores the ratio follows the ratio of these.

    python bench/webhook_ingest.py [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import cpu_seconds, prepare_home, process_tree, run_main, start_gunicorn, stop

LUA = {
    "distinct": r"""
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"title":"Disk full on db%d","severity":"critical","dedup_key":"k-%d-%d",' ..
    '"labels":{"team":"db"}}', counter, counter, math.random(1, 1000000000))
  return wrk.format("POST", nil, nil, body)
end
""",
    "storm": r"""
request = function()
  return wrk.format("POST", nil, nil, '{"title":"Disk full on db1","severity":"critical","dedup_key":"storm"}')
end
""",
    # Issue 4's benchmark: single PagerDuty Events v2 triggers to /v2/enqueue, each a new incident.
    "pagerduty": r"""
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"routing_key":"PD_KEY","event_action":"trigger","dedup_key":"pd-%d-%d",' ..
    '"payload":{"summary":"DB latency high on db%d","source":"db%d","severity":"critical"}}',
    counter, math.random(1, 1000000000), counter, counter)
  return wrk.format("POST", nil, nil, body)
end
""",
}
WORKLOADS = ("distinct", "storm", "pagerduty")
PATHS = {"distinct": "/api/v1/events/bench", "storm": "/api/v1/events/bench", "pagerduty": "/v2/enqueue"}
WARM_UP_SECONDS = 2


def url(port: int, workload: str) -> str:
    return f"http://127.0.0.1:{port}{PATHS[workload]}"


def run_wrk(
    url: str, secrets: dict[str, str], workload: str, seconds: int, connections: int, tmp: Path
) -> tuple[float, int, float]:
    """(requests/s, non-2xx answers, wall seconds wrk ran)."""
    script = tmp / f"{workload}.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {secrets["generic"]}"\n'
        + LUA[workload].replace("PD_KEY", secrets["pagerduty"])
    )
    started = time.monotonic()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes for both servers")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="switchboard-bench-"))
    env, _, by_name = prepare_home(tmp, {"bench": "generic", "pd": "pagerduty"})
    secrets = {"generic": by_name["bench"], "pagerduty": by_name["pd"]}

    results: dict[str, float] = {}
    # Both servers get exactly the command line `switchboard web` uses, differing only in the app they serve.
    servers = {"bare": "bare_app:app", "switchboard": "web.wsgi:app"}
    for name, app in servers.items():
        process, port = start_gunicorn(env, app, args.workers, tmp / f"{name}.log")
        try:
            pids = process_tree(process.pid)
            for workload in WORKLOADS:
                # Unmeasured warm-up: gunicorn forks its workers before they import the app (about 1.2 s for
                # Switchboard, 0.1 s for the bare app), so a run started at once would time the imports too.
                run_wrk(url(port, workload), secrets, workload, WARM_UP_SECONDS, args.connections, tmp)
                time.sleep(0.5)
                cpu = cpu_seconds(pids)
                rate, bad, wall = run_wrk(url(port, workload), secrets, workload, args.seconds, args.connections, tmp)
                per_request = (cpu_seconds(pids) - cpu) / max(rate * wall, 1) * 1000
                results[f"{name}/{workload}"] = rate
                print(f"{name:12} {workload:9} {rate:9.0f} req/s  non-2xx: {bad}  server CPU {per_request:.2f} "
                      f"ms/request", flush=True)  # fmt: skip
                if bad:
                    print(f"  {name} answered {bad} requests with an error: the figure is not valid", file=sys.stderr)
        finally:
            stop(process)

    print()
    ok = True
    for workload in WORKLOADS:
        ratio = results[f"switchboard/{workload}"] / results[f"bare/{workload}"]
        ok &= ratio >= 0.5
        print(f"ratio {workload:9} {ratio:5.2f}  (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main)
