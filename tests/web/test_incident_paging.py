"""The incident list's deep pages on a desk of many incidents: each page holds what sorting every incident would put
there, and is found through the indexes rather than by reading every incident. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from hub.db import Database
from hub.models import INCIDENT_STATUSES, Incident
from tests.plans import plan
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from web.incident_search import IncidentFilter, last_seen_page, search

START = datetime(2026, 1, 1, tzinfo=UTC)


def seed(db: Database, count: int) -> None:
    """`count` incidents in every status and two services, last seen in a narrow span (so many share a moment,
    and only the id orders them), in no order related to their ids."""
    rng = random.Random(3)
    rows = [
        {"title": f"Incident {i}", "source": "generic", "status": rng.choice(INCIDENT_STATUSES),
         "service": ("mail", "vpn")[i % 2], "first_seen": START,
         "last_seen": START + timedelta(minutes=rng.randint(0, count // 4))}
        for i in range(count)
    ]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)


def sorted_ids(db: Database, filt: IncidentFilter) -> list[int]:
    """Every incident `filt` finds, sorted as the list promises: last seen first, then newest."""
    with db.read() as session:
        found = session.execute(select(Incident.id, Incident.last_seen).where(*filt.conditions())).all()
    return [row.id for row in sorted(found, key=lambda row: (row.last_seen, row.id), reverse=True)]


def test_every_last_seen_page_holds_what_sorting_every_incident_puts_there(db: Database) -> None:
    seed(db, 300)
    for narrowed in ({}, {"status": "open,resolved"}, {"service": "vpn"}, {"status": "closed", "service": "mail"}):
        filt = IncidentFilter(sort="last_seen", limit=20, **narrowed)  # type: ignore[arg-type]
        expected = sorted_ids(db, filt)
        with db.read() as session:
            pages = [search(session, IncidentFilter(**{**vars(filt), "page": n})) for n in range(1, 20)]
        shown = [[incident.id for incident in page.incidents] for page in pages]
        assert [ids for ids in shown if ids] == [expected[at : at + 20] for at in range(0, len(expected), 20)]
        assert pages[0].total == len(expected), narrowed


def test_a_deep_last_seen_page_reads_down_the_status_index_not_every_incident(db: Database) -> None:
    seed(db, 3000)
    if db.engine.dialect.name == "postgresql":
        with db.transaction() as session:
            session.execute(text("ANALYZE incidents"))
    found = plan(db, last_seen_page(IncidentFilter(sort="last_seen", page=20)))  # then 50 incidents by id
    assert "ix_incidents_status_last_seen" in found, found
    assert "SCAN incidents" not in found and "Seq Scan on incidents" not in found, found
