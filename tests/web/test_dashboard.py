"""The dashboard page shows the desk's figures to anyone logged in."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient


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
