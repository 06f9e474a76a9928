"""The incident list's pages in the sorts no index holds across every incident (last seen, priority): each page holds
what sorting every incident would put there, and is found through the indexes rather than by reading every
incident. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from hub.db import Database
from hub.incident_search import IncidentFilter, merged_page, page_query, search
from hub.models import INCIDENT_STATUSES, Incident
from hub.triage import PRIORITIES
from tests.plans import plan
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)

START = datetime(2026, 1, 1, tzinfo=UTC)


def seed(db: Database, count: int) -> None:
    """`count` incidents in every status and priority and two services, last seen in a narrow span (so many share
    a moment, and only the id orders them), in no order related to their ids."""
    rng = random.Random(3)
    rows = [
        {"title": f"Incident {i}", "source": "generic", "status": rng.choice(INCIDENT_STATUSES),
         "priority": rng.choice(PRIORITIES),
         "service": ("mail", "vpn")[i % 2], "first_seen": START,
         "last_seen": START + timedelta(minutes=rng.randint(0, count // 4))}
        for i in range(count)
    ]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)


def sorted_ids(db: Database, filt: IncidentFilter) -> list[int]:
    """Every incident `filt` finds, sorted as the list promises."""
    with db.read() as session:
        found = session.execute(select(Incident.id, Incident.last_seen, Incident.priority).where(*filt.conditions()))
        rows = found.all()
    if filt.sort == "priority":  # highest first, then newest
        return [row.id for row in sorted(rows, key=lambda row: (row.priority, -row.id))]
    return [row.id for row in sorted(rows, key=lambda row: (row.last_seen, row.id), reverse=True)]


def pages_of(db: Database, filt: IncidentFilter) -> list[list[int]]:
    """The ids on each page of `filt` until the first empty one, and that every page counted every incident."""
    shown = []
    with db.read() as session:
        for number in range(1, 100):
            page = search(session, replace(filt, page=number))
            assert page.total == len(sorted_ids(db, filt))
            if not page.incidents:
                return shown
            shown.append([incident.id for incident in page.incidents])
    raise AssertionError("more pages than incidents")


@pytest.mark.parametrize("sort", ["last_seen", "priority"])
def test_every_page_holds_what_sorting_every_incident_puts_there(db: Database, sort: str) -> None:
    seed(db, 300)
    for narrowed in ({}, {"status": "open,resolved"}, {"service": "vpn"}, {"status": "closed", "priority": 3}):
        filt = IncidentFilter(sort=sort, limit=20, **narrowed)  # type: ignore[arg-type]
        expected = sorted_ids(db, filt)
        assert pages_of(db, filt) == [expected[at : at + 20] for at in range(0, len(expected), 20)], narrowed


@pytest.mark.parametrize(("sort", "index"), [("last_seen", "ix_incidents_status_last_seen"),
                                             ("priority", "incidents_pkey")])  # fmt: skip
def test_a_deep_page_walks_an_index_per_status_or_priority_not_every_incident(
    db: Database, sort: str, index: str
) -> None:
    seed(db, 3000)
    if db.engine.dialect.name == "postgresql":
        with db.transaction() as session:
            session.execute(text("ANALYZE incidents"))
    found = plan(db, merged_page(IncidentFilter(sort=sort, page=5)))  # then 50 incidents by id
    if db.engine.dialect.name == "sqlite":  # its primary key is the table itself, in id order
        index = {"incidents_pkey": "SCAN incidents"}.get(index, index)
    assert index in found, found
    assert "Seq Scan on incidents" not in found, found  # PostgreSQL: no run read the whole table
    assert found.count("USE TEMP B-TREE") <= 1, found  # SQLite: only the merge of the runs' first rows is sorted


@pytest.mark.parametrize("assignee", ["ann@example.com", "team-db"])
def test_a_queue_is_counted_and_paged_from_the_assignee_index_not_every_incident(db: Database, assignee: str) -> None:
    seed(db, 3000)
    with db.transaction() as session:
        session.execute(text("UPDATE incidents SET assignee = 'ann@example.com' WHERE id % 50 = 0"))
        session.execute(text("UPDATE incidents SET assignee = 'team-db' WHERE id % 50 = 1"))
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))
    filt = IncidentFilter(assignee=assignee)
    counted = plan(db, select(func.count()).select_from(Incident).where(*filt.conditions()))
    paged = plan(db, page_query(filt))
    for found in (counted, paged):
        assert "ix_incidents_assignee" in found, found
        assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
    with db.read() as session:
        page = search(session, filt)
    queue = [number for number in range(3000, 0, -1) if number % 50 == (0 if "@" in assignee else 1)]
    assert (page.total, [incident.id for incident in page.incidents]) == (60, queue[:50])
