"""The incident pages: list, status filter, detail with timeline, and sender text shown only as text."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import post_event

HOSTILE = "<script>alert(1)</script>"


def test_incident_list_shows_the_incident_fields(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident("Disk full on db1", severity="critical", dedup_key="disk-db1")
    page = logged_in.get("/incidents").get_data(as_text=True)
    for expected in (ref, "Disk full on db1", "open", "P1", "general", "service-desk", "UTC"):
        assert expected in page


def test_incident_list_filters_by_status(
    logged_in: FlaskClient, integration: IntegrationCredentials, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Still broken", dedup_key="a")
    raise_incident("Fixed now", dedup_key="b")
    post_event(logged_in, integration.name, integration.secret, {"dedup_key": "b", "status": "resolve"})
    page = logged_in.get("/incidents?status=resolved").get_data(as_text=True)
    assert "Fixed now" in page and "Still broken" not in page


def test_incident_detail_shows_fields_and_timeline(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident("Disk full on db1", description="/var is at 100%", labels={"team": "db"})
    response = logged_in.get(f"/incidents/{ref}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in (ref, "Disk full on db1", "/var is at 100%", "team", "Timeline", "Opened as P"):
        assert expected in page


def test_unknown_incident_page_is_404_saying_to_check_the_reference(logged_in: FlaskClient) -> None:
    response = logged_in.get("/incidents/INC-424242")
    assert response.status_code == 404
    assert "There is no incident INC-424242: check the reference" in response.get_data(as_text=True)


def test_incident_detail_redirects_anonymous_visitor_to_login(
    client: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    response = client.get(f"/incidents/{ref}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=%2Fincidents%2F{ref}"


def test_hostile_title_is_escaped_in_the_list(logged_in: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident(HOSTILE)
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE not in page


def test_hostile_title_and_description_are_escaped_on_the_detail_page(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident(HOSTILE, description='<img src=x onerror="alert(2)">')
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE not in page and "<img src=x" not in page


def test_links_in_the_description_can_be_followed_and_nothing_else_becomes_markup(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident(description="Source: http://prom.example:9090/graph?g0.expr=up&g0.tab=1 <b>javascript:x()</b>")
    page = logged_in.get(f"/incidents/{ref}").get_data(as_text=True)
    link = '<a href="http://prom.example:9090/graph?g0.expr=up&amp;g0.tab=1" rel="nofollow noopener noreferrer">'
    assert link in page and "&lt;b&gt;javascript:x()&lt;/b&gt;" in page


def test_nav_shows_the_user_and_a_logout_form(logged_in: FlaskClient) -> None:
    page = logged_in.get("/incidents").get_data(as_text=True)
    assert "agent@example.com" in page
    assert 'action="/logout"' in page and 'method="post"' in page
