"""SLA attainment of incidents and service requests apart: kind as a dimension, kind as a narrowing, and the
narrowed report still found through the index on when incidents began."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from hub import sla_report
from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.models import Incident, utcnow
from tests.hub.test_dashboard import _half_of_them_requests, _incidents_over_a_year
from tests.plans import plan

H = timedelta(hours=1)


def _under_a_policy(db: Database) -> None:
    """Every incident under one policy, resolved: the even ones (requests, after `_half_of_them_requests`) late."""
    now = utcnow()
    with db.transaction() as session:
        add_policy(session, name="P3", priority=3, targets=Targets(first_response=H, resolution=4 * H))
        policy = session.execute(text("SELECT id FROM sla_policies")).scalar_one()
        session.execute(update(Incident).values(sla_policy_id=policy, sla_due_at=now, resolved_at=now - H))
        session.execute(update(Incident).where(Incident.id % 2 == 0).values(resolved_at=now + H))


def test_kind_is_a_dimension_with_each_kind_in_words(database: Database) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now, count=10)
    _half_of_them_requests(database)
    _under_a_policy(database)
    with database.read() as session:
        rows = sla_report.attainment(session, "kind", now - 400 * 24 * H, now + H, now)
    assert [(row.key, row.incidents, row.resolution) for row in rows] == [("incident", 5, 1.0),
                                                                          ("service request", 5, 0.0)]  # fmt: skip


def test_a_report_of_one_kind_counts_only_that_kind(database: Database) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now, count=10)
    _half_of_them_requests(database)
    _under_a_policy(database)
    with database.read() as session:
        [p3] = sla_report.attainment(session, "priority", now - 400 * 24 * H, now + H, now, kind="request")
    assert (p3.key, p3.incidents, p3.resolution_breached, p3.resolution_met) == ("P3", 5, 5, 0)


def test_a_report_of_one_kind_is_still_read_through_the_index_on_when_incidents_began(database: Database) -> None:
    now = utcnow()
    _incidents_over_a_year(database, now)
    _half_of_them_requests(database)
    _under_a_policy(database)
    if database.engine.dialect.name == "postgresql":
        with database.transaction() as session:
            session.execute(text("ANALYZE incidents"))
    found = plan(database, sla_report.counted("kind", now - 30 * 24 * H, now, now, kind="request"))
    assert "ix_incidents_first_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
