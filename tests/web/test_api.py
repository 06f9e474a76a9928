"""The read API: /api/v1/incidents and /api/v1/incidents/<ref>, with API tokens."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from hub import accounts
from hub.config import Settings
from hub.db import Database
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import bearer, post_event

LIST_FIELDS = {
    "ref",
    "title",
    "status",
    "priority",
    "category",
    "assignee",
    "dedup_key",
    "occurrences",
    "source",
    "requester",
    "severity",
    "first_seen",
    "last_seen",
}


def test_incident_list_without_a_token_is_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/incidents")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.is_json and "error" in response.json  # type: ignore[operator]


def test_incident_list_with_a_wrong_token_is_401(client: FlaskClient, api_token: str) -> None:
    assert client.get("/api/v1/incidents", headers=bearer("sbt_wrong")).status_code == 401


def test_integration_secret_is_not_an_api_token(client: FlaskClient, integration: IntegrationCredentials) -> None:
    assert client.get("/api/v1/incidents", headers=bearer(integration.secret)).status_code == 401


def test_incident_list_returns_the_documented_fields(
    client: FlaskClient, api_token: str, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full on db1", severity="critical", dedup_key="disk-db1")
    response = client.get("/api/v1/incidents", headers=bearer(api_token))
    assert response.status_code == 200
    [incident] = response.json  # type: ignore[misc]
    assert incident.keys() >= LIST_FIELDS
    assert (incident["ref"], incident["title"], incident["severity"]) == (ref, "Disk full on db1", "critical")
    assert (incident["status"], incident["dedup_key"], incident["occurrences"]) == ("open", "disk-db1", 1)
    assert datetime.fromisoformat(incident["first_seen"]).tzinfo is not None
    assert datetime.fromisoformat(incident["last_seen"]).tzinfo is not None


def test_incident_list_is_newest_first(client: FlaskClient, api_token: str, raise_incident: Callable[..., str]) -> None:
    refs = [raise_incident(f"Alert {n}") for n in range(3)]
    response = client.get("/api/v1/incidents", headers=bearer(api_token))
    assert [i["ref"] for i in response.json] == list(reversed(refs))  # type: ignore[union-attr]


def test_incident_list_filters_by_status(
    client: FlaskClient, api_token: str, integration: IntegrationCredentials, raise_incident: Callable[..., str]
) -> None:
    open_ref = raise_incident("Still broken", dedup_key="a")
    raise_incident("Fixed", dedup_key="b")
    post_event(client, integration.name, integration.secret, {"dedup_key": "b", "status": "resolve"})
    response = client.get("/api/v1/incidents?status=open", headers=bearer(api_token))
    assert [i["ref"] for i in response.json] == [open_ref]  # type: ignore[union-attr]


def test_incident_list_honours_limit(client: FlaskClient, api_token: str, raise_incident: Callable[..., str]) -> None:
    for n in range(3):
        raise_incident(f"Alert {n}")
    response = client.get("/api/v1/incidents?limit=2", headers=bearer(api_token))
    assert len(response.json) == 2  # type: ignore[arg-type]


def test_incident_list_refuses_a_limit_that_is_not_a_positive_number(client: FlaskClient, api_token: str) -> None:
    for bad in ("0", "-3", "lots"):
        response = client.get(f"/api/v1/incidents?limit={bad}", headers=bearer(api_token))
        assert response.status_code == 400
        assert "'limit'" in response.json["error"]  # type: ignore[index]


def test_incident_list_refuses_an_unknown_status(client: FlaskClient, api_token: str) -> None:
    response = client.get("/api/v1/incidents?status=shelved", headers=bearer(api_token))
    assert response.status_code == 400
    assert "'status'" in response.json["error"]  # type: ignore[index]


def test_incident_detail_includes_description_and_timeline(
    client: FlaskClient, api_token: str, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full on db1", description="/var is at 100%")
    response = client.get(f"/api/v1/incidents/{ref}", headers=bearer(api_token))
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert (body["ref"], body["description"]) == (ref, "/var is at 100%")
    assert body["timeline"][0]["kind"] == "opened"
    assert datetime.fromisoformat(body["timeline"][0]["at"]).tzinfo is not None


def test_incident_detail_needs_a_token(client: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident()
    assert client.get(f"/api/v1/incidents/{ref}").status_code == 401


def test_unknown_incident_is_404_in_json(client: FlaskClient, api_token: str) -> None:
    for ref in ("INC-999", "INC-1x", "nonsense"):
        response = client.get(f"/api/v1/incidents/{ref}", headers=bearer(api_token))
        assert response.status_code == 404
        assert response.is_json and "error" in response.json  # type: ignore[operator]


def test_unknown_api_path_is_404_in_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "listed at /api/v1/openapi.json" in response.json["error"]  # type: ignore[index]


def test_an_api_path_with_a_trailing_slash_is_a_404_naming_it_without(client: FlaskClient) -> None:
    response = client.get("/api/v1/incidents/")
    said = "the API has nothing at /api/v1/incidents/: its paths end without a slash, /api/v1/incidents"
    assert (response.status_code, response.json) == (404, {"error": said})


def test_a_method_an_api_path_does_not_take_is_a_405_naming_those_it_does(client: FlaskClient) -> None:
    response = client.delete("/api/v1/incidents/INC-1")
    said = "DELETE is not allowed on /api/v1/incidents/INC-1; it takes GET, PATCH"
    assert (response.status_code, response.json) == (405, {"error": said})
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH"}


#: Every API endpoint that acts on one incident, as (method, path under /api/v1/incidents/<ref>).
INCIDENT_WRITES = [
    ("PATCH", ""),
    ("POST", "/comments"),
    ("POST", "/time"),
    ("PATCH", "/time/1"),
    ("PUT", "/watchers/ann@example.com"),
    ("DELETE", "/watchers/ann@example.com"),
    ("PUT", "/problem"),
    ("DELETE", "/problem"),
    ("POST", "/review"),
    ("PATCH", "/review"),
    ("POST", "/review/publish"),
    ("POST", "/review/actions"),
    ("DELETE", "/review/actions/1"),
    ("POST", "/review/actions/1/problem"),
    ("POST", "/major"),
    ("PATCH", "/major"),
    ("DELETE", "/major"),
]


def test_a_ref_that_names_no_incident_is_a_404_before_the_body_is_read(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name="ops", role="admin")
    for method, path in INCIDENT_WRITES:
        response = client.open(f"/api/v1/incidents/INC-1x{path}", method=method, data="not json",
                               headers=bearer(token))  # fmt: skip
        said = "there is no incident INC-1x: check the reference, as the incident page or list shows it"
        assert (response.status_code, response.json) == (404, {"error": said}), (method, path)


def test_a_body_over_the_limit_is_a_413_saying_it(client: FlaskClient, agent_token: str, settings: Settings) -> None:
    response = client.post("/api/v1/incidents", data=b"x" * (settings.max_event_bytes + 1),
                           content_type="application/json", headers=bearer(agent_token))  # fmt: skip
    said = f"the body is over the {settings.max_event_bytes:,} bytes this path takes; send less"
    assert (response.status_code, response.json) == (413, {"error": said})


def test_a_chunked_body_over_the_limit_is_a_413_not_a_400_for_its_cut_off_json(
    client: FlaskClient, agent_token: str, settings: Settings
) -> None:
    body = b'{"title": "' + b"x" * settings.max_event_bytes + b'"}'
    response = client.post("/api/v1/incidents", input_stream=io.BytesIO(body),
                           headers={**bearer(agent_token), "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
    said = f"the body is over the {settings.max_event_bytes:,} bytes this path takes; send less"
    assert (response.status_code, response.json) == (413, {"error": said})


def test_a_chunked_body_within_the_limit_is_read_whole(client: FlaskClient, agent_token: str) -> None:
    body = b'{"title": "Printer on fire", "description": "third floor"}'
    response = client.post("/api/v1/incidents", input_stream=io.BytesIO(body),
                           headers={**bearer(agent_token), "Content-Type": "application/json",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
    assert response.status_code == 201 and response.json["title"] == "Printer on fire"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("text/plain", "this request's was 'text/plain'"),
        ("application/x-www-form-urlencoded", "curl -d sends that unless told"),
        (None, "this request sent none"),
    ],
)
def test_a_json_write_sent_as_another_type_is_told_the_content_type_to_send(
    client: FlaskClient, agent_token: str, content_type: str | None, said: str
) -> None:
    response = client.post("/api/v1/incidents", data='{"title": "VPN down"}', content_type=content_type,
                           headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 400
    error = response.json["error"]  # type: ignore[index]
    assert "'Content-Type: application/json'" in error and said in error


def test_an_event_sent_as_text_plain_is_still_taken(client: FlaskClient, integration: IntegrationCredentials) -> None:
    """Monitoring tools send odd types: the intake reads the body whatever the header says."""
    response = client.post(f"/api/v1/events/{integration.name}", data='{"title": "Disk full"}',
                           content_type="text/plain", headers=bearer(integration.secret))  # fmt: skip
    assert response.status_code == 202


def test_a_desk_tokens_timeline_entry_names_it_as_token_colon_name(
    client: FlaskClient, agent_token: str, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident()
    found = client.patch(f"/api/v1/incidents/{ref}", json={"priority": 2}, headers=bearer(agent_token)).json
    [entry] = [e for e in found["timeline"] if e["kind"] == "priority"]  # type: ignore[index]
    assert entry["data"]["by"] == "token:chatops" and entry["summary"].endswith(" by token:chatops")


def test_an_incident_a_desk_token_logged_names_it_as_token_colon_name(client: FlaskClient, agent_token: str) -> None:
    logged = client.post("/api/v1/incidents", json={"title": "VPN down"}, headers=bearer(agent_token)).json
    opened = logged["timeline"][0]  # type: ignore[index]
    assert opened["data"]["by"] == "token:chatops" and opened["summary"].startswith("Logged by token:chatops")
