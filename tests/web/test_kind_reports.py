"""The dashboard and the reports count incidents and service requests apart: the open work split by kind, and a
`kind=` choice that narrows every incident figure, carried into the links to the list; a bad one is said and both
kinds shown, as the incident list does with a bad filter (the time CSV refuses it, as the list's CSV does)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert

from hub.catalogue import Targets, add_policy
from hub.db import Database
from hub.models import SatisfactionAnswer, utcnow
from tests.web.test_dashboard import figure, href, refs
from tests.web.test_incident_actions import act
from web.queries import incident_id

H = timedelta(hours=1)


@pytest.fixture
def desk(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> dict[str, str]:
    """Two open incidents (P3) and one open service request (P3): their refs by what they are."""
    made = {"disk": raise_incident("Disk full", dedup_key="disk"), "cpu": raise_incident("CPU hot", dedup_key="cpu"),
            "laptop": raise_incident("New laptop", dedup_key="laptop")}  # fmt: skip
    act(logged_in, made["laptop"], "categorise", kind="request", category="", service="")
    return made


def test_the_dashboard_splits_the_open_work_into_incidents_and_requests(
    logged_in: FlaskClient, desk: dict[str, str]
) -> None:
    page = logged_in.get("/dashboard").get_data(as_text=True)
    assert figure(page, "open-total") == "3" and figure(page, "open-by-kind") == "2 incidents, 1 service request"


def test_the_dashboard_of_requests_counts_requests_only(logged_in: FlaskClient, desk: dict[str, str]) -> None:
    page = logged_in.get("/dashboard?kind=request").get_data(as_text=True)
    assert figure(page, "open-total") == "1" and "Open service requests" in page
    assert 'aria-current="true">Service requests</a>' in page and page.count('class="bar"') == 1


def test_the_dashboards_links_into_the_list_carry_the_kind(logged_in: FlaskClient, desk: dict[str, str]) -> None:
    page = logged_in.get("/dashboard?kind=incident").get_data(as_text=True)
    tile = href(page, r'<a class="tile card" id="open-tile" href="([^"]*)">')
    by_priority = href(page, r'<a href="([^"]*)" aria-label="2 open P3">2</a>')
    for link in (tile, by_priority):
        assert "kind=incident" in link
        assert sorted(refs(logged_in.get(link).get_data(as_text=True))) == sorted([desk["disk"], desk["cpu"]])


def test_the_dashboard_of_requests_gives_the_satisfaction_with_requests_only(
    logged_in: FlaskClient, db: Database, desk: dict[str, str]
) -> None:
    answers = [{"incident_id": incident_id(desk[name]), "requester": "r@example.org", "rating": rating,
                "comment": f"About the {name}", "first_answered_at": utcnow(), "answered_at": utcnow()}
               for name, rating in (("disk", "good"), ("laptop", "bad"))]  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(SatisfactionAnswer), answers)
    page = logged_in.get("/dashboard?kind=request").get_data(as_text=True)
    assert (figure(page, "csat"), figure(page, "csat-answers")) == ("0% good", "1 answer")
    assert "About the laptop" in page and "About the disk" not in page


def test_the_dashboard_of_one_kind_says_its_failed_notifications_are_the_whole_desks(logged_in: FlaskClient) -> None:
    page = logged_in.get("/dashboard?kind=incident").get_data(as_text=True)
    assert "Failed notifications, whole desk" in page and 'id="failures-whole-desk"' in page


@pytest.mark.parametrize("page", ["/dashboard", "/reports/sla", "/reports/time"])
def test_a_kind_there_is_not_is_said_and_both_kinds_shown(logged_in: FlaskClient, page: str) -> None:
    response = logged_in.get(f"{page}?kind=task")
    said = response.get_data(as_text=True)
    assert response.status_code == 200
    said_so = "&#39;kind&#39; must be incident or request, not &#39;task&#39;; showing incidents and service requests"
    assert said_so in said


@pytest.fixture
def p3_policy(db: Database) -> None:
    """A resolution target for P3, what the desk's incidents and request are (made before them, so they get clocks)."""
    with db.transaction() as session:
        add_policy(session, name="P3", priority=3, targets=Targets(resolution=4 * H))


def test_the_sla_report_sets_incidents_and_requests_side_by_side(
    logged_in: FlaskClient, p3_policy: None, desk: dict[str, str]
) -> None:
    page = logged_in.get("/reports/sla").get_data(as_text=True)
    table = page[page.index('data-dimension="kind"') :].split("</table>", 1)[0]
    assert "<td>incident</td><td>2</td>" in table and "<td>service request</td><td>1</td>" in table


def test_the_sla_report_of_requests_counts_requests_only(
    logged_in: FlaskClient, p3_policy: None, desk: dict[str, str]
) -> None:
    page = logged_in.get("/reports/sla?kind=request").get_data(as_text=True)
    table = page[page.index('data-dimension="priority"') :].split("</table>", 1)[0]
    assert "<td>P3</td><td>1</td>" in table and '<option value="request" selected>' in page


def test_the_time_report_of_requests_sums_time_on_requests_only(logged_in: FlaskClient, desk: dict[str, str]) -> None:
    act(logged_in, desk["laptop"], "time", spent="1h")
    act(logged_in, desk["disk"], "time", spent="30m")
    page = logged_in.get("/reports/time?kind=request").get_data(as_text=True)
    assert "1 h logged on service requests" in page
    assert 'href="/reports/time.csv?days=30&amp;kind=request"' in page


def test_the_time_csv_of_requests_sums_time_on_requests_only(logged_in: FlaskClient, desk: dict[str, str]) -> None:
    act(logged_in, desk["laptop"], "time", spent="1h")
    act(logged_in, desk["disk"], "time", spent="30m")
    download = logged_in.get("/reports/time.csv?kind=request")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[2] for row in rows if row[0] == "who"] == ["60"]
    assert "time-spent-30d-requests.csv" in download.headers["Content-Disposition"]


def test_the_time_csv_refuses_a_kind_there_is_not(logged_in: FlaskClient) -> None:
    response = logged_in.get("/reports/time.csv?kind=task")
    assert response.status_code == 400
    assert "&#39;kind&#39; must be incident or request, not &#39;task&#39;." in response.get_data(as_text=True)
