"""The incident list's pages in the sorts no index holds across every incident (last seen, priority) and a person's
queue over every status: each page holds what sorting every incident would put there, and is found through the
indexes rather than by reading every incident; and the count, which stops past a cap. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from hub.db import Database
from hub.incident_search import IncidentFilter, merged_page, page_query, queue_owners, search
from hub.models import INCIDENT_STATUSES, Group, GroupMember, Incident
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
            page = search(session, replace(filt, page=number), count_to=None)
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


def queue_desk(db: Database) -> None:
    """3,000 incidents: every 50th Ann's, the next one her group team-db's, the one after Bob's (not her queue)."""
    seed(db, 3000)
    with db.transaction() as session:
        for owner, rest in (("ann@example.com", 0), ("team-db", 1), ("bob@example.com", 2)):
            session.execute(update(Incident).where(Incident.id % 50 == rest).values(assignee=owner))
        session.add(Group(id=1, name="team-db"))
        session.add(GroupMember(group_id=1, email="ann@example.com", position=0))
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_every_page_of_a_queue_over_every_status_holds_its_incidents_in_order(db: Database, sort: str) -> None:
    queue_desk(db)
    filt = IncidentFilter(queue="ann@example.com", sort=sort, limit=20)
    expected = [n for n in range(3000, 0, -1) if n % 50 in (0, 1)][:: -1 if sort == "oldest" else 1]
    assert pages_of(db, filt) == [expected[at : at + 20] for at in range(0, len(expected), 20)]


def test_a_queue_over_every_status_is_paged_down_each_assignees_run_of_the_index(db: Database) -> None:
    queue_desk(db)
    filt = IncidentFilter(queue="ann@example.com", page=3)
    with db.read() as session:
        owners = queue_owners(session, filt)
    assert owners == ("ann@example.com", "team-db")
    found = plan(db, merged_page(filt, owners))  # then 50 incidents by id
    assert "Seq Scan on incidents" not in found and "SCAN incidents" not in found, found
    if db.engine.dialect.name == "sqlite":  # not the OR's reading of the whole queue, sorted for 50 rows
        assert "MULTI-INDEX OR" not in found, found
        assert found.count("SEARCH incidents USING COVERING INDEX ix_incidents_assignee (assignee=?)") == 2, found


def test_a_queue_with_a_status_is_found_through_the_status_index_as_one_query(db: Database) -> None:
    queue_desk(db)
    with db.read() as session:
        assert queue_owners(session, IncidentFilter(queue="ann@example.com", status="open")) == ()


def test_a_count_past_its_cap_says_more_than_the_cap_and_that_another_page_follows(db: Database) -> None:
    seed(db, 300)
    with db.read() as session:
        page = search(session, IncidentFilter(limit=20), count_to=100)
    assert (page.total, page.exact, page.has_next) == (100, False, True)


def test_past_the_cap_the_count_reaches_the_pages_end(db: Database) -> None:
    seed(db, 300)
    with db.read() as session:
        deep = search(session, IncidentFilter(limit=20, page=8), count_to=100)
        last = search(session, IncidentFilter(limit=20, page=15), count_to=100)
    assert (deep.total, deep.exact, deep.has_next) == (160, False, True)
    assert (last.total, last.exact, last.has_next, len(last.incidents)) == (300, True, False, 20)


def test_a_count_within_its_cap_is_exact(db: Database) -> None:
    seed(db, 300)
    with db.read() as session:
        page = search(session, IncidentFilter(limit=20, service="vpn"), count_to=150)
    assert (page.total, page.exact, page.pages, page.has_next) == (150, True, 8, True)
