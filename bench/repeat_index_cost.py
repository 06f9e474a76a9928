"""What an index on incidents costs the repeated-event path, against what it saves a list: the intake's repeat
UPDATE (hub/statements.py COUNT_REPEAT, as a storm of repeats arrives) into a large desk,
with each candidate index in turn and with none, interleaved so a busy machine weighs on all alike; then the
lists' statements for an assignee (hub/incident_search.py `search`) with each.

    python bench/repeat_index_cost.py [--incidents 200000] [--repeats 20000] [--rounds 2]
    python bench/repeat_index_cost.py --postgresql     # a cluster of its own (initdb)

On PostgreSQL a repeat changes the indexed last_seen, so it is never a HOT update: every index on incidents takes a
new entry per repeat. On SQLite an index is written only when one of its columns changes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.support import scratch_database  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.incident_search import IncidentFilter, search  # noqa: E402
from hub.models import Incident, Integration  # noqa: E402
from hub.statements import COUNT_REPEAT  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
#: name -> the index's columns (none: the schema without any, as before migration 0038 added `(assignee)`)
CANDIDATES: dict[str, str | None] = {
    "none": None,
    "(assignee)": "assignee",
    "(assignee, id)": "assignee, id",
    "(assignee, status, last_seen)": "assignee, status, last_seen",
}
OPEN_WITH_KEYS = 2_000  # the open alerts a storm repeats
ASSIGNEES = [f"agent{i:05d}@example.com" for i in range(300)] + [f"team-{i:02d}" for i in range(25)]
LISTS = {
    "assignee=agent00000 (the busiest)": {"assignee": "agent00000@example.com"},
    "assignee=team-03": {"assignee": "team-03"},
    "assignee=agent00007&status=open": {"assignee": "agent00007@example.com", "status": "open"},
    "queue=agent00001 (groups too)": {"queue": "agent00001@example.com"},
    "queue=agent00001&status=open (dashboard)": {"queue": "agent00001@example.com", "status": "open"},
}


def seed(db: Database, incidents: int) -> None:
    """`incidents` over three years, most closed; assignees skewed (Pareto) as pages_at_scale's; the newest
    OPEN_WITH_KEYS open with a dedup key of one integration."""
    rng = random.Random(7)
    span = timedelta(days=3 * 365)
    with db.engine.begin() as conn:
        conn.execute(insert(Integration.__table__), {"name": "storm", "kind": "generic", "secret_hash": "x",
                                                     "enabled": True, "created_at": NOW})  # fmt: skip
        for start in range(0, incidents, 5_000):
            rows = []
            for i in range(start, min(incidents, start + 5_000)):
                first = NOW - span * (1 - i / incidents)
                keyed = i >= incidents - OPEN_WITH_KEYS
                status = "open" if keyed or rng.random() < 0.01 else rng.choice(("closed", "closed", "resolved"))
                assignee = ASSIGNEES[min(int(rng.paretovariate(1.2)) - 1, len(ASSIGNEES) - 1)]
                rows.append({"title": f"disk full on host-{i % 500:04d}", "description": "", "status": status,
                             "priority": rng.choice((1, 2, 3, 3, 3, 4, 5)), "severity": "major",
                             "assignee": assignee if rng.random() < 0.9 else None, "source": "generic",
                             "dedup_key": f"alert-{i}" if keyed else None, "integration_id": 1 if keyed else None,
                             "occurrences": 1, "first_seen": first, "last_seen": first, "labels": {},
                             "service": f"service-{i % 40:02d}", "minutes_spent": 0})  # fmt: skip
            conn.execute(insert(Incident.__table__), rows)


def settle(db: Database) -> None:
    """PostgreSQL: vacuum and analyse, as autovacuum would between storms, so each run starts alike."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE incidents")


def with_index(db: Database, columns: str | None) -> Callable[[], None]:
    """Create the candidate index; returns what drops it."""
    if columns is None:
        return lambda: None
    with db.engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX ix_candidate ON incidents ({columns})"))
    settle(db)

    def drop() -> None:
        with db.engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_candidate"))

    return drop


def wal_position(db: Database) -> int:
    """PostgreSQL: bytes of WAL written so far, a cost a busy machine does not blur (0 on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return 0
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")).scalar_one())


def repeats_per_second(db: Database, incidents: int, repeats: int, batch: int) -> tuple[float, float]:
    """COUNT_REPEAT `repeats` times, round the keyed incidents, `batch` to a transaction (as the intake takes a
    storm: a commit each would measure the disk's flush, not the index); (repeats a second, WAL bytes a repeat)."""
    keys = [f"alert-{i}" for i in range(incidents - OPEN_WITH_KEYS, incidents)]
    wal, start = wal_position(db), time.perf_counter()
    for first in range(0, repeats, batch):
        with db.engine.begin() as conn:
            for n in range(first, min(repeats, first + batch)):
                COUNT_REPEAT.first(conn, {"key": keys[n % len(keys)], "integration": 1, "now": datetime.now(UTC)})
    took = time.perf_counter() - start
    return repeats / took, (wal_position(db) - wal) / repeats


def list_ms(db: Database, args: dict[str, str], runs: int = 7) -> float:
    """The median time of the list's statements (the whole count, as the API's, and the page) for `args`."""
    filt = IncidentFilter.from_args(args)
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        with db.read() as session:
            search(session, filt, count_to=None)  # a count that stops would hide what an index saves it
        took.append((time.perf_counter() - start) * 1000)
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100, help="repeats a transaction")
    parser.add_argument("--rounds", type=int, default=2, help="each candidate this many times, interleaved")
    parser.add_argument("--postgresql", action="store_true", help="a cluster of its own (SQLite otherwise)")
    args = parser.parse_args()
    with scratch_database("repeat-index-cost-", postgresql=args.postgresql) as db:
        with db.engine.begin() as conn:  # the candidates are weighed against the schema before migration 0038
            conn.execute(text("DROP INDEX ix_incidents_assignee"))
        seed(db, args.incidents)
        settle(db)
        rates: dict[str, list[float]] = {name: [] for name in CANDIDATES}
        wal: dict[str, list[float]] = {name: [] for name in CANDIDATES}
        lists: dict[str, dict[str, float]] = {}
        for _ in range(args.rounds):
            for name, columns in CANDIDATES.items():
                drop = with_index(db, columns)
                rate, wal_bytes = repeats_per_second(db, args.incidents, args.repeats, args.batch)
                rates[name].append(rate)
                wal[name].append(wal_bytes)
                settle(db)
                lists[name] = {label: list_ms(db, wanted) for label, wanted in LISTS.items()}
                drop()
        print(f"{db.engine.dialect.name}, {args.incidents:,} incidents, {args.repeats:,} repeats a run, "
              f"{args.rounds} runs each")  # fmt: skip
        base = statistics.median(rates["none"])
        for name, found in rates.items():
            rate = statistics.median(found)
            print(f"  {name:<32} repeats/s {rate:>7.0f} ({(rate / base - 1) * 100:+.1f}%), runs "
                  + ", ".join(f"{r:.0f}" for r in found)
                  + (f"; WAL bytes a repeat {statistics.median(wal[name]):.0f}" if wal[name][0] else ""))  # fmt: skip
        print("  the lists' statements (count + page), median ms:")
        for label in LISTS:
            print(f"    {label:<40} " + "  ".join(f"{name} {lists[name][label]:.1f}" for name in CANDIDATES))


if __name__ == "__main__":
    main()
