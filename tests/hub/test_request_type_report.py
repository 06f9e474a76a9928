"""How long each kind of request takes: per request type, the period's requests counted, timed and measured against
their SLA, on a real database; and the statements still found through the index on when incidents began."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, text, update

from hub import request_type_report, sla_report
from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.models import Incident, RequestType, utcnow
from hub.request_types import add
from tests.hub.test_dashboard import _half_of_them_requests, _incidents_over_a_year
from tests.plans import plan
from tests.web.helpers import statements

H = timedelta(hours=1)
DAY = 24 * H


def _desk(db: Database, now: datetime) -> None:
    """Laptops: resolved in 2 h (in time) and 10 h (late), one still open, one asked before the period. VPN: one
    resolved in 30 min. One request of no type, resolved in 1 h. One incident, which is no request."""
    with db.transaction() as session:
        laptop = add(session, name="New laptop", summary="A laptop").id
        vpn = add(session, name="VPN access", summary="Remote access").id
        add_policy(session, name="Requests", priority=3, targets=Targets(first_response=H, resolution=4 * H))
        policy = session.execute(text("SELECT id FROM sla_policies")).scalar_one()

        def asked(kind: str, type_id: int | None, days_ago: int, took: timedelta | None) -> dict[str, object]:
            began = now - days_ago * DAY
            return {"title": "Asked", "source": "help", "kind": kind, "request_type_id": type_id, "first_seen": began,
                    "last_seen": began, "resolved_at": None if took is None else began + took,
                    "status": "open" if took is None else "resolved", "sla_policy_id": policy,
                    "sla_due_at": began + 4 * H}  # fmt: skip

        session.execute(insert(Incident), [
            asked("request", laptop, 3, 2 * H), asked("request", laptop, 2, 10 * H), asked("request", laptop, 1, None),
            asked("request", laptop, 40, H), asked("request", vpn, 2, H / 2), asked("request", None, 2, H),
            asked("incident", None, 2, 5 * H),
        ])  # fmt: skip


def _report(db: Database, now: datetime) -> dict[str, request_type_report.TypeFigures]:
    with db.read() as session:
        return {line.name: line for line in request_type_report.report(session, now - 30 * DAY, now, now)}


def test_each_type_counts_the_requests_asked_in_the_period_open_and_resolved(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    lines = _report(database, now)
    assert [(n, line.asked, line.open, line.resolved) for n, line in lines.items()] == [
        ("New laptop", 3, 1, 2), ("(none)", 1, 0, 1), ("VPN access", 1, 0, 1),
    ]  # fmt: skip


def test_each_type_gives_the_median_and_90th_percentile_time_to_resolve(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    lines = _report(database, now)
    assert (lines["New laptop"].median, lines["New laptop"].p90) == (2 * H, 10 * H)
    assert (lines["VPN access"].median, lines["VPN access"].p90) == (H / 2, H / 2)


def test_each_type_gives_its_sla_attainment(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    laptop = _report(database, now)["New laptop"]
    assert (laptop.resolution_met, laptop.resolution_breached, laptop.attainment) == (1, 2, 1 / 3)


def test_a_type_with_no_request_under_an_sla_has_no_attainment(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    with database.transaction() as session:
        session.execute(update(Incident).values(sla_policy_id=None))
    assert _report(database, now)["VPN access"].attainment is None


def test_nothing_asked_in_the_period_is_no_line_at_all(database: Database) -> None:
    now = utcnow()
    with database.read() as session:
        assert request_type_report.report(session, now - DAY, now, now) == []


def test_an_active_type_nobody_asked_for_has_a_line_of_zeros_and_no_times(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    with database.transaction() as session:
        add(session, name="Parking permit", summary="A permit")
    unused = _report(database, now)["Parking permit"]
    assert (unused.asked, unused.open, unused.resolved, unused.median, unused.p90, unused.attainment) == (
        0, 0, 0, None, None, None,
    )  # fmt: skip
    assert list(_report(database, now))[-1] == "Parking permit"  # the most asked first


def test_a_retired_type_has_a_line_only_when_asked_for_in_the_period(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    with database.transaction() as session:
        session.execute(update(RequestType).values(active=False))
        add(session, name="Parking permit", summary="A permit")
    assert list(_report(database, now)) == ["New laptop", "(none)", "VPN access", "Parking permit"]
    with database.read() as session:  # 45 to 30 days ago: one laptop asked for, no VPN access
        lines = request_type_report.report(session, now - 45 * DAY, now - 30 * DAY, now)
    assert [(line.name, line.asked) for line in lines] == [("New laptop", 1), ("Parking permit", 0)]


def test_the_unused_types_cost_the_report_no_statement_of_their_own(db: Database) -> None:
    now = utcnow()
    _desk(db, now)

    def sent() -> int:
        with statements(db) as found, db.read() as session:
            request_type_report.report(session, now - 30 * DAY, now, now)
        return len(found)

    before = sent()
    with db.transaction() as session:
        for n in range(5):
            add(session, name=f"Unused {n}", summary="Nobody asks")
    assert sent() == before == 2


def test_the_nearest_rank_percentile_is_a_time_one_really_took() -> None:
    spans = [n * H for n in range(1, 71)]
    assert request_type_report.nearest_rank(spans, 50) == 35 * H
    assert request_type_report.nearest_rank(spans, 90) == 63 * H


def test_request_type_is_a_dimension_of_the_sla_report_counting_requests_only(database: Database) -> None:
    now = utcnow()
    _desk(database, now)
    with database.read() as session:
        rows = sla_report.attainment(session, "request_type", now - 30 * DAY, now, now)
    assert [(row.key, row.incidents) for row in rows] == [("New laptop", 3), ("VPN access", 1), ("(none)", 1)]


def _requests_over_a_year(db: Database) -> None:
    now = utcnow()
    _incidents_over_a_year(db, now)
    _half_of_them_requests(db)
    with db.transaction() as session:
        add(session, name="New laptop", summary="A laptop")
        session.execute(text("UPDATE incidents SET request_type_id = (SELECT id FROM request_types) WHERE id % 4 = 0"))
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))


def test_the_requests_of_a_period_are_read_through_the_index_on_when_incidents_began(database: Database) -> None:
    _requests_over_a_year(database)
    now = utcnow()
    found = plan(database, request_type_report.requests_in(now - 30 * DAY, now))
    assert "ix_incidents_first_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found


def test_the_attainment_per_type_is_read_through_the_index_on_when_incidents_began(database: Database) -> None:
    _requests_over_a_year(database)
    now = utcnow()
    found = plan(database, sla_report.counted("request_type", now - 30 * DAY, now, now))
    assert "ix_incidents_first_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
