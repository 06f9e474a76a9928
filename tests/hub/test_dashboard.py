"""Dashboard figures: the pure arithmetic, then the read against a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Executable, insert, text, update

from hub import dashboard, problems, triage
from hub.agent_action import Actor, Mail
from hub.dashboard import Timing, duration, hour_buckets, mean_time
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from hub.models import Incident, utcnow
from tests.plans import plan

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


def test_hour_buckets_cover_every_hour_of_the_period_oldest_first() -> None:
    buckets = hour_buckets([], NOW)
    assert len(buckets) == 7 * 24
    assert buckets[-1] == (datetime(2026, 11, 26, 10, tzinfo=UTC), 0)
    assert buckets[0][0] == datetime(2026, 11, 19, 11, tzinfo=UTC)


def test_hour_buckets_count_each_incident_in_its_clock_hour_and_ignore_older_ones() -> None:
    opened = [NOW, NOW - timedelta(minutes=20), NOW - timedelta(hours=1), NOW - timedelta(days=8)]
    counts = dict(hour_buckets(opened, NOW))
    assert counts[datetime(2026, 11, 26, 10, tzinfo=UTC)] == 2
    assert counts[datetime(2026, 11, 26, 9, tzinfo=UTC)] == 1
    assert sum(counts.values()) == 3


def test_mean_time_only_counts_incidents_that_got_there() -> None:
    timings = [
        Timing(NOW, NOW + timedelta(minutes=10), None),
        Timing(NOW, NOW + timedelta(minutes=30), NOW + timedelta(hours=2)),
        Timing(NOW, None, None),
    ]
    assert mean_time(timings, "acknowledged_at") == timedelta(minutes=20)
    assert mean_time(timings, "resolved_at") == timedelta(hours=2)
    assert mean_time([], "resolved_at") is None


def test_durations_read_like_people_say_them() -> None:
    assert [duration(timedelta(seconds=s)) for s in (40, 720, 3 * 3600 + 300, 3 * 86400)] == [
        "40 s",
        "12 min",
        "3 h 05 min",
        "3 d 0 h",
    ]
    assert duration(None) == "—"


def test_read_counts_open_incidents_sources_and_clocks(db: Database, intake: Intake) -> None:
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    first = intake.record(raw, InboundEvent(source="generic", title="Disk", dedup_key="d")).incident_id
    intake.record(raw, InboundEvent(source="generic", title="Disk", dedup_key="d"))
    second = intake.record(raw, InboundEvent(source="generic", title="CPU", dedup_key="c")).incident_id
    assert first is not None and second is not None
    mail = Mail("desk@example.com", "http://desk")
    triage.change_status(db, first, "acknowledge", Actor("a@example.com"), mail)
    triage.change_status(db, second, "resolve", Actor("a@example.com"), mail)

    with db.read() as session:
        figures = dashboard.read(session)
    assert figures.open_total == 1 and sum(n for _, n in figures.per_hour) == 2
    assert figures.noisiest == [("generic", 3)]
    assert figures.mtta is not None and figures.mttr is not None
    assert figures.failures == 0


def _incidents_over_a_year(db: Database, now: datetime, count: int = 3000) -> None:
    """`count` incidents, one every few hours back over a year (a desk with history), in one insert."""
    step = timedelta(days=365) / count
    rows = [{"title": f"Disk {n}", "source": "generic", "first_seen": now - n * step, "last_seen": now - n * step}
            for n in range(count)]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))


@pytest.mark.parametrize(
    "statement", [dashboard.began_since, problems.occurrences_since], ids=["timings", "recurrences"]
)
def test_the_incidents_of_a_recent_window_are_read_through_the_index_not_every_incident(
    database: Database, statement: Callable[[datetime], Executable]
) -> None:
    """The dashboard's timings and recurrence suggestions, and so the dashboard: ordered by id, each read all
    200,000 incidents of bench/pages_at_scale.py's desk."""
    now = utcnow()
    _incidents_over_a_year(database, now)
    found = plan(database, statement(now - timedelta(days=1)))
    assert "ix_incidents_first_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found


def test_the_noisiest_sources_of_the_window_are_found_through_the_status_and_last_seen_index(
    database: Database,
) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now)
    found = plan(database, dashboard.noisiest_since(now - timedelta(days=1)))
    assert "ix_incidents_status_last_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found


def test_the_newest_incidents_of_the_window_are_the_ones_read_when_it_holds_more_than_the_limit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now, count=30)
    monkeypatch.setattr(dashboard, "MAX_ROWS", 5)
    with database.read() as session:
        read = [row.first_seen for row in session.execute(dashboard.began_since(now - timedelta(days=365)))]
    assert read == sorted(read, reverse=True) and len(read) == 5 and read[0] == now


def _make_request(db: Database, number: int) -> None:
    triage.categorise(db, number, Actor("a@example.com"), kind="request")


def test_read_splits_the_open_work_into_incidents_and_requests(db: Database, intake: Intake) -> None:
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    numbers = [intake.record(raw, InboundEvent(source="generic", title=t, dedup_key=t)).incident_id for t in "abc"]
    _make_request(db, numbers[0] or 0)
    with db.read() as session:
        figures = dashboard.read(session)
    assert figures.open_by_kind == {"incident": 2, "request": 1} and figures.open_total == 3


def test_read_of_one_kind_counts_only_that_kind_in_every_figure(db: Database, intake: Intake) -> None:
    raw = Raw(source="generic", content_type="application/json", body=b"{}")
    wanted = intake.record(raw, InboundEvent(source="desk", title="Laptop", dedup_key="laptop")).incident_id
    intake.record(raw, InboundEvent(source="generic", title="Disk", dedup_key="disk"))
    _make_request(db, wanted or 0)
    with db.read() as session:
        figures = dashboard.read(session, kind="request")
    assert (figures.open_total, figures.open_by_kind) == (1, {"incident": 0, "request": 1})
    assert sum(n for _, n in figures.per_hour) == 1 and figures.noisiest == [("desk", 1)]


def _half_of_them_requests(db: Database) -> None:
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id % 2 == 0).values(kind="request"))
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))


@pytest.mark.parametrize(
    ("statement", "index"),
    [(dashboard.began_since, "ix_incidents_first_seen"), (dashboard.noisiest_since, "ix_incidents_status_last_seen")],
    ids=["timings", "noisiest"],
)
def test_the_figures_of_one_kind_are_still_read_through_their_window_index(
    database: Database, statement: Callable[[datetime, str], Executable], index: str
) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now)
    _half_of_them_requests(database)
    found = plan(database, statement(now - timedelta(days=1), "request"))
    assert index in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found


def test_the_open_work_of_one_kind_is_counted_through_the_status_index(database: Database) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now)
    with database.transaction() as session:
        session.execute(update(Incident).where(Incident.first_seen < now - timedelta(days=7)).values(status="closed"))
    _half_of_them_requests(database)
    found = plan(database, dashboard.open_work("request"))
    assert "ix_incidents_status_last_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
