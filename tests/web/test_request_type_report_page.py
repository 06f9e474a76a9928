"""/reports/requests: per request type, the period's requests counted and timed, as a page and as CSV; the empty
state says where requests come from; a bad `days` falls back to 30, as the other reports do, and the page says so."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient

from hub.db import Database
from hub.models import utcnow
from hub.request_types import add
from tests.hub.test_request_type_report import _desk


def _cells(page: str, label: str) -> list[str]:
    return re.findall(rf'<td data-label="{label}">([^<]*)</td>', page)


def test_the_page_gives_each_type_its_counts_times_and_attainment(logged_in: FlaskClient, db: Database) -> None:
    _desk(db, utcnow())
    page = logged_in.get("/reports/requests").get_data(as_text=True)
    assert _cells(page, "Request type") == ["New laptop", "(none)", "VPN access"]
    assert (_cells(page, "Asked"), _cells(page, "Open")) == (["3", "1", "1"], ["1", "0", "0"])
    assert _cells(page, "Median time to resolve") == ["2 h 00 min", "1 h 00 min", "30 min"]
    assert _cells(page, "90th percentile")[0] == "10 h 00 min"
    assert _cells(page, "SLA attainment") == ["33%", "100%", "100%"]


def test_the_csv_has_a_line_per_type_with_times_in_minutes(logged_in: FlaskClient, db: Database) -> None:
    _desk(db, utcnow())
    download = logged_in.get("/reports/requests.csv?days=7")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[:2] == [
        ["request_type", "asked", "open", "resolved", "median_minutes", "p90_minutes", "resolution_met",
         "resolution_breached", "attainment"],
        ["New laptop", "3", "1", "2", "120", "600", "1", "2", "0.3333"],
    ]  # fmt: skip
    assert 'filename="request-types-7d.csv"' in download.headers["Content-Disposition"]


def test_a_type_nobody_asked_for_has_a_line_on_the_page_and_in_the_csv(logged_in: FlaskClient, db: Database) -> None:
    _desk(db, utcnow())
    with db.transaction() as session:
        add(session, name="Parking permit", summary="A permit")
    page = logged_in.get("/reports/requests").get_data(as_text=True)
    assert _cells(page, "Request type")[-1] == "Parking permit" and _cells(page, "Asked")[-1] == "0"
    assert _cells(page, "Median time to resolve")[-1] == _cells(page, "SLA attainment")[-1] == "—"
    download = logged_in.get("/reports/requests.csv").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(download)))[-1] == ["Parking permit", "0", "0", "0", "", "", "0", "0", ""]


def test_with_no_requests_asked_the_page_says_where_they_come_from(logged_in: FlaskClient) -> None:
    page = logged_in.get("/reports/requests").get_data(as_text=True)
    assert "No service requests asked in this period." in page and 'href="/request-types"' in page


def test_a_days_out_of_range_shows_the_last_30_days(logged_in: FlaskClient, db: Database) -> None:
    _desk(db, utcnow())
    page = logged_in.get("/reports/requests?days=9999").get_data(as_text=True)
    assert 'name="days" type="number" min="1" max="366" value="30"' in page
    assert _cells(page, "Asked")[0] == "3"
    assert "days: a whole number from 1 to 366, not &#39;9999&#39;; showing the last 30 days." in page


@pytest.mark.parametrize("report", ["sla", "time"])
def test_a_days_that_is_no_number_is_said_on_the_page_not_passed_over(logged_in: FlaskClient, report: str) -> None:
    page = logged_in.get(f"/reports/{report}?days=abc").get_data(as_text=True)
    assert "days: a whole number from 1 to 366, not &#39;abc&#39;; showing the last 30 days." in page


def test_the_sla_report_has_a_table_by_request_type(logged_in: FlaskClient, db: Database) -> None:
    _desk(db, utcnow())
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    assert "<h2>By request type</h2>" in page and 'data-dimension="request_type"' in page
