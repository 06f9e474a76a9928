"""Rules backtest: a candidate rule set against the live one over the last 10,000 stored events.

Setup (not timed): a fresh SQLite database, migrated, holding --events (10,000) stored generic-webhook events
(JSON bodies from 40 teams and 5 severities, written straight into `events`) and a live rule book of --rules
(200) rules of the shapes bench/rules_eval.py uses, plus a catch-all; the candidate is the live set with one
rule added ahead of the rest that routes two teams elsewhere with a new impact/urgency.
Timed, as the web workbench runs it: read the newest --events stored events back as typed events
(ingest.replay.recent_events: SELECT, JSON parse, normalise) and `rules.backtest.backtest` (compile both sets,
decide every event twice, compare). Target: the whole < 10 s.
Baseline in the same run: the same two steps with an empty live and candidate rule book (the cost of reading
the events back and of a decision with nothing to evaluate).

    python bench/rules_backtest.py [--events 10000] [--rules 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules_eval import rule_book
from support import run_main

from hub.accounts import create_integration  # support put the project on the path
from hub.db import Database
from hub.domain import RuleBook, RuleSpec
from hub.migrate import upgrade
from hub.models import Event
from ingest.replay import recent_events
from rules.backtest import backtest

SEVERITIES = ("critical", "high", "warning", "info", "unknown")


def seed(db: Database, count: int) -> None:
    with db.transaction() as s:
        integration = create_integration(s, kind="generic", name="bench")[0]
        now = datetime.now(UTC)
        rows = []
        for i in range(count):
            body = {"title": f"Alert {i} on host-{i % 300}", "severity": SEVERITIES[i % 5],
                    "dedup_key": f"key-{i % 500}", "labels": {"team": f"team-{i % 40}", "env": "prod"}}  # fmt: skip
            rows.append({"source": "generic", "integration_id": integration.id, "received_at": now,
                         "content_type": "application/json", "raw": json.dumps(body).encode(),
                         "status": "processed"})  # fmt: skip
        s.execute(Event.__table__.insert(), rows)


def timed(db: Database, live: RuleBook, candidate: RuleBook, count: int) -> tuple[float, float, dict[str, int]]:
    started = time.perf_counter()
    with db.read() as s:
        replayed = recent_events(s, limit=count)
    loaded = time.perf_counter()
    assert len(replayed.events) == count and replayed.skipped == 0, (len(replayed.events), replayed.skipped)
    report = backtest(live, candidate, [(r.event_id, r.event, r.received_at) for r in replayed.events])
    finished = time.perf_counter()
    return loaded - started, finished - loaded, dict(report.counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'bench.db'}", timeout=30)
        upgrade(db.engine)
        seed(db, args.events)
        live = rule_book(args.rules)
        moved = RuleSpec(id=0, name="teams 1 and 2 to networks",
                         when={"field": "labels.team", "op": "in", "value": ["team-1", "team-2"]},
                         actions=MappingProxyType({"category": "network", "assignee": "net@example.com",
                                                   "impact": 1, "urgency": 1}))  # fmt: skip
        candidate = RuleBook(2, (moved, *live.rules))
        empty = RuleBook(1, ())
        base_load, base_decide, _ = timed(db, empty, RuleBook(2, ()), args.events)
        load, decide, counts = timed(db, live, candidate, args.events)
        db.dispose()
    expected = 2 * args.events // 40  # teams 1 and 2 of 40
    assert counts["recategorised"] == expected, counts
    print(f"{args.events} stored events, live {args.rules} rules vs candidate {args.rules + 1}")
    print(f"{'':>24}  {'read back s':>11}  {'backtest s':>10}  {'total s':>8}")
    print(f"{'backtest':>24}  {load:11.2f}  {decide:10.2f}  {load + decide:8.2f}")
    print(f"{'baseline: empty rules':>24}  {base_load:11.2f}  {base_decide:10.2f}  {base_load + base_decide:8.2f}")
    print("changes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    ok = load + decide < 10
    print(f"target < 10 s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main)
