"""Every page the app serves is visited by the page checks: HTML validity (tests/web/test_html_validity.py), axe and
the narrow-screen measure (tests/web/test_accessibility.py) all walk MAIN_PAGES (tests/web/test_browser.py) and the
furnished site's lists (tests/web/furnished_site.py). A page in none of them is checked by none of them, so a new
page must join a list, or be named here as no page (a redirect, a download, JSON, a feed) with the reason.

The lists are matched against the app's own route map, so a page is known by its route, whatever its path holds.
Error pages are no routes: the furnished site's ERROR_PAGES and PUBLIC_ERROR_PAGES have the checks visit them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map

from tests.conftest import make_settings
from tests.web.furnished_site import DETAIL_PAGES, PUBLIC_PAGES, SECOND_STEP
from tests.web.test_browser import MAIN_PAGES
from web import create_app
from web.services import services

#: The GET routes that serve no page for a person to read, by endpoint, each with why the page checks pass it by.
NOT_PAGES = {
    "static": "stylesheets, scripts and images",
    "incidents.root": "redirects to the incident list",
    "health.healthz": "a health probe's JSON",
    "health.intake": "a health probe's JSON",
    "metrics.metrics": "Prometheus's text format",
    "incident_export.download": "a CSV download",
    "reports.sla_csv": "a CSV download",
    "reports.time_csv": "a CSV download",
    "reports.requests_csv": "a CSV download",
    "mail_view.download": "an attachment's download",
    "oncall_feed.personal": "an iCalendar feed",
    "status_page.as_atom": "an Atom feed",
    "status_page.as_json": "JSON for other status pages",
    "sso.start": "redirects to the identity provider",
    "sso.callback": "redirects once the identity provider answers (a refusal's page: PUBLIC_ERROR_PAGES)",
    "suggest.assignee_names": "JSON for the assignee field's suggestions",
    "suggest.ci_names": "JSON for the CI field's suggestions",
    "suggest.people": "JSON for the @mention suggestions",
}
#: Every route under it answers programs with JSON (tests/web/test_openapi.py checks what they say).
API = "/api/"
VISITED = (*MAIN_PAGES, *DETAIL_PAGES, *PUBLIC_PAGES, SECOND_STEP)


@pytest.fixture(scope="module")
def url_map(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Map]:
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("routes"))))
    yield app.url_map
    with app.app_context():
        services().close()


def visited_endpoints(url_map: Map) -> dict[str, str]:
    """Each endpoint a list visits, with the path it is visited at."""
    routes = url_map.bind("localhost")
    visited = {}
    for path in VISITED:
        try:
            # a link's <name> matches its route's <token>; a query string (a form's choice) is not the route's
            endpoint, _ = routes.match(f"/{path.partition('?')[0]}", method="GET")
        except NotFound:
            pytest.fail(f"/{path} is listed for the page checks but no GET route serves it")
        visited[str(endpoint)] = path
    return visited


def test_every_page_the_app_serves_is_visited_by_the_page_checks(url_map: Map) -> None:
    visited = visited_endpoints(url_map)
    unvisited = sorted(
        f"{rule.rule} ({rule.endpoint})"
        for rule in url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.rule.startswith(API)
        and rule.endpoint not in NOT_PAGES
        and rule.endpoint not in visited
    )
    assert unvisited == [], (
        "pages no check visits (HTML validity, axe, narrow screens):\n  " + "\n  ".join(unvisited) + "\nAdd each to "
        "MAIN_PAGES in tests/web/test_browser.py (a page that needs no data), to DETAIL_PAGES or PUBLIC_PAGES in "
        "tests/web/furnished_site.py (furnishing what it shows in furnish(), signing a mailed link's token there), "
        "or, if it serves no page (a redirect, a download, JSON, a feed), to NOT_PAGES in this module with why. "
        "A list page goes in LIST_PAGES of tests/web/test_empty_states.py as well."
    )


def test_what_is_named_as_no_page_is_a_route_and_is_not_visited_as_one(url_map: Map) -> None:
    """An entry left behind by a route since removed, or by a page since listed, would hide the next one's gap."""
    endpoints = {rule.endpoint for rule in url_map.iter_rules() if "GET" in (rule.methods or ())}
    assert sorted(set(NOT_PAGES) - endpoints) == []
    assert sorted(set(NOT_PAGES) & set(visited_endpoints(url_map))) == []
