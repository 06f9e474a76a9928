"""Incidents and service requests on the pages and the API: the incident page shows and changes the kind, the list
marks requests and filters by kind, and the API reads, filters, changes and logs it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from hub.db import Database
from tests.web.test_incident_actions import act, agent_token, stored
from tests.web.test_new_incident import submit


def test_the_incident_page_shows_the_kind_beside_the_category(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    page = logged_in.get(f"/incidents/{raise_incident()}").get_data(as_text=True)
    assert '<dt>Kind</dt><dd id="incident-kind">Incident</dd>' in page
    assert '<option value="request" >Service request</option>' in page


def test_an_agent_makes_it_a_request_from_the_page_and_the_timeline_says_so(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "categorise", kind="request", category="general", service="")
    assert f"{ref} now a service request, category general, service —." in page
    assert "Kind incident → request by agent@example.com" in page
    assert stored(db, ref).kind == "request"


def test_making_it_an_incident_again_is_said_with_an(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    act(logged_in, ref, "categorise", kind="request", category="general", service="")
    page = act(logged_in, ref, "categorise", kind="incident", category="general", service="")
    assert f"{ref} now an incident, category general, service —." in page


def test_the_page_refuses_a_kind_there_is_not(
    logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    page = act(logged_in, ref, "categorise", kind="task", category="general", service="")
    assert "The kind must be incident or request, not &#39;task&#39;." in page
    assert stored(db, ref).kind == "incident"


def test_the_list_marks_requests_only(logged_in: FlaskClient, raise_incident: Callable[..., str], db: Database) -> None:
    raise_incident("Disk full on db1")
    act(logged_in, raise_incident("Access to the wiki"), "categorise", kind="request", category="", service="")
    rows = logged_in.get("/incidents").get_data(as_text=True).split("<tr>")[2:]
    marked = ["request-badge" in row for row in rows]
    assert marked == [True, False] and "Access to the wiki" in rows[0]


def test_the_list_filters_by_kind_and_links_each_kind(
    logged_in: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    broken, wanted = raise_incident("Disk full on db1"), raise_incident("Access to the wiki")
    act(logged_in, wanted, "categorise", kind="request", category="", service="")
    page = logged_in.get("/incidents?kind=request").get_data(as_text=True)
    assert f">{wanted}<" in page and f">{broken}<" not in page
    assert 'href="/incidents?kind=incident"' in page and '<input type="hidden" name="kind" value="request">' in page
    assert "&#39;kind&#39; must be incident or request" in logged_in.get("/incidents?kind=task").get_data(as_text=True)


def test_the_api_answers_the_kind_and_filters_by_it(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    headers = agent_token(db)
    broken, wanted = raise_incident("Disk full on db1"), raise_incident("Access to the wiki")
    assert client.patch(f"/api/v1/incidents/{wanted}", json={"kind": "request"}, headers=headers).status_code == 200
    listed = client.get("/api/v1/incidents?kind=request", headers=headers).json
    assert [(row["ref"], row["kind"]) for row in listed] == [(wanted, "request")]  # type: ignore[union-attr]
    assert client.get(f"/api/v1/incidents/{broken}", headers=headers).json["kind"] == "incident"  # type: ignore[index]
    assert client.get("/api/v1/incidents?kind=task", headers=headers).status_code == 400


def test_api_patch_changes_kind_and_category_in_one_timeline_entry(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    ref = raise_incident()
    response = client.patch(f"/api/v1/incidents/{ref}", json={"kind": "request", "category": "access"},
                            headers=agent_token(db))  # fmt: skip
    assert response.status_code == 200, response.json
    summaries = [e["summary"] for e in response.json["timeline"] if e["kind"] == "categorised"]  # type: ignore[index]
    assert summaries == ["Category general → access; kind incident → request by token:bot-agent"]


def test_api_patch_refuses_a_kind_there_is_not(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    response = client.patch(f"/api/v1/incidents/{raise_incident()}", json={"kind": None}, headers=agent_token(db))
    assert response.status_code == 400 and "'kind' must be incident or request" in response.json["error"]  # type: ignore[index]


def test_the_api_logs_a_request_when_asked_and_an_incident_otherwise(client: FlaskClient, db: Database) -> None:
    headers = agent_token(db)
    asked = client.post("/api/v1/incidents", json={"title": "A laptop for Sam", "kind": "request"}, headers=headers)
    plain = client.post("/api/v1/incidents", json={"title": "VPN down"}, headers=headers)
    assert (asked.json["kind"], plain.json["kind"]) == ("request", "incident")  # type: ignore[index]
    wrong = client.post("/api/v1/incidents", json={"title": "VPN down", "kind": "task"}, headers=headers)
    assert wrong.status_code == 400 and wrong.json == {
        "error": "'kind' must be incident or request, or left out; not 'task'"
    }


def test_the_new_incident_page_logs_a_request(logged_in: FlaskClient, db: Database) -> None:
    page = logged_in.get("/incidents/new").get_data(as_text=True)
    assert '<option value="incident" selected>' in page
    response = submit(logged_in, title="A laptop for Sam", kind="request")
    assert response.status_code == 303
    assert stored(db, response.headers["Location"].rsplit("/", 1)[1]).kind == "request"
