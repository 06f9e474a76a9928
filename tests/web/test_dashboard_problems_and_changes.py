"""The dashboard's problems and changes: what an ITIL desk looks at first, each figure linking to what it counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import insert, update

from hub.db import Database
from hub.models import Change, Problem, User, utcnow
from tests.web.helpers import Login, log_in
from tests.web.test_dashboard import href
from web.dashboard import days_ahead

AGENT = "agent@example.com"


def _problems(db: Database, *rows: dict[str, Any]) -> None:
    defaults = {"root_cause": "", "workaround": "", "share_workaround": False, "created_by": AGENT}
    with db.transaction() as session:
        session.execute(insert(Problem), [defaults | row for row in rows])


def _changes(db: Database, *rows: dict[str, Any]) -> None:
    defaults = {"type": "normal", "state": "scheduled", "requested_by": AGENT, "approvers": [], "required_approvals": 1}
    with db.transaction() as session:
        session.execute(insert(Change), [defaults | row for row in rows])


def _part(page: str, element_id: str) -> str:
    """The list or paragraph with `element_id`, up to its end."""
    assert f'id="{element_id}"' in page, f"no #{element_id} on the page"
    return re.split(r"</(?:ul|p)>", page[page.index(f'id="{element_id}"') :], maxsplit=1)[0]


def test_each_active_problem_state_links_to_the_problems_in_it(logged_in: FlaskClient, db: Database) -> None:
    _problems(db, {"title": "Mail bounces", "state": "new"}, {"title": "Printer jams", "state": "known_error"},
              {"title": "Old disk", "state": "closed"})  # fmt: skip
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert re.search(r"2 active:\s*<a[^>]*>1 new</a>,\s*<a[^>]*>0 investigating</a>,\s*<a[^>]*>1 known error</a>", page)
    listed = logged_in.get(href(page, r'<a href="([^"]*)" id="problems-known_error">')).get_data(as_text=True)
    assert "Printer jams" in listed and "Mail bounces" not in listed and "Problems: known error" in listed


def test_the_oldest_problem_no_one_owns_links_to_its_page(logged_in: FlaskClient, db: Database) -> None:
    _problems(db, {"title": "Owned", "owner": AGENT}, {"title": "Forgotten"}, {"title": "Newer"})
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert re.search(r'Oldest with no owner: <a href="/problems/PRB-2">PRB-2</a> Forgotten', page)


def test_known_errors_are_listed_only_when_their_workaround_is_shared(logged_in: FlaskClient, db: Database) -> None:
    _problems(db, {"title": "Shared", "state": "known_error", "workaround": "Reboot", "share_workaround": True},
              {"title": "Kept in", "state": "known_error", "workaround": "Reboot"})  # fmt: skip
    listed = _part(logged_in.get("/dashboard").get_data(as_text=True), "shared-known-errors")
    assert '<a href="/problems/PRB-1">PRB-1</a> Shared' in listed and "Kept in" not in listed


def test_a_quiet_desk_says_so_in_one_muted_line_for_problems_and_for_changes(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert '<p class="muted">No active problems.</p>' in page
    assert '<p class="muted">No changes planned for the next 7 days, and none awaiting you.</p>' in page
    assert not any(f'id="{part}"' in page for part in ("changes-today", "changes-week", "changes-awaiting-me"))


def test_planned_changes_fall_on_the_viewers_days_not_utcs(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    login = make_user()
    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: its midnight is mid-morning in UTC, so UTC's day would differ
    with db.transaction() as session:
        session.execute(update(User).where(User.email == login.email).values(timezone=zone.key))
    tomorrow = days_ahead(utcnow(), zone).tomorrow
    _changes(db, {"title": "Late tonight", "planned_start": tomorrow - timedelta(minutes=1)},
             {"title": "Just after midnight", "planned_start": tomorrow + timedelta(minutes=1)})  # fmt: skip
    log_in(client, login)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Late tonight" in _part(page, "changes-today") and "Just after midnight" not in _part(page, "changes-today")
    assert "Just after midnight" in _part(page, "changes-week")


def test_the_days_ahead_run_from_the_viewers_midnight_for_a_week_after_today() -> None:
    days = days_ahead(datetime(2026, 11, 26, 23, 30, tzinfo=UTC), ZoneInfo("Europe/Berlin"))  # 00:30 on the 27th
    assert days.start == datetime(2026, 11, 26, 23, tzinfo=UTC)
    assert days.tomorrow == datetime(2026, 11, 27, 23, tzinfo=UTC)
    assert days.end == datetime(2026, 12, 4, 23, tzinfo=UTC)


def test_a_change_awaiting_the_viewers_approval_links_to_it_and_the_assessed_changes(
    logged_in: FlaskClient, db: Database
) -> None:
    _changes(db, {"title": "Upgrade PostgreSQL", "state": "assessed", "approvers": [AGENT]},
             {"title": "Someone else's", "state": "assessed", "approvers": ["bob@example.com"]})  # fmt: skip
    page = logged_in.get("/dashboard").get_data(as_text=True)
    awaiting = _part(page, "changes-awaiting-me")
    assert '<a href="/changes/CHG-1">CHG-1</a> Upgrade PostgreSQL' in awaiting and "Someone else" not in awaiting
    assert '<a href="/changes?state=assessed">Awaiting your approval</a>' in page


def test_a_viewer_named_as_approver_is_not_asked_for_approvals_they_may_not_give(
    client: FlaskClient, db: Database, make_user: Callable[..., Login]
) -> None:
    log_in(client, make_user(email="vic@example.com", role="viewer"))
    _changes(db, {"title": "Upgrade PostgreSQL", "state": "assessed", "approvers": ["vic@example.com"]})
    assert 'id="changes-awaiting-me"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_change_implementing_past_its_planned_end_links_to_the_implementing_changes(
    logged_in: FlaskClient, db: Database
) -> None:
    _changes(db, {"title": "Overran", "state": "implementing", "planned_end": utcnow() - timedelta(hours=1)},
             {"title": "On time", "state": "implementing", "planned_end": utcnow() + timedelta(hours=1)})  # fmt: skip
    page = logged_in.get("/dashboard").get_data(as_text=True)
    overrunning = _part(page, "changes-overrunning")
    assert "Overran" in overrunning and "planned to end" in overrunning and "On time" not in overrunning
    listed = logged_in.get(href(page, r'<a href="([^"]*)">Implementing past their planned end</a>'))
    assert "Overran" in listed.get_data(as_text=True)
