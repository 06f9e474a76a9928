"""What keeping the words of incidents (migration 0044, hub/incident_words.py) costs ingest: new incidents a second
(one INSERT each, 100 to a transaction, as a storm of new alerts) and the intake's repeat UPDATE (hub/statements.py
COUNT_REPEAT) a second, with the words' triggers (UPDATE OF title, description; DELETE) and without them,
interleaved so a busy machine weighs on both; and what the dispatcher's indexer then takes to index the new ones
(incidents a second, off the intake's path).

    python bench/search_index_cost.py [--incidents 200000] [--rows 5000] [--repeats 20000] [--rounds 2]
    python bench/search_index_cost.py --postgresql     # a cluster of its own (initdb)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from bench.repeat_index_cost import repeats_per_second, seed, settle  # noqa: E402
from bench.support import scratch_database  # noqa: E402
from hub import incident_words  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.models import Incident  # noqa: E402

TRIGGERS = ("incident_words_update", "incident_words_delete")


def switch(db: Database, on: bool, saved: list[str]) -> None:
    """Turn the words' triggers on or off (SQLite has no DISABLE: they are dropped, their SQL kept in `saved`)."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            for name in TRIGGERS[:1]:
                conn.execute(text(f"ALTER TABLE incidents {'ENABLE' if on else 'DISABLE'} TRIGGER {name}"))
        elif on:
            for sql in saved:
                conn.exec_driver_sql(sql)
            saved.clear()
        elif not saved:
            saved[:] = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
                                         "'incident_words%'")).scalars().all()  # fmt: skip
            for name in TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name}"))


def inserts_per_second(db: Database, rows: int, batch: int = 100) -> float:
    """`rows` new incidents, one INSERT each, `batch` to a transaction."""
    now, start = datetime.now(UTC), time.perf_counter()
    for first in range(0, rows, batch):
        with db.engine.begin() as conn:
            for n in range(first, min(rows, first + batch)):
                conn.execute(insert(Incident).values(
                    title=f"Certificate expired on host-{n % 500:04d}.example.net", source="generic",
                    description=f"Alert from prometheus: certificate for service-{n % 40} expires in {n % 30} days",
                    first_seen=now, last_seen=now))  # fmt: skip
    return rows / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=5_000, help="new incidents a run")
    parser.add_argument("--repeats", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgresql", action="store_true", help="a cluster of its own (SQLite otherwise)")
    args = parser.parse_args()
    with scratch_database("search-index-cost-", postgresql=args.postgresql) as db:
        seed(db, args.incidents)
        settle(db)
        saved: list[str] = []
        found: dict[str, dict[str, list[float]]] = {"with": {"new": [], "repeats": []},
                                                    "without": {"new": [], "repeats": []}}  # fmt: skip
        indexing: list[float] = []
        for _ in range(args.rounds):
            for name in ("with", "without"):
                switch(db, name == "with", saved)
                found[name]["new"].append(inserts_per_second(db, args.rows))
                found[name]["repeats"].append(repeats_per_second(db, args.incidents, args.repeats, 100)[0])
                start = time.perf_counter()
                indexing.append(incident_words.index_new(db) / (time.perf_counter() - start))
                settle(db)
            switch(db, True, saved)
        print(f"{db.engine.dialect.name}, {args.incidents:,} incidents, {args.rounds} runs each, median a second:")
        for measure in ("new", "repeats"):
            base = statistics.median(found["without"][measure])
            rate = statistics.median(found["with"][measure])
            print(
                f"  {measure:<8} without the words' triggers {base:>8.0f}   with {rate:>8.0f} "
                f"({(rate / base - 1) * 100:+.1f}%)"
            )
        rate = statistics.median(indexing)
        print(f"  the indexer then, {incident_words.BATCH:,} a transaction: {rate:,.0f} incidents a second")


if __name__ == "__main__":
    main()
