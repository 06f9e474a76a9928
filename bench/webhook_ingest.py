"""Webhook ingest throughput: Switchboard's full path against a bare Flask endpoint, same gunicorn, same run.

The full path is auth (integration secret), JSON parse and validation, dedup, rules, the commit of event +
incident + timeline + outbox row, and the 202. Both servers run under the gunicorn command line `switchboard web`
uses (2 sync worker processes by default) on loopback; load comes from wrk. Workloads: `distinct` (every event a
new incident with an outbox notification: the heavier path), `storm` (one dedup key: every event a repeat) and
`pagerduty` (issue 4: single PagerDuty Events v2 triggers to /v2/enqueue, each a new incident).
Target: full path / bare >= 0.5 for each.

    python bench/webhook_ingest.py [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
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


def gunicorn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = int(argv[argv.index("--bind") + 1].rpartition(":")[2])
    wait_for_port("127.0.0.1", port, timeout=30)
    return process


def run_wrk(
    url: str, secrets: dict[str, str], workload: str, seconds: int, connections: int, tmp: Path
) -> tuple[float, int]:
    script = tmp / f"{workload}.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {secrets["generic"]}"\n'
        + LUA[workload].replace("PD_KEY", secrets["pagerduty"])
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


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
    home = tmp / "var"
    env = dict(os.environ, SWITCHBOARD_HOME=str(home), SECRET_KEY="bench", REDIS_URL="redis://127.0.0.1:1/0")
    env.pop("DATABASE_URL", None)
    db = Database.connect(f"sqlite:///{home / 'switchboard.db'}")
    upgrade(db.engine)
    with db.transaction() as s:
        secrets = {
            kind: create_integration(s, name=name, kind=kind)[1]
            for kind, name in (("generic", "bench"), ("pagerduty", "pd"))
        }
        create_user(s, email="oncall@example.com", password="bench-password", role="agent")
        add_rule(s, RuleSpec(id=0, name="critical to on-call", field="severity", op="equals", value="critical",
                             set_assignee="oncall@example.com"))  # fmt: skip
    db.dispose()

    results: dict[str, float] = {}
    # Both servers get exactly the command line `switchboard web` uses, differing only in the app they serve.
    settings = Settings.from_env(dict(env, SWITCHBOARD_WEB_WORKERS=str(args.workers)))
    servers = {"bare": "bare_app:app", "switchboard": "web.wsgi:app"}
    for name, app in servers.items():
        settings = replace(settings, web_port=free_port())
        server_env = dict(env, PYTHONPATH=f"{ROOT / 'bench'}:{ROOT}")
        process = gunicorn(gunicorn_argv(settings, app), server_env)
        port = settings.web_port
        try:
            for workload in WORKLOADS:
                time.sleep(0.5)
                rate, bad = run_wrk(f"http://127.0.0.1:{port}{PATHS[workload]}", secrets, workload,
                                    args.seconds, args.connections, tmp)  # fmt: skip
                results[f"{name}/{workload}"] = rate
                print(f"{name:12} {workload:9} {rate:9.0f} req/s  non-2xx: {bad}", flush=True)
                if bad:
                    print(f"  {name} answered {bad} requests with an error: the figure is not valid", file=sys.stderr)
        finally:
            process.terminate()
            process.wait(10)

    print()
    ok = True
    for workload in WORKLOADS:
        ratio = results[f"switchboard/{workload}"] / results[f"bare/{workload}"]
        ok &= ratio >= 0.5
        print(f"ratio {workload:9} {ratio:5.2f}  (target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'})")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
