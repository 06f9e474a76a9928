"""Grouping the look-back in the database (hub/recurrence_scan.py) suggests what reading every incident of it did."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from hub import problems, recurrence_scan
from hub.db import Database
from hub.models import Incident, Integration, Problem
from hub.problems import Recurrence
from hub.recurrence import Occurrence, Suggestion, group_key, suggest
from tests.plans import plan

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RECURRENCE = Recurrence(threshold=3, window=timedelta(days=7), lookback=timedelta(days=90))


def _row(first: datetime, title: str, **fields: Any) -> dict[str, Any]:
    return {
        "title": title,
        "source": "generic",
        "status": "resolved",
        "first_seen": first,
        "last_seen": first,
        **fields,
    }


def _desk(db: Database, seed: int = 3) -> None:
    """Schedules (daily, weekly, across midnight, one with an incident in a problem), bursts, rare alerts at random,
    service-and-category groups, merged incidents, and some from the future and from before the look-back."""
    rng = random.Random(seed)
    rows = []
    for n, (period, hour) in enumerate([(1, 2), (7, 3), (7, 23), (3, 0), (30, 6), (7, 12)]):
        start = NOW.replace(hour=hour, minute=0) - timedelta(days=period) * (84 // period)
        rows += [_row(start + timedelta(days=period * k, minutes=rng.randint(0, 50)), f"Job {n}", dedup_key=f"job-{n}",
                      integration_id=1 + n % 2) for k in range(84 // period + 1)]  # fmt: skip
    rows += [_row(NOW - timedelta(days=7 * k, minutes=-30), "Linked", dedup_key="linked", integration_id=1,
                  problem_id=1 if k == 5 else None) for k in range(1, 10)]  # fmt: skip
    for n in range(60):  # rare, 3 to 5 times at random: a few keep to one stretch of the day by chance
        rows += [_row(NOW - timedelta(days=90) * rng.random(), f"Rare {n}", dedup_key=f"rare-{n}",
                      integration_id=rng.choice((1, 2, None))) for _ in range(rng.randint(3, 5))]  # fmt: skip
    for n in range(200):
        service, category = f"svc-{n % 7}", ("disk", "", "db:primary", "vpn")[n % 4]
        rows.append(_row(NOW - timedelta(days=95) * rng.random(), f"Trouble {n}", service=service, category=category,
                         dedup_key="" if n % 3 else None))  # fmt: skip
    rows += [_row(NOW - timedelta(hours=n), "Burst", dedup_key="burst", integration_id=2) for n in range(4)]
    rows += [_row(NOW + timedelta(days=1), "Future", dedup_key="job-1", integration_id=2)]
    for row in rng.sample(rows, 25):
        row["merged_into_id"] = 1
    with db.transaction() as session:
        session.execute(insert(Integration), [{"name": f"tool-{n}", "kind": "generic", "secret_hash": f"h{n}",
                                               "enabled": True} for n in (1, 2)])  # fmt: skip
        session.add(Problem(title="Known", created_by="ann@example.com", root_cause="", workaround=""))
        session.flush()
        session.execute(insert(Incident), sorted(rows, key=lambda row: row["first_seen"]))
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))


def _full_scan(db: Database, recurrence: Recurrence = RECURRENCE) -> list[Suggestion]:
    """What the listing did before it grouped in the database: every incident of the look-back to the pure core."""
    with db.read() as session:
        rows = session.execute(problems.occurrences_since(NOW - recurrence.lookback))
        return suggest((Occurrence(*row) for row in rows), NOW, threshold=recurrence.threshold,
                       window=recurrence.window, lookback=recurrence.lookback)  # fmt: skip


def _listed(db: Database, recurrence: Recurrence = RECURRENCE) -> list[Suggestion]:
    with db.read() as session:
        return problems.suggestions(session, recurrence, NOW)


def test_grouping_in_the_database_suggests_what_the_full_scan_suggests(database: Database) -> None:
    _desk(database)
    found = _listed(database)
    assert found == _full_scan(database)
    assert {s.pattern for s in found} == {"burst", "periodic"}
    assert {"key:1:job-4", "key:2:job-5"} <= {s.key for s in found if s.pattern == "periodic"}


@pytest.mark.parametrize("threshold", [2, 4, 6])
def test_grouping_in_the_database_agrees_at_every_threshold(database: Database, threshold: int) -> None:
    _desk(database, seed=threshold)
    recurrence = Recurrence(threshold, RECURRENCE.window, RECURRENCE.lookback)
    assert _listed(database, recurrence) == _full_scan(database, recurrence)


@pytest.mark.parametrize("cap", [150, 400, 700])
def test_a_group_the_cap_splits_is_judged_on_the_incidents_the_cap_leaves(
    database: Database, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    _desk(database)
    monkeypatch.setattr(recurrence_scan, "MAX_SCANNED", cap)
    found = _listed(database)
    assert found == _full_scan(database)
    oldest_read = min(s.first_seen for s in found)
    assert oldest_read > NOW - RECURRENCE.lookback  # the cap did cut the look-back short


def test_an_irregular_past_the_cap_leaves_does_not_hide_a_schedule(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    weekly = [_row(NOW - timedelta(days=7 * k, hours=9), "Backup failed", dedup_key="backup", integration_id=None)
              for k in range(5)]  # fmt: skip
    odd = [_row(NOW - timedelta(days=40, hours=3), "Backup failed", dedup_key="backup", integration_id=None)]
    noise = [_row(NOW - timedelta(days=30, minutes=n), f"Noise {n}", source="email") for n in range(10)]
    with database.transaction() as session:
        session.execute(insert(Incident), odd + noise + weekly)
    assert _listed(database) == _full_scan(database) == []  # the odd one breaks the schedule
    monkeypatch.setattr(recurrence_scan, "MAX_SCANNED", 15)  # the five weekly and the ten later ones
    [found] = _listed(database)
    assert found == _full_scan(database)[0] and found.pattern == "periodic" and found.count == 5


@pytest.mark.parametrize(
    ("dedup_key", "integration_id", "service", "category"),
    [("disk", 1, None, None), ("disk", None, "db", "x"), ("", 2, "db", "disk"), (None, None, "db:a", "b"),
     (None, None, "db", ""), ("", None, "", "disk"), (None, None, None, None)],
)  # fmt: skip
def test_the_group_key_in_sql_is_the_pure_cores(
    database: Database, dedup_key: str | None, integration_id: int | None, service: str | None, category: str | None
) -> None:
    with database.transaction() as session:
        session.execute(insert(Integration), [{"name": f"t{n}", "kind": "generic", "secret_hash": f"h{n}",
                                               "enabled": True} for n in (1, 2)])  # fmt: skip
        incident = Incident(title="t", source="generic", status="resolved", dedup_key=dedup_key,
                            integration_id=integration_id, service=service, category=category)  # fmt: skip
        session.add(incident)
        session.flush()
        in_sql = session.scalar(select(recurrence_scan.group_key_sql(Incident.__table__.c)))
    found = group_key(Occurrence(1, "t", NOW, dedup_key, integration_id, service, category))
    assert in_sql == (found[1] if found else None)


def test_the_look_back_is_grouped_down_the_index_on_first_seen(database: Database) -> None:
    _desk(database)
    since = NOW - RECURRENCE.window
    found = plan(database, recurrence_scan.possible_schedules(NOW, since, NOW - RECURRENCE.lookback, 3))
    assert "ix_incidents_first_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
