"""In a real Chromium: an admin writes a rule, tries it on a stored event, backtests it, saves it, and the next
alert is routed by it. The browser fixture and helpers are test_browser.py's (Debian's Chromium, real CSP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from hub.db import Database
from hub.models import Incident
from tests.web import test_browser
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import Login, policy_violations

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# The same headless Debian Chromium page as test_browser.py (live_url, the served app, is conftest's).
chromium, page = test_browser.chromium, test_browser.page

RULE = "Database alerts to the DBAs"


def test_admin_creates_tests_backtests_and_saves_a_rule_that_routes_the_next_alert(
    live_url: str, page: Page, make_user: Callable[..., Login], integration: IntegrationCredentials, db: Database
) -> None:
    csp_violations = policy_violations(page)
    stored = test_browser._post_event(live_url, integration, {"title": "Disk full on db1", "severity": "critical",
                                                               "labels": {"team": "db"}})  # fmt: skip
    test_browser._post_event(live_url, integration, {"title": "Printer jam", "labels": {"team": "office"}})
    test_browser._log_in(page, live_url, make_user(email="root@example.com", role="admin"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rules").click()
    page.wait_for_url(f"{live_url}/rules")
    page.get_by_role("link", name="New rule").click()
    page.wait_for_url(f"{live_url}/rules/new")
    page.fill("#name", RULE)
    page.fill(
        "#when",
        "all:\n- {field: labels.team, op: equals, value: db}\n- {field: severity, op: in, value: [critical, high]}\n",
    )
    page.fill("#sets", "category: database\nassignee: dba@example.com\ntitle: '[DB] {{ title }}'\n")

    page.select_option("#event_id", value="1")  # the stored "Disk full on db1"
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.locator("#test-result")
    result.wait_for()
    assert f"{RULE}: matched" in result.inner_text()
    assert "because labels.team equals 'db'" in result.inner_text()
    assert "dba@example.com" in result.locator("dl.incident-fields").inner_text()
    assert "[DB] Disk full on db1" in result.locator("dl.incident-fields").inner_text()
    test_browser._screenshot(page, "rules-test")

    page.get_by_role("button", name="Backtest", exact=True).click()
    report = page.locator("#backtest-result")
    report.wait_for()
    assert "2 stored event(s), 1 treated differently" in report.inner_text()
    assert "assignee: service-desk → dba@example.com" in report.inner_text()
    test_browser._screenshot(page, "rules-backtest")
    with db.read() as session:  # trying a draft saves nothing: the first alert's incident is as it was
        assert session.scalar(select(Incident.assignee).where(Incident.id == 1)) == "service-desk"

    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url(f"{live_url}/rules")
    assert page.get_by_text(f"Saved '{RULE}' as version").is_visible()
    assert page.locator("table.rules-table tbody tr").first.inner_text().startswith(f"1\t{RULE}")
    test_browser._screenshot(page, "rules-list")

    ref = test_browser._post_event(live_url, integration, {"title": "Replica lag on db2", "severity": "high",
                                                            "labels": {"team": "db"}})  # fmt: skip
    assert ref != stored
    page.goto(f"{live_url}/incidents/{ref}")
    assert page.locator("h1.incident-title").inner_text() == "[DB] Replica lag on db2"
    with db.read() as session:
        incident = session.get(Incident, int(ref.removeprefix("INC-")))
        assert incident is not None and (incident.assignee, incident.category) == ("dba@example.com", "database")
    assert csp_violations == [], csp_violations
