"""Problem suggestions on a large desk: what the 90-day look-back for periodic recurrences costs over the 7-day
burst-only listing, read as /problems, GET /api/v1/problems/suggestions and the dashboard's banner read it.

The desk: 45,000 incidents over 90 days (alerts from 300 dedup keys and mail from 560 service-and-category pairs,
some linked to problems, some merged, 30 failing on a schedule) and 12,000 rare ones (3 to 5 at random times per
dedup key), 57,000 in all: more than the 50,000 the suggestions scan (hub/problems.py MAX_SCANNED), so the cap
splits the oldest groups. Median CPU time of --runs each, after a warm-up; SQLite unless --postgresql (whose
server's CPU time is not counted: read its figures as the client's share).

The pages keep the look-back's read a minute (hub/lookback_cache.py): "first visit" rows read it every time (the
`suggestions` revision bumped before each run, outside the timing, as a link or a filed problem does), the others
are the visits within the minute that reuse it.

    python bench/problem_suggestions.py [--runs 15] [--postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from support import scratch_database  # noqa: E402

from hub import accounts, problems, revisions  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.lookback_cache import SUGGESTIONS_REVISION, LookbackCache  # noqa: E402
from hub.models import Incident, Integration, Problem  # noqa: E402
from hub.problems import Recurrence  # noqa: E402
from hub.recurrence import Occurrence, suggest  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from web import create_app  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
LOOKBACK = timedelta(days=90)
WINDOW = timedelta(days=7)
COMMON, RARE = 45_000, 12_000
INTEGRATIONS = 5
ALERTS = 60  # per integration
SERVICES = [f"service-{n:02d}" for n in range(40)]
CATEGORIES = ("disk", "database", "login", "network", "mail", "printer", "vpn", "backup", "certificate", "queue",
              "replica", "storage", "dns", "cache")  # fmt: skip
SCHEDULES = (timedelta(days=1),) * 10 + (timedelta(days=7),) * 15 + (timedelta(days=30),) * 5
CHUNK = 5_000
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "root@example.com"


def desk(rng: random.Random) -> Iterator[dict[str, Any]]:
    """The incidents, oldest first (ids grow with first_seen, as on a real desk)."""
    rows = []
    for _ in range(COMMON - sum(LOOKBACK // period for period in SCHEDULES)):
        first = NOW - LOOKBACK * rng.random()
        if rng.random() < 0.7:
            alert = int(rng.paretovariate(1.2)) % ALERTS
            rows.append(_row(first, f"Alert {alert} firing", dedup_key=f"alert-{alert}",
                             integration_id=rng.randint(1, INTEGRATIONS)))  # fmt: skip
        else:
            service, category = rng.choice(SERVICES), rng.choice(CATEGORIES)
            rows.append(_row(first, f"{category} trouble on {service}", service=service, category=category))
        if rng.random() < 0.03:
            rows[-1]["problem_id"] = rng.randint(1, 50)
    for n, period in enumerate(SCHEDULES):  # late by up to an hour, at 02:00 UTC
        start = NOW.replace(hour=2, minute=0, second=0) - period * (LOOKBACK // period)
        rows.extend(_row(start + period * k + timedelta(minutes=rng.randint(0, 60)), f"Job {n} failed",
                         dedup_key=f"job-{n}", integration_id=1) for k in range(LOOKBACK // period))  # fmt: skip
    left = RARE
    while left > 0:
        size = min(left, rng.randint(3, 5))
        key = f"rare-{uuid.UUID(int=rng.getrandbits(128)).hex[:12]}"
        rows.extend(_row(NOW - LOOKBACK * rng.random(), f"Rare {key}", dedup_key=key,
                         integration_id=rng.randint(1, INTEGRATIONS)) for _ in range(size))  # fmt: skip
        left -= size
    rows = [row for row in rows if row["first_seen"] <= NOW]
    rows.sort(key=lambda row: row["first_seen"])
    for row in rng.sample(rows, 500):
        row["merged_into_id"] = 1
    return iter(rows)


def _row(first: datetime, title: str, **fields: Any) -> dict[str, Any]:
    return {"title": title, "status": "resolved", "source": "generic", "first_seen": first, "last_seen": first,
            "labels": {}, "minutes_spent": 0, "dedup_key": None, "integration_id": None, "service": None,
            "category": None, "problem_id": None, "merged_into_id": None, **fields}  # fmt: skip


def seed(db: Database) -> int:
    rng = random.Random(7)
    with db.engine.begin() as conn:
        conn.execute(insert(Integration.__table__), [
            {"name": f"tool-{n}", "kind": "generic", "secret_hash": uuid.uuid4().hex, "enabled": True,
             "created_at": NOW} for n in range(INTEGRATIONS)])  # fmt: skip
        conn.execute(insert(Problem.__table__), [
            {"title": f"Problem {n}", "state": "investigating", "root_cause": "", "workaround": "",
             "share_workaround": False, "created_by": ADMIN_EMAIL, "created_at": NOW, "updated_at": NOW}
            for n in range(50)])  # fmt: skip
        rows, count = desk(rng), 0
        while batch := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
            conn.execute(insert(Incident.__table__), batch)
            count += len(batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return count


def full_scan(db: Database, recurrence: Recurrence) -> list[Any]:
    """What the listing was before it grouped in SQL: every scanned row through the pure core."""
    with db.read() as session:
        rows = session.execute(problems.occurrences_since(NOW - max(recurrence.window, recurrence.lookback)))
        return suggest((Occurrence(*row) for row in rows), NOW, threshold=recurrence.threshold,
                       window=recurrence.window, lookback=recurrence.lookback)  # fmt: skip


def listing(db: Database, recurrence: Recurrence, kept: LookbackCache | None = None) -> list[Any]:
    with db.read() as session:
        return problems.suggestions(session, recurrence, NOW, kept)


def forget(db: Database) -> None:
    """What a link or a filed problem does to every kept look-back: the next listing reads it again."""
    with db.transaction() as session:
        revisions.bump(session, SUGGESTIONS_REVISION)


def median_ms(work: Callable[[], object], runs: int, before: Callable[[], object] = lambda: None) -> float:
    """CPU time, not wall-clock: the machine these run on is shared, and a query waits in line for a core there
    (the database is in-process on SQLite, so its work is counted). `before` runs ahead of each, untimed."""
    work()  # warm: statements prepared, pages in the cache
    took = []
    for _ in range(runs):
        before()
        start = time.process_time()
        work()
        took.append((time.process_time() - start) * 1000)
    return statistics.median(took)


def pages(db: Database, home: Path, lookback: timedelta, runs: int) -> dict[str, float]:
    """The dashboard and the API listing, through the whole app, with `lookback` configured."""
    settings = make_settings(home, problem_lookback=lookback.total_seconds(), problem_window=WINDOW.total_seconds())
    app = create_app(settings, db=db)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/login", data={"email": ADMIN_EMAIL, "password": PASSWORD}).status_code == 302
    with db.transaction() as session:
        secret = accounts.create_token(session, name=f"bench-{uuid.uuid4()}", role="admin")
    token = {"Authorization": f"Bearer {secret}"}

    def get(path: str, headers: dict[str, str]) -> None:
        assert client.get(path, headers=headers).status_code == 200

    def visit(path: str) -> None:
        get(path, token if path.startswith("/api/") else {})

    found = {path: median_ms(lambda path=path: visit(path), runs)
             for path in ("/dashboard", "/problems", "/api/v1/problems/suggestions")}  # fmt: skip
    found["/problems, first visit"] = median_ms(lambda: visit("/problems"), runs, before=lambda: forget(db))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgresql", action="store_true", help="a PostgreSQL cluster of its own (initdb)")
    args = parser.parse_args()
    burst_only, periodic = Recurrence(window=WINDOW, lookback=WINDOW), Recurrence(window=WINDOW, lookback=LOOKBACK)
    with scratch_database("problem-suggestions-", postgresql=args.postgresql) as db, \
            tempfile.TemporaryDirectory(prefix="problem-suggestions-") as home:  # fmt: skip
        start = time.perf_counter()
        written = seed(db)
        with db.transaction() as session:
            accounts.create_user(session, email=ADMIN_EMAIL, password=PASSWORD, role="admin")
        print(f"seeded {db.engine.dialect.name} in {time.perf_counter() - start:.0f} s: {written:,} incidents")
        kept = LookbackCache()
        found, expected = listing(db, periodic, kept), full_scan(db, periodic)
        assert found == expected, "grouping in SQL suggested otherwise than the full scan"
        assert listing(db, periodic, kept) == expected, "the kept look-back suggested otherwise than the full scan"
        kinds = {pattern: sum(s.pattern == pattern for s in found) for pattern in ("burst", "periodic")}
        print(f"{len(found)} suggestions ({kinds['burst']} bursts, {kinds['periodic']} periodic), as the full scan's")
        print(f"median CPU time of {args.runs}, ms{'':<15}{'7-day burst only':>17} {'90-day look-back':>17}")
        rows = {
            "suggestions, full scan (before)": (median_ms(lambda: full_scan(db, burst_only), args.runs),
                                                median_ms(lambda: full_scan(db, periodic), args.runs)),
            "suggestions listing, first visit": (median_ms(lambda: listing(db, burst_only), args.runs),
                                                 median_ms(lambda: listing(db, periodic), args.runs)),
            "suggestions listing, look-back kept": (median_ms(lambda: listing(db, burst_only, kept), args.runs),
                                                    median_ms(lambda: listing(db, periodic, kept), args.runs)),
        }  # fmt: skip
        base, looking = pages(db, Path(home) / "a", WINDOW, args.runs), pages(db, Path(home) / "b", LOOKBACK, args.runs)
        rows.update({f"GET {path}": (base[path], looking[path]) for path in base})
        for name, (without, with_lookback) in rows.items():
            print(f"{name:<40} {without:>17.1f} {with_lookback:>17.1f}   +{with_lookback - without:.1f}")
        db.engine.dispose()


if __name__ == "__main__":
    main()
