"""The configuration items' pages and API, and the CI on the incident page, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from hub import accounts, changes, cis, problems
from hub.catalogue import add_service
from hub.db import Database
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, csrf_token, log_in


@pytest.fixture
def estate(db: Database) -> None:
    """The service mail, and db1 (supporting it) that app1 depends on."""
    with db.transaction() as session:
        add_service(session, name="mail")
        hostile = {"ip": "10.0.0.5", "note": "<script>alert(1)</script>"}
        cis.create(session, cis.CiFields("db1", "database", service="mail", owner="dba", attributes=hostile))
        app1 = cis.create(session, cis.CiFields("app1", "application"))
        cis.set_dependencies(session, app1, ["db1"])


@pytest.fixture
def agent(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="agent@example.com", role="agent"))
    return client


def post(client: FlaskClient, path: str, **form: str) -> str:
    token = csrf_token(client.get("/cis").get_data(as_text=True) if path.endswith(("/retire", "/remove"))
                       else client.get(path).get_data(as_text=True))  # fmt: skip
    response = client.post(path, data={"csrf_token": token, **form}, follow_redirects=True)
    return response.get_data(as_text=True)


@pytest.mark.usefixtures("estate")
def test_an_alert_on_a_host_shows_its_ci_on_the_incident_and_the_incident_on_the_ci(
    agent: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full", labels={"instance": "DB1:9100"})
    incident_page = agent.get(f"/incidents/{ref}").get_data(as_text=True)
    assert '<a href="/cis/db1">db1</a>' in incident_page
    ci_page = agent.get("/cis/db1").get_data(as_text=True)
    assert f'href="/incidents/{ref}"' in ci_page and "Open incidents" in ci_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ci_page and "<script>alert" not in ci_page
    assert 'href="/cis/app1">app1</a>' in ci_page  # its impact


@pytest.mark.usefixtures("estate")
def test_the_list_searches_and_filters(agent: FlaskClient) -> None:
    def names(query: str) -> list[str]:
        page = agent.get(f"/cis?{query}").get_data(as_text=True)
        return [name for name in ("db1", "app1") if f'href="/cis/{name}"' in page]

    assert names("") == ["db1", "app1"]
    assert names("kind=database") == ["db1"] and names("service=mail") == ["db1"] and names("q=DBA") == ["db1"]
    assert names("status=retired") == [] and names("kind=nonsense") == ["db1", "app1"]


@pytest.mark.usefixtures("estate")
def test_an_agent_adds_edits_retires_and_removes_cis(agent: FlaskClient) -> None:
    added = post(agent, "/cis/new", name="mx1", kind="server", service="mail", attributes="ip=10.0.0.7\nrack=2",
                 depends_on="db1")  # fmt: skip
    assert "mx1 saved." in added and "10.0.0.7" in added
    refused = post(agent, "/cis/new", name="MX1", kind="server")
    assert "already a CI named" in refused
    edited = post(agent, "/cis/mx1/edit", name="mx1", kind="server", owner="postmaster", status="active",
                  attributes="ip=10.0.0.8", depends_on="")  # fmt: skip
    assert "postmaster" in edited and "10.0.0.8" in edited and "rack" not in edited
    assert "retired" in post(agent, "/cis/mx1/retire")
    assert "mx1 removed." in post(agent, "/cis/mx1/remove")
    assert agent.get("/cis/mx1").status_code == 404


@pytest.mark.usefixtures("estate")
def test_a_ci_with_incidents_cannot_be_removed(agent: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Disk full", labels={"host": "db1"})
    said = post(agent, "/cis/db1/remove")
    assert "Nothing changed: incidents point at db1; retire it instead" in said


@pytest.mark.usefixtures("estate")
def test_the_ci_page_shows_problems_of_its_incidents_and_changes_to_its_service(
    agent: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full", labels={"host": "db1"})
    problems.create(db, "Disks fill up", "agent@example.com", incident_ids=(int(ref.removeprefix("INC-")),))
    with db.transaction() as session:
        upgrade = changes.NewChange(title="Upgrade PostgreSQL", type="standard", service="mail")
        changes.create(session, upgrade, "agent@example.com")
    page = agent.get("/cis/db1").get_data(as_text=True)
    assert "Disks fill up" in page and "Upgrade PostgreSQL" in page


@pytest.mark.usefixtures("estate")
def test_an_agent_sets_the_ci_on_the_incident_page(agent: FlaskClient, raise_incident: Callable[..., str]) -> None:
    ref = raise_incident("Mail is slow")
    page = post(agent, f"/incidents/{ref}/ci", ci="DB1")
    assert f"{ref} changed: CI — → db1, service mail from it." in page
    assert "CI — → db1, service mail from it by agent@example.com" in page  # on the timeline
    assert "There is no CI" in post(agent, f"/incidents/{ref}/ci", ci="nope")


def test_viewers_see_the_ci_name_but_not_its_page(client: FlaskClient, db: Database, estate: None,
                                                  make_user: Callable[..., Login],
                                                  raise_incident: Callable[..., str]) -> None:  # fmt: skip
    ref = raise_incident("Disk full", labels={"host": "db1"})
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    page = client.get(f"/incidents/{ref}").get_data(as_text=True)
    assert '<dd id="incident-ci">db1</dd>' in page
    assert client.get("/cis/db1").status_code == 403


# -- the API ----------------------------------------------------------------------------------------------------


@pytest.fixture
def token(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name='discovery', role='agent')}"}


@pytest.mark.usefixtures("estate")
def test_put_creates_replaces_and_leaves_alone(client: FlaskClient, token: dict[str, str]) -> None:
    body = {"kind": "server", "service": "mail", "attributes": {"ip": "10.0.0.7", "cores": 8}, "depends_on": ["db1"]}
    created = client.put("/api/v1/cis/mx1", json=body, headers=token)
    assert created.status_code == 201 and created.json is not None
    assert (created.json["result"], created.json["attributes"], created.json["depends_on"]) == (
        "created", {"cores": "8", "ip": "10.0.0.7"}, ["db1"])  # fmt: skip
    again = client.put("/api/v1/cis/mx1", json=body, headers=token)
    assert again.status_code == 200 and again.json is not None and again.json["result"] == "unchanged"
    replaced = client.put("/api/v1/cis/mx1", json={"kind": "server"}, headers=token)
    assert replaced.json is not None
    assert (replaced.json["result"], replaced.json["service"], replaced.json["attributes"]) == ("updated", None, {})


@pytest.mark.parametrize(
    ("body", "why"),
    [([], "JSON object"), ({"kind": "server", "colour": "red"}, "unknown field(s) colour"), ({}, "'kind' is required"),
     ({"kind": "server", "service": "nope"}, "no service 'nope'"), ({"kind": "server", "attributes": []}, "an object"),
     ({"kind": "server", "depends_on": ["ghost"]}, "no CI 'ghost'")],
)  # fmt: skip
def test_put_refuses_what_cannot_be_a_ci(client: FlaskClient, token: dict[str, str], body: object, why: str) -> None:
    response = client.put("/api/v1/cis/mx1", json=body, headers=token)
    assert response.status_code == 400 and response.json is not None and why in response.json["error"]


@pytest.mark.usefixtures("estate")
def test_get_lists_and_shows_cis_and_incidents_name_theirs(
    client: FlaskClient, token: dict[str, str], raise_incident: Callable[..., str]
) -> None:
    ref = raise_incident("Disk full", labels={"host": "db1"})
    listed = client.get("/api/v1/cis?service=mail", headers=token).json
    assert [ci["name"] for ci in listed or []] == ["db1"]
    shown = client.get("/api/v1/cis/DB1", headers=token).json
    assert shown is not None and (shown["dependents"], shown["open_incidents"]) == (["app1"], [ref])
    incident = client.get(f"/api/v1/incidents/{ref}", headers=token).json
    assert incident is not None and (incident["ci"], incident["service"]) == ("db1", "mail")
    assert client.get("/api/v1/cis/nope", headers=token).status_code == 404
    assert client.get("/api/v1/cis?status=gone", headers=token).status_code == 400


def test_a_searchs_second_page_goes_on_past_the_names_starting_with_it(
    client: FlaskClient, db: Database, token: dict[str, str]
) -> None:
    with db.transaction() as session:
        for name, owner in (("db1", None), ("db2", None), ("app-db", None), ("web1", "dba"), ("mx1", None)):
            cis.create(session, cis.CiFields(name, "server", owner=owner))
    second = client.get("/api/v1/cis?q=db&limit=3&page=2", headers=token)
    assert [ci["name"] for ci in second.json or []] == ["web1"] and second.headers["X-Total-Count"] == "4"


def test_viewer_tokens_may_not_read_cis(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        viewer = accounts.create_token(session, name="board", role="viewer")
    assert client.get("/api/v1/cis", headers={"Authorization": f"Bearer {viewer}"}).status_code == 403
