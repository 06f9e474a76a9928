"""The list's Due column and its "Due soonest" sort (hub/sla_due.py): the nearest SLA target still to meet, in
words; breached first, then nearest due, then paused, then none; the same in the API. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from hub import groups
from hub.db import Database
from hub.incident_search import IncidentFilter, search
from hub.models import Incident, utcnow
from tests.staff import agents
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import statements

HOUR = timedelta(hours=1)
#: Who the "no sla" incident is assigned to: the logged-in agent, so in their queue; every other is assigned to
#: ghost-team, which no group holds.
HOLDER = "agent@example.com"


def desk(now: datetime) -> dict[str, dict[str, Any]]:
    """name -> the incident's columns, its clocks set from `now` (the moment it is opened: a module-wide time would
    be minutes old by the time a test on a busy worker reads "due in 59 min"), in the order they are opened."""
    return {
        "response breached": {"status": "open", "sla_response_due_at": now - 2 * HOUR, "sla_due_at": now + 5 * HOUR},
        "resolution breached": {"status": "acknowledged", "acknowledged_at": now - 3 * HOUR,
                                "sla_due_at": now - HOUR / 2},
        "due in an hour": {"status": "acknowledged", "acknowledged_at": now, "sla_due_at": now + HOUR},
        "due in an hour too": {"status": "acknowledged", "acknowledged_at": now, "sla_due_at": now + HOUR},
        "paused": {"status": "waiting", "sla_paused_at": now - HOUR, "sla_due_at": now + HOUR / 6},
        "resolved": {"status": "resolved", "resolved_at": now, "sla_due_at": now - 24 * HOUR},
        "no sla": {"status": "open"},
    }  # fmt: skip


NAMES = list(desk(utcnow()))
#: Breached longest overdue first, running nearest first (a tie: newest first), paused, then none, newest first.
DUE_ORDER = ["response breached", "resolution breached", "due in an hour too", "due in an hour", "paused", "no sla",
             "resolved"]  # fmt: skip


def open_desk(db: Database, names: list[str] | None = None, now: datetime | None = None) -> dict[str, str]:
    """The desk's incidents (all of `desk`, or those named), each titled by its name, their clocks set from `now`
    (default: this moment); name -> reference."""
    columns = desk(now or utcnow())
    rows = [{"title": name, "source": "generic", "assignee": HOLDER if name == "no sla" else "ghost-team",
             **columns[name]} for name in names or NAMES]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(Incident), rows)
        return {title: f"INC-{number}" for number, title in session.execute(select(Incident.id, Incident.title))}


def due_cells(page: str) -> dict[str, str]:
    """Each row's title -> the words of its Due cell, tags left out."""
    rows = re.findall(r'class="title"><a [^>]*>([^<]*)</a>.*?<td data-label="Due" class="due">(.*?)</td>', page, re.S)
    return {title: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for title, cell in rows}


def test_the_due_sort_puts_breached_first_then_nearest_due_then_paused_then_none_across_pages(db: Database) -> None:
    refs = open_desk(db)
    with db.read() as session:
        pages = [[i.title for i in search(session, IncidentFilter(sort="due", limit=3, page=n)).incidents]
                 for n in (1, 2, 3)]  # fmt: skip
    assert pages == [DUE_ORDER[:3], DUE_ORDER[3:6], DUE_ORDER[6:]], refs


def test_the_due_sort_keeps_the_filters(db: Database) -> None:
    open_desk(db)
    with db.read() as session:
        found = search(session, IncidentFilter(sort="due", status="acknowledged,waiting")).incidents
    assert [i.title for i in found] == ["resolution breached", "due in an hour too", "due in an hour", "paused"]


def test_the_due_sort_of_a_queue_merges_its_assignees_runs_in_the_same_order(db: Database) -> None:
    open_desk(db)
    with db.transaction() as session:
        groups.save_group(session, "ghost-team", agents(session, HOLDER))  # the others' assignee, now held by HOLDER
    with db.read() as session:
        pages = [[i.title for i in search(session, IncidentFilter(sort="due", queue=HOLDER, limit=4, page=n)).incidents]
                 for n in (1, 2)]  # fmt: skip
    assert pages == [DUE_ORDER[:4], DUE_ORDER[4:]]


def test_the_api_sorts_by_due_and_gives_the_next_due_time(client: FlaskClient, db: Database, api_token: str) -> None:
    now = utcnow()
    open_desk(db, now=now)
    found = client.get("/api/v1/incidents?sort=due", headers={"Authorization": f"Bearer {api_token}"}).get_json()
    assert [row["title"] for row in found] == DUE_ORDER
    assert found[0]["sla_next_due_at"] == (now - 2 * HOUR).isoformat() and found[-1]["sla_next_due_at"] is None


@pytest.mark.parametrize(("name", "words"), [
    ("response breached", "Breached first response was due 2 h 00 min ago"),
    ("resolution breached", "Breached resolution was due 30 min ago"),
    ("due in an hour", "Resolution in 59 min"),
    ("paused", "Paused (resolution: the clock stands still while it waits)"),
    ("resolved", "—"),
    ("no sla", "—"),
])  # fmt: skip
def test_the_due_column_says_in_words_what_is_breached_paused_due_or_has_no_target(
    logged_in: FlaskClient, db: Database, name: str, words: str
) -> None:
    open_desk(db, [name])
    cells = due_cells(logged_in.get("/incidents").get_data(as_text=True))
    assert cells[name] in (words, words.replace("59 min", "1 h 00 min")), cells


def test_a_due_time_is_given_in_full_in_its_time_element(logged_in: FlaskClient, db: Database) -> None:
    open_desk(db, ["due in an hour"])
    page = logged_in.get("/incidents?sort=due").get_data(as_text=True)
    assert re.search(r'Resolution in <time datetime="[^"]+" title="[^"]*\d{2}:\d{2}[^"]*">', page)
    assert 'aria-sort="ascending">Due ▾' in page


def test_the_list_reads_due_times_and_queues_in_the_same_queries_for_two_rows_or_many(
    logged_in: FlaskClient, db: Database
) -> None:
    def queries(sort: str) -> int:
        with statements(db) as sent:
            assert logged_in.get(f"/incidents?sort={sort}").status_code == 200
        return len(sent)

    open_desk(db, ["paused", "no sla"])  # one in no one's queue, one in the agent's (named: their display name)
    few = queries("due"), queries("newest")
    open_desk(db, [name for name in NAMES if name not in ("paused", "no sla")])
    assert (queries("due"), queries("newest")) == few


def test_a_row_assigned_to_a_queue_no_one_holds_says_so(logged_in: FlaskClient, db: Database) -> None:
    open_desk(db, ["paused", "no sla"])
    page = logged_in.get("/incidents").get_data(as_text=True)
    rows = dict(re.findall(r'class="title"><a [^>]*>([^<]*)</a>.*?<td data-label="Assignee">(.*?)</td>', page, re.S))
    assert (
        "(in no one's queue: no group with an active member holds it, so it is listed as Unassigned)" in rows["paused"]
    )
    assert "no one's queue" not in rows["no sla"]


def test_the_due_sort_is_offered_to_the_command_line_as_to_the_api() -> None:
    from hub.incident_cli import incident_list
    from hub.incident_search import SORT_NAMES

    choices = next(p for p in incident_list.params if p.name == "sort").type.choices  # type: ignore[attr-defined]
    assert list(choices) == list(SORT_NAMES)
