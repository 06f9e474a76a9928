"""Start-up: what a web worker pays to import and build the app, and what each further app costs in one process.

Each gunicorn worker imports `web.wsgi` (the libraries, the project, then `create_app`) before it serves anything,
and every test that builds an app pays `create_app` again. Figures:
- `import web.wsgi` in a fresh interpreter, as a worker does (settings from the environment: a fresh home, SQLite;
  without Redis, and again with REDIS_URL set, as every worker of `switchboard up` has it), against the same for
  bench/bare_app.py (Flask and one route), the baseline any Flask worker pays; the median of --runs runs of each,
  interleaved, in CPU time (user + system, from getrusage, which another busy process on the machine does not
  inflate as it does wall time) and in wall time;
- `create_app` in one process, each app with its own settings and database as each test's has: the median of --apps
  calls that find the URL builders compiled by an earlier app (web/url_rules.py), against the median of as many,
  interleaved, that compile them first, as every app did before they were shared.
Targets: the worker's import at most 8 times the bare app's CPU time, with Redis and without, and an app at most a
third of the time one compiling its URL builders takes.

    python bench/startup.py [--runs 10] [--apps 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, run_main, verdict

from hub.config import Settings  # support put the project on the path
from hub.db import Database
from web import create_app
from web.url_rules import SharedBuilderRule

BENCH = Path(__file__).resolve().parent
IMPORT = """
import json, resource, time
started = time.perf_counter()
import {module}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": time.perf_counter() - started, "cpu": usage.ru_utime + usage.ru_stime}}))
"""


#: What each import is measured as: (module, extra environment). A worker of `switchboard up` or of a deployment with
#: `switchboard worker` has REDIS_URL, with which create_app makes the Redis client as it starts (no connection yet:
#: nothing listens on that port); without it the web app leaves Redis out, as it may run without.
MEASURED = {
    "web.wsgi": ("web.wsgi", {}),
    "web.wsgi, REDIS_URL set": ("web.wsgi", {"REDIS_URL": "redis://127.0.0.1:9/0"}),
    "bare_app": ("bare_app", {}),
}


def import_once(module: str, home: Path, extra: dict[str, str] | None = None) -> dict[str, float]:
    """One fresh interpreter importing `module`: its wall time, and the CPU time of the whole process.

    With bytecode caches, as an installed hub's workers have them (pip compiles the libraries' on install; the
    project's own are written by the first import): a PYTHONDONTWRITEBYTECODE inherited from the shell would have
    every import compile the project from source, which no restarted worker does. The caches go to a folder of the
    run's own (PYTHONPYCACHEPREFIX), not into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SWITCHBOARD_", "DATABASE_URL", "REDIS_URL", "PYTHONDONTWRITEBYTECODE"))}  # fmt: skip
    env.update(SWITCHBOARD_HOME=str(home), PYTHONPATH=os.pathsep.join((str(ROOT), str(BENCH))),
               PYTHONPYCACHEPREFIX=str(home / "bytecode"), **(extra or {}))  # fmt: skip
    done = subprocess.run([sys.executable, "-c", IMPORT.format(module=module)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    found: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return found


def imports(runs: int, tmp: Path) -> dict[str, dict[str, float]]:
    """The medians of `runs` imports of each, interleaved so that a busy moment weighs on both alike."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in MEASURED}
    for module, extra in MEASURED.values():  # once unmeasured: the bytecode caches are written, the files are cached
        import_once(module, tmp, extra)
    for _ in range(runs):
        for name, taken in samples.items():
            module, extra = MEASURED[name]
            taken.append(import_once(module, tmp, extra))
    return {m: {k: statistics.median(s[k] for s in taken) for k in ("cpu", "wall")} for m, taken in samples.items()}


def timed_app(home: Path) -> float:
    """Seconds create_app takes for a fresh home (its own settings and SQLite file)."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'switchboard.db'}", redis_url=None,
                        secret_key="bench")  # fmt: skip
    db = Database.connect(settings.database_url)
    started = time.perf_counter()
    create_app(settings, db=db)
    taken = time.perf_counter() - started
    db.dispose()
    return taken


def create_apps(apps: int, tmp: Path) -> tuple[float, float]:
    """(the median seconds of an app compiling its URL builders, of one finding them compiled)."""
    timed_app(tmp / "first")  # imports the blueprints
    compiling, sharing = [], []
    for n in range(apps):
        SharedBuilderRule._builders.clear()  # as before they were shared: every app compiled its own
        compiling.append(timed_app(tmp / f"compiling{n}"))
        sharing.append(timed_app(tmp / f"sharing{n}"))
    return statistics.median(compiling), statistics.median(sharing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--apps", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = imports(args.runs, Path(tmp))
        compiling, sharing = create_apps(args.apps, Path(tmp))
    worker, with_redis, bare = found["web.wsgi"], found["web.wsgi, REDIS_URL set"], found["bare_app"]
    for name, figures in (("import web.wsgi (a worker's start)", worker), ("the same, REDIS_URL set", with_redis),
                          ("baseline: import bare_app", bare)):  # fmt: skip
        print(f"{name:40} CPU {figures['cpu'] * 1000:6.0f} ms   wall {figures['wall'] * 1000:6.0f} ms")
    print(f"{'create_app, URL builders compiled before':40} {sharing * 1000:6.1f} ms (median of {args.apps})")
    print(f"{'baseline: create_app compiling them':40} {compiling * 1000:6.1f} ms")
    ratio, redis_ratio = worker["cpu"] / bare["cpu"], with_redis["cpu"] / bare["cpu"]
    return verdict([
        (f"worker import / bare app import, CPU: {ratio:.1f} (target <= 8)", ratio <= 8),
        (f"the same with REDIS_URL set: {redis_ratio:.1f} (target <= 8)", redis_ratio <= 8),
        (f"create_app / one compiling its builders: {sharing / compiling:.2f} (target <= 0.33)",
         sharing / compiling <= 1 / 3),
    ])  # fmt: skip


if __name__ == "__main__":
    run_main(main)
