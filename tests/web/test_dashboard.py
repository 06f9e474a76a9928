"""The dashboard page shows the desk's figures to anyone logged in."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from hub import groups, oncall
from hub.db import Database
from hub.models import utcnow


def figure(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', page)
    assert match, f"no #{element_id} on the page"
    return match.group(1)


def test_dashboard_shows_open_incidents_and_the_noisiest_source(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk")
    raise_incident("Disk full", dedup_key="disk")
    raise_incident("CPU hot", dedup_key="cpu")
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "open-total") == "2"
    assert 'monitoring</span> <span class="num muted">3 events' in page
    assert page.count('class="bar"') == 1  # all three in this hour: one bar
    assert figure(page, "failures") == "0"


def test_dashboard_of_an_empty_desk_says_so(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "open-total") == "0" and figure(page, "mtta") == "—"
    assert "Nothing received in the last 7 days." in page


def test_dashboard_says_who_is_on_call_for_each_rotating_group(logged_in: FlaskClient, db: Database) -> None:
    with db.transaction() as s:
        groups.save_group(s, "dba", ["ann@example.com", "bob@example.com"])
        oncall.set_rotation(s, "dba", zone="UTC", shift="1d", handoff="00:00", now=utcnow())
    page = logged_in.get("/dashboard").get_data(as_text=True)
    row = r'<a href="/oncall#rotation-dba">dba</a></th>\s*<td>ann@example.com <span class="muted">until '
    assert re.search(row, page)
    assert "then bob@example.com" in page


def test_dashboard_without_rotations_has_no_on_call_section(logged_in: FlaskClient) -> None:
    assert "On call now" not in logged_in.get("/dashboard").get_data(as_text=True)
