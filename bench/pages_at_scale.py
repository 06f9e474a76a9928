"""Every main page and API list on a large desk: each timed through the whole app (session, route, queries,
template) as an admin, on an empty database (the baseline) and on one seeded with bulk inserts like an organisation
that has outgrown one machine: 200,000 incidents over three years, 1,000,000 events, ~5 timeline entries an
incident, 2,000 users, 500 CIs, outbox rows, changes and problems. Median and p95 of --runs renders each.

    python bench/pages_at_scale.py [--scale 1.0] [--runs 7] [--rounds 1] [--only /incidents]
    python bench/pages_at_scale.py --database-url postgresql+psycopg://...   # an empty database of yours
    python bench/pages_at_scale.py --postgresql                               # a cluster of its own (initdb)

--scale shrinks or grows every count (0.1: 20,000 incidents). A page whose figure grows with the desk, where the
baseline's does not, reads rows it does not show: look at its statements (EXPLAIN) before reaching for a cache.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask, url_for  # noqa: E402
from sqlalchemy import Table, insert  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from hub import accounts  # noqa: E402
from hub.db import Database  # noqa: E402
from hub.migrate import upgrade  # noqa: E402
from hub.models import (  # noqa: E402
    AuditEntry,
    Change,
    ConfigurationItem,
    Event,
    Group,
    GroupMember,
    Incident,
    Integration,
    OutboxMessage,
    Problem,
    RequestType,
    Service,
    TimelineEntry,
    User,
)
from tests.conftest import make_settings  # noqa: E402
from web import create_app  # noqa: E402
from web.navigation import ADMIN, WORK  # noqa: E402

PASSWORD = "correct horse battery"
ADMIN_EMAIL = "root@example.com"
CHUNK = 5_000  # rows an INSERT carries: large enough to be quick, small enough to hold in memory
NOW = datetime.now(UTC).replace(microsecond=0)
SPAN = timedelta(days=3 * 365)

#: At --scale 1.
COUNTS = {"incidents": 200_000, "events": 1_000_000, "timeline": 5, "users": 2_000, "cis": 500, "outbox": 100_000,
          "changes": 20_000, "problems": 5_000, "audit": 20_000}  # fmt: skip
SERVICES = [f"service-{n:02d}" for n in range(40)]
GROUPS = [f"team-{n:02d}" for n in range(25)]
REQUEST_TYPES = [f"Request type {n:02d}" for n in range(30)]
INTEGRATIONS = ["prometheus", "grafana", "datadog", "zabbix", "nagios"]
#: Old incidents are closed; only the last weeks' are still open: the spread a desk has.
OLD_STATUSES = (("closed", 80), ("resolved", 19), ("open", 1))
RECENT_STATUSES = (("open", 40), ("acknowledged", 25), ("waiting", 10), ("resolved", 25))
WORDS = ("disk", "full", "database", "replica", "lag", "login", "failing", "timeout", "certificate", "expired",
         "printer", "vpn", "mail", "queue")  # fmt: skip


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def skewed(rng: random.Random, items: list[str]) -> str:
    """A few items take most of the rows (Pareto), as real services and assignees do."""
    return items[min(int(rng.paretovariate(1.2)) - 1, len(items) - 1)]


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk(conn: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    count = 0
    for batch in chunks(rows):
        conn.execute(insert(table), batch)
        count += len(batch)
    return count


def seed(db: Database, scale: float, seed_value: int = 7) -> dict[str, int]:
    """The large desk, in bulk Core inserts (no ORM units of work): a few minutes at --scale 1."""
    rng = random.Random(seed_value)
    n = {name: max(1, int(value * scale)) if name != "timeline" else value for name, value in COUNTS.items()}
    users = [f"agent{i:05d}@example.com" for i in range(n["users"])]
    requesters = [f"person{i:06d}@customer.example" for i in range(max(1, n["incidents"] // 10))]
    written: dict[str, int] = {}
    with db.engine.begin() as conn:
        written["users"] = bulk(conn, User.__table__, (
            {"email": e, "password_hash": "x", "role": "agent", "active": True, "created_at": NOW}
            for e in users))  # fmt: skip
        bulk(conn, Service.__table__, ({"name": s, "description": "", "created_at": NOW, "public": False}
                                       for s in SERVICES))  # fmt: skip
        bulk(conn, Group.__table__, ({"name": g, "created_at": NOW} for g in GROUPS))
        bulk(conn, Integration.__table__, ({"name": name, "kind": "generic", "secret_hash": uuid.uuid4().hex,
                                            "enabled": True, "created_at": NOW} for name in INTEGRATIONS))  # fmt: skip
        members = ({"group_id": g + 1, "email": users[(g * 8 + m) % len(users)], "position": m}
                   for g in range(len(GROUPS)) for m in range(8))  # fmt: skip
        bulk(conn, GroupMember.__table__, members)
        ci_names = [f"host-{i:04d}.example.net" for i in range(n["cis"])]
        written["cis"] = bulk(conn, ConfigurationItem.__table__, (
            {"name": c, "name_key": c, "kind": "server", "service": rng.choice(SERVICES), "status": "active",
             "attributes": {}, "description": "", "created_at": NOW, "updated_at": NOW} for c in ci_names))  # fmt: skip
        written["problems"] = bulk(conn, Problem.__table__, (
            {"title": f"Recurring {rng.choice(WORDS)} {i}", "state": rng.choice(("new", "investigating",
             "known_error", "resolved", "closed")), "service": skewed(rng, SERVICES), "root_cause": "",
             "workaround": "", "share_workaround": False, "created_by": rng.choice(users),
             "created_at": NOW - SPAN * (1 - i / n["problems"]), "updated_at": NOW}
            for i in range(n["problems"])))  # fmt: skip
        bulk(conn, RequestType.__table__, ({"name": name, "summary": name, "description": "", "questions": [],
                                            "active": True, "position": 0, "created_at": NOW}
                                           for name in REQUEST_TYPES))  # fmt: skip
        assignees = users[:300] + GROUPS

        def incident(i: int) -> dict[str, Any]:
            first = NOW - SPAN * (1 - i / n["incidents"]) + timedelta(seconds=rng.randint(0, 600))
            recent = NOW - first < timedelta(days=30)
            status = weighted(rng, RECENT_STATUSES if recent else OLD_STATUSES)
            done = status in ("resolved", "closed")
            words = " ".join(rng.choices(WORDS, k=4))
            return {"title": f"{words} on {rng.choice(ci_names)}", "description": f"Reported: {words}. " * 4,
                    "status": status, "priority": rng.choices((1, 2, 3, 4, 5), (2, 8, 50, 30, 10))[0],
                    "severity": rng.choice(("critical", "major", "minor", "warning")), "category": rng.choice(WORDS),
                    "assignee": skewed(rng, assignees) if rng.random() < 0.9 else None,
                    "requester": rng.choice(requesters) if rng.random() < 0.6 else None,
                    "source": rng.choice(("email", "generic", "alertmanager")), "occurrences": rng.randint(1, 20),
                    "first_seen": first, "last_seen": first + timedelta(minutes=rng.randint(0, 600)),
                    "resolved_at": first + timedelta(hours=rng.randint(1, 72)) if done else None,
                    "acknowledged_at": first + timedelta(minutes=5), "labels": {"env": "prod"},
                    "service": skewed(rng, SERVICES), "ci_id": rng.randint(1, n["cis"]) if rng.random() < 0.7 else None,
                    "problem_id": rng.randint(1, n["problems"]) if rng.random() < 0.05 else None,
                    "minutes_spent": 0, "sla_state": "met" if done else "ok",
                    # Clocks on the unresolved ones (some overdue, the waiting ones paused), for the Due sort. Every
                    # row names every column: an INSERT of many rows takes its columns from the first.
                    "sla_due_at": None if done else first + timedelta(hours=rng.randint(4, 24 * 20)),
                    "sla_paused_at": first + timedelta(hours=1) if status == "waiting" else None,
                    # A third are service requests, by number, not drawn, so the other columns stay as they were.
                    "kind": "request" if i % 3 == 0 else "incident",
                    # Most requests name a type of the catalogue (by number, as the kind), the rest came by mail.
                    "request_type_id": 1 + i // 3 % len(REQUEST_TYPES) if i % 3 == 0 and i % 4 else None}  # fmt: skip

        written["incidents"] = bulk(conn, Incident.__table__, (incident(i) for i in range(n["incidents"])))
        kinds = ("opened", "event", "note", "email", "resolved")
        written["timeline entries"] = bulk(conn, TimelineEntry.__table__, (
            {"incident_id": i, "at": NOW - SPAN * (1 - i / n["incidents"]) + timedelta(minutes=k), "kind": kinds[k],
             "summary": f"{kinds[k]} by {users[i % len(users)]}", "data": None}
            for i in range(1, n["incidents"] + 1) for k in range(n["timeline"])))  # fmt: skip
        raw = b'{"alerts":[{"status":"firing","labels":{"alertname":"DiskFull","instance":"host-0001"}}]}'
        written["events"] = bulk(conn, Event.__table__, (
            {"source": "generic", "received_at": NOW - SPAN * (1 - i / n["events"]), "content_type": "application/json",
             "raw": raw, "status": "processed" if i % 200 else "unprocessable",
             "incident_id": 1 + i * n["incidents"] // n["events"],
             "integration_id": i % (len(INTEGRATIONS) + 1) or None}  # every sixth by email, with none
            for i in range(n["events"])))  # fmt: skip
        written["outbox"] = bulk(conn, OutboxMessage.__table__, (
            {"delivery_id": str(uuid.UUID(int=rng.getrandbits(128))), "incident_id": rng.randint(1, n["incidents"]),
             "kind": "acknowledgement", "channel": "email", "recipient": rng.choice(requesters),
             "subject": "We have your request", "body": "Thank you.", "headers": {},
             "status": "sent" if i % 1000 else rng.choice(("pending", "dead")), "attempts": 1,
             "created_at": NOW - SPAN * (1 - i / n["outbox"]), "updated_at": NOW - SPAN * (1 - i / n["outbox"])}
            for i in range(n["outbox"])))  # fmt: skip
        written["changes"] = bulk(conn, Change.__table__, (
            {"title": f"Upgrade {rng.choice(WORDS)} {i}", "service": skewed(rng, SERVICES), "type": "standard",
             "state": "closed" if i < n["changes"] * 0.95 else "new", "risk": "low", "impact": "",
             "implementation_plan": "", "test_plan": "", "backout_plan": "", "requested_by": rng.choice(users),
             "approvers": [], "required_approvals": 0, "source": "manual",
             "created_at": NOW - SPAN * (1 - i / n["changes"]), "updated_at": NOW}
            for i in range(n["changes"])))  # fmt: skip
        written["audit entries"] = bulk(conn, AuditEntry.__table__, (
            {"at": NOW - SPAN * (1 - i / n["audit"]), "actor": rng.choice(users), "action": "incident.assign",
             "target": f"INC-{i + 1}", "detail": None} for i in range(n["audit"])))  # fmt: skip
    return written


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    status: int
    size: int


def timed(client: Any, path: str, runs: int, headers: dict[str, str]) -> tuple[list[float], Any]:
    """`runs` renders of `path`, in ms, and the last response."""
    took, response = [], None
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        _ = response.data
        took.append((time.perf_counter() - start) * 1000)
    assert response is not None
    return took, response


def summary(took: list[float], response: Any) -> Timing:
    took = sorted(took)
    return Timing(statistics.median(took), took[min(len(took) - 1, round(0.95 * (len(took) - 1)))],
                  response.status_code, len(response.data))  # fmt: skip


def paths(app: Flask) -> list[str]:
    """Every main page in the navigation with its default view, the incident list's common filters, the reports and
    export, and the main API lists."""
    with app.test_request_context():
        pages = [url_for(link.endpoint) for link in (*WORK, *ADMIN)]
    return [
        *pages,
        "/incidents?status=open",
        "/incidents?status=open,acknowledged",
        "/incidents?assignee=agent00000@example.com",
        "/incidents?assignee=team-03",
        "/incidents?queue=agent00001@example.com",  # a person and their group: a sixth of the desk
        "/incidents?queue=agent00001@example.com&status=open",  # the dashboard's link
        "/incidents?queue=unassigned",  # no assignee, or one no active person or group holds
        "/incidents?service=service-05",
        "/incidents?q=certificate",
        "/incidents?q=host-0042+cert",  # a few hundred of 200,000
        "/incidents?q=zebra",  # none
        "/incidents?page=50",
        "/incidents?sort=priority",
        "/incidents?sort=last_seen&page=50",
        "/incidents?sort=due",  # breached first, then nearest due: the unresolved incidents' clocks
        "/incidents?sort=due&page=50",
        "/incidents?sort=due&queue=agent00001@example.com",
        "/incidents?major=1",
        "/incidents.csv?status=open",
        "/incidents.csv?service=service-30",
        "/reports/sla",
        "/dashboard?kind=request",  # every incident figure narrowed to a third of the desk
        "/reports/sla?kind=request",
        "/reports/time?kind=request",
        "/reports/requests",
        "/reports/requests?days=366",  # every request of a year read for its percentiles
        "/api/v1/incidents",
        "/api/v1/incidents?total=capped",  # the count stops past 10,000 (before it, the argument was ignored)
        "/api/v1/incidents?status=open&limit=100",
        "/api/v1/incidents?assignee=agent00001@example.com",
        "/api/v1/incidents?queue=agent00001@example.com",
        "/api/v1/incidents?queue=unassigned&status=open",
        "/api/v1/incidents?service=service-05&page=20",
        "/api/v1/incidents?page=500",
        "/api/v1/incidents?sort=due&status=open,acknowledged,waiting",
        "/api/v1/events",
        "/api/v1/events?page=500",
        "/api/v1/changes",
        "/api/v1/problems",
    ]


def measure(db: Database, settings: Any, runs: int, only: list[str], rounds: int = 1) -> dict[str, Timing]:
    """Each path's median and p95 over `rounds` x `runs` renders: the rounds go through every path in turn, so a
    busy moment on a shared machine weighs on all the paths alike rather than on one."""
    app = create_app(settings, db=db)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, "the admin could not log in"
    with db.transaction() as session:
        secret = accounts.create_token(session, name=f"bench-{uuid.uuid4()}", role="admin")
    token = {"Authorization": f"Bearer {secret}"}
    took: dict[str, list[float]] = {}
    last: dict[str, Any] = {}
    for _ in range(rounds):
        for path in (p for p in paths(app) if not only or any(part in p for part in only)):
            headers = token if path.startswith("/api/") else {}
            if path not in took:  # warm: templates compiled, statements prepared, pages in the cache
                client.get(path, headers=headers)
            samples, last[path] = timed(client, path, runs, headers)
            took.setdefault(path, []).extend(samples)
    return {path: summary(samples, last[path]) for path, samples in took.items()}


def fresh_database(url: str | None, home: Path) -> tuple[Database, Any]:
    """Migrated, with the admin who logs in: `url`'s database, or a SQLite file under `home`."""
    settings = make_settings(home / "var", **({"database_url": url} if url else {}))
    (home / "var").mkdir(parents=True, exist_ok=True)
    db = Database.connect(settings.database_url)
    upgrade(db.engine)
    with db.transaction() as session:
        accounts.create_user(session, email=ADMIN_EMAIL, password=PASSWORD, role="admin")
    return db, settings


def run(
    big_url: str | None, empty_url: str | None, home: Path, scale: float, runs: int, only: list[str], rounds: int
) -> tuple[dict[str, Timing], dict[str, Timing]]:
    """(the large desk's timings, the empty one's): SQLite files under `home` where no URL is given."""
    empty, empty_settings = fresh_database(empty_url, home / "empty")
    baseline = measure(empty, empty_settings, runs, only, rounds)
    big, big_settings = fresh_database(big_url, home / "big")
    start = time.perf_counter()
    written = seed(big, scale)
    # PostgreSQL's autovacuum would have gathered statistics by now; Switchboard never runs SQLite's ANALYZE, so
    # neither does this (with them, SQLite started the major-incident banner's join from 200,000 incidents).
    if big.engine.dialect.name == "postgresql":
        with big.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    print(f"seeded {big.engine.dialect.name} in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{count:,} {name}" for name, count in written.items()))  # fmt: skip
    large = measure(big, big_settings, runs, only, rounds)
    for db in (empty, big):  # the cluster stops next: no connection of ours may be left open to it
        db.engine.dispose()
    return large, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1, help="go through every path this many times, in turn")
    parser.add_argument("--database-url", help="an empty PostgreSQL database for the large desk (SQLite otherwise)")
    parser.add_argument("--baseline-url", help="another empty database for the baseline (SQLite otherwise)")
    parser.add_argument("--postgresql", action="store_true", help="start a PostgreSQL cluster of its own for both")
    parser.add_argument("--only", action="append", default=[],
                        help="time only the paths containing this (several: those containing any)")  # fmt: skip
    args = parser.parse_args()
    # The cluster and the SQLite files (gigabytes for a large desk) go with the run, however it ends.
    with tempfile.TemporaryDirectory(prefix="pages-at-scale-") as home, ExitStack() as cleanup:
        big_url, empty_url = args.database_url, args.baseline_url
        if args.postgresql:
            from tests.servers import PostgresCluster

            cluster = PostgresCluster()
            cleanup.callback(cluster.stop)
            cluster.start()
            big_url, empty_url = cluster.create_database("big"), cluster.create_database("empty")
        large, baseline = run(big_url, empty_url, Path(home), args.scale, args.runs, args.only, args.rounds)
    print(f"{args.rounds * args.runs} runs each, ms{'':<25}{'empty median':>12} {'p95':>7} {'large median':>13} "
          f"{'p95':>7}  status")  # fmt: skip
    for path, timing in large.items():
        base = baseline[path]
        flag = "  <- over 150 ms" if timing.median_ms > 150 else ""
        print(f"{path:<50} {base.median_ms:>8.1f} {base.p95_ms:>7.1f} {timing.median_ms:>13.1f} "
              f"{timing.p95_ms:>7.1f}  {timing.status}{flag}")  # fmt: skip


if __name__ == "__main__":
    main()
