"""Rules evaluation: one event against 1,000 compiled rules, per-decision latency.

The rule book: --rules rules (1,000), a realistic mix cycling through five shapes: an `all` of a label equality
and a severity `in` list; an `any` of a title regex (RE2) and a `contains` on the description; a `not` around a
source equality inside an `all` with a numeric `gt` on a label; a `starts_with` on the sender; and a weekday `in`
with an hour `ge`. Each names its own team or host, so none of the first 999 matches the event; the last rule (a
catch-all setting category, tags, impact/urgency, a group assignment and a title template) does, so every
decision walks the whole list, then explains and applies one match: the worst case for a first-match engine.
Compiled once (as the Engine does per rule-book version), then --iterations decisions are timed one by one with
perf_counter_ns after --warmup untimed ones.
Targets: p50 < 1 ms and p99 < 5 ms per decision.
Baselines, measured in the same run and the same loop: the Engine with an empty rule book (the fixed cost of a
decision: event view, priority, Decision), and a bare dict lookup (the loop and timer themselves).

    python bench/rules_eval.py [--rules 1000] [--iterations 20000] [--warmup 2000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import run_main

from hub.domain import GroupState, InboundEvent, RoutingState, RuleBook, RuleSpec  # support put the project on the path
from rules import Engine

EVENT = InboundEvent(
    source="alertmanager",
    title="Disk full on db-target",
    description="/var is at 97% on db-target",
    severity="critical",
    dedup_key="disk-db-target",
    labels=MappingProxyType({"team": "storage", "host": "db-target", "disk_pct": "97", "env": "prod"}),
    integration="prom",
    requester="alertmanager@example.com",
)
NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
STATE = RoutingState(MappingProxyType({"dba": GroupState(("ann@x", "bob@x"), MappingProxyType({"ann@x": 2}))}))


def shape(i: int) -> dict[str, Any]:
    """Rule i's condition: one of five shapes, each naming something of its own so it misses the event."""
    match i % 5:
        case 0:
            return {"all": [{"field": "labels.team", "op": "equals", "value": f"team-{i}"},
                            {"field": "severity", "op": "in", "value": ["critical", "high"]}]}  # fmt: skip
        case 1:
            return {"any": [{"field": "title", "op": "regex", "value": f"^host-{i}\\b.*down"},
                            {"field": "description", "op": "contains", "value": f"cluster-{i}"}]}  # fmt: skip
        case 2:
            return {"all": [{"not": {"field": "source", "op": "equals", "value": "alertmanager"}},
                            {"field": "labels.disk_pct", "op": "gt", "value": 90}]}  # fmt: skip
        case 3:
            return {"field": "sender", "op": "starts_with", "value": f"monitor-{i}@"}
        case _:
            return {"all": [{"field": "weekday", "op": "in", "value": ["sat", "sun"]},
                            {"field": "hour", "op": "ge", "value": 22}]}  # fmt: skip


def rule_book(count: int) -> RuleBook:
    specs = [
        RuleSpec(id=i, name=f"rule {i}", when=shape(i), actions=MappingProxyType({"category": f"c{i}", "tags": ["x"]}))
        for i in range(count - 1)
    ]
    catch_all = {"category": "storage", "tags": ["disk", "prod"], "impact": 1, "urgency": 2, "group": "dba",
                 "strategy": "fewest_open", "title": "[{{ labels.env }}] {{ title }}"}  # fmt: skip
    specs.append(RuleSpec(id=count, name="catch-all", when={"field": "source", "op": "exists"},
                          actions=MappingProxyType(catch_all)))  # fmt: skip
    return RuleBook(1, tuple(specs))


def timings(call: Callable[[], Any], iterations: int, warmup: int) -> list[float]:
    """Microseconds per call, each call timed on its own."""
    for _ in range(warmup):
        call()
    clock = time.perf_counter_ns
    samples = []
    gc.collect()
    for _ in range(iterations):
        started = clock()
        call()
        samples.append((clock() - started) / 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98], max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    args = parser.parse_args()

    engine = Engine()
    book = rule_book(args.rules)
    started = time.perf_counter()
    engine.compiled(book)
    compile_ms = (time.perf_counter() - started) * 1000
    decision = engine(EVENT, book, NOW, STATE)
    assert decision.evaluated == args.rules and [s.rule for s in decision.trace] == ["catch-all"], decision
    assert decision.title == "[prod] Disk full on db-target" and decision.assignee == "bob@x", decision

    empty_engine, empty = Engine(), RuleBook(1, ())
    lookup = {"severity": "critical"}
    runs = {
        f"{args.rules} rules": timings(lambda: engine(EVENT, book, NOW, STATE), args.iterations, args.warmup),
        "empty rule book": timings(lambda: empty_engine(EVENT, empty, NOW, STATE), args.iterations, args.warmup),
        "bare dict lookup": timings(lambda: lookup.get("severity"), args.iterations, args.warmup),
    }
    print(f"compiled {args.rules} rules once in {compile_ms:.1f} ms; {args.iterations} decisions of one event each")
    print(f"{'':>20}  {'p50 µs':>9}  {'p99 µs':>9}  {'max µs':>9}")
    for name, samples in runs.items():
        p50, p99, worst = summary(samples)
        print(f"{name:>20}  {p50:9.1f}  {p99:9.1f}  {worst:9.1f}")
    p50, p99, _ = summary(runs[f"{args.rules} rules"])
    ok = p50 < 1000 and p99 < 5000
    print(f"targets p50 < 1000 µs and p99 < 5000 µs: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    run_main(main)
