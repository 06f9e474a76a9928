"""Incidents by configuration item: the CI column and `?ci=` filter of the list, the CSV and the API, and the CI
chosen when an incident is logged by hand (page and API). On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hub import accounts, cis
from hub.catalogue import add_service
from hub.db import Database
from hub.models import Incident
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, csrf_token, log_in, statements


@pytest.fixture
def estate(db: Database) -> None:
    """db1 supports the service mail; web1 supports none; old is retired."""
    with db.transaction() as session:
        add_service(session, name="mail")
        add_service(session, name="web")
        cis.create(session, cis.CiFields("db1", "database", service="mail"))
        cis.create(session, cis.CiFields("web1", "server"))
        cis.create(session, cis.CiFields("old", "server"))
        cis.retire(session, "old")


@pytest.fixture
def agent(client: FlaskClient, make_user: Callable[..., Login]) -> FlaskClient:
    log_in(client, make_user(email="agent@example.com", role="agent"))
    return client


def token(db: Database, role: str) -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'{role}-script', role=role)}"}


def refs(page: str) -> list[str]:
    return re.findall(r'<a class="ref" href="/incidents/(INC-\d+)">', page)


def ci_cells(page: str) -> list[str]:
    return re.findall(r'<td data-label="CI">(.*?)</td>', page)


# -- the list ------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("estate")
def test_the_list_shows_each_incidents_ci_linked_to_its_page(
    agent: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk", labels={"host": "DB1"})
    raise_incident("Printer jammed", dedup_key="printer")
    page = agent.get("/incidents").get_data(as_text=True)
    assert '<th scope="col">CI</th>' in page
    assert ci_cells(page) == ["—", '<a href="/cis/db1">db1</a>']


def test_viewers_see_the_ci_by_name_but_no_link_to_its_page(
    client: FlaskClient, estate: None, make_user: Callable[..., Login], raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", labels={"host": "db1"})
    log_in(client, make_user(email="viewer@example.com", role="viewer"))
    page = client.get("/incidents").get_data(as_text=True)
    assert ci_cells(page) == ["db1"] and 'href="/cis/' not in page


@pytest.mark.usefixtures("estate")
def test_the_ci_filter_shows_the_incidents_on_that_ci_whatever_its_case(
    agent: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    on_db1 = raise_incident("Disk full", dedup_key="disk", labels={"host": "db1"})
    raise_incident("CPU hot", dedup_key="cpu", labels={"host": "web1"})
    raise_incident("Printer jammed", dedup_key="printer")
    assert refs(agent.get("/incidents?ci=DB1").get_data(as_text=True)) == [on_db1]
    assert refs(agent.get("/incidents?ci=nothing-such").get_data(as_text=True)) == []


@pytest.mark.usefixtures("estate")
def test_the_lists_links_keep_the_ci_filter(agent: FlaskClient, raise_incident: Callable[..., str]) -> None:
    raise_incident("Disk full", labels={"host": "db1"})
    page = agent.get("/incidents?ci=db1&status=open").get_data(as_text=True)
    assert 'id="f-ci" name="ci" value="db1"' in page
    assert 'href="/incidents?status=open&amp;ci=db1&amp;sort=priority"' in page  # the sort links
    assert 'href="/incidents?status=acknowledged&amp;ci=db1"' in page  # the status tabs
    assert 'href="/incidents.csv?status=open&amp;ci=db1"' in page  # the download


@pytest.mark.usefixtures("estate")
def test_the_list_reads_the_cis_of_a_whole_page_in_one_query(
    agent: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    """Not one query per row: a page of six incidents on six CIs costs what a page of one does."""

    def queries_for_the_list() -> int:
        with statements(db) as sent:
            assert agent.get("/incidents").status_code == 200
        return len(sent)

    raise_incident("Disk full", dedup_key="0", labels={"host": "db1"})
    one = queries_for_the_list()
    with db.transaction() as session:
        for n in range(1, 6):
            cis.create(session, cis.CiFields(f"host{n}", "server"))
    for n in range(1, 6):
        raise_incident("Disk full", dedup_key=str(n), labels={"host": f"host{n}"})
    assert len(ci_cells(agent.get("/incidents").get_data(as_text=True))) == 6
    assert queries_for_the_list() == one


# -- the CSV and the API -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("estate")
def test_the_csv_has_a_ci_column_and_takes_the_ci_filter(
    agent: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk", labels={"host": "db1"})
    raise_incident("Printer jammed", dedup_key="printer")

    def rows(query: str) -> list[dict[str, str]]:
        text = agent.get(f"/incidents.csv{query}").get_data(as_text=True).removeprefix("\ufeff")
        return list(csv.DictReader(io.StringIO(text)))

    assert [(row["title"], row["ci"], row["service"]) for row in rows("")] == [
        ("Printer jammed", "", ""), ("Disk full", "db1", "mail")
    ]  # fmt: skip
    assert [row["title"] for row in rows("?ci=db1")] == ["Disk full"]


@pytest.mark.usefixtures("estate")
def test_the_api_names_each_incidents_ci_and_filters_by_it(
    client: FlaskClient, db: Database, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", dedup_key="disk", labels={"host": "db1"})
    raise_incident("Printer jammed", dedup_key="printer")
    viewer = token(db, "viewer")
    listed = client.get("/api/v1/incidents", headers=viewer)
    assert [(i["title"], i["ci"]) for i in listed.json or []] == [("Printer jammed", None), ("Disk full", "db1")]
    narrowed = client.get("/api/v1/incidents?ci=Db1", headers=viewer)
    assert [i["title"] for i in narrowed.json or []] == ["Disk full"] and narrowed.headers["X-Total-Count"] == "1"


@pytest.mark.usefixtures("estate")
def test_the_ci_page_links_to_all_its_incidents_in_the_list(
    agent: FlaskClient, raise_incident: Callable[..., str]
) -> None:
    raise_incident("Disk full", labels={"host": "db1"})
    assert '<a href="/incidents?ci=db1">All its incidents</a>' in agent.get("/cis/db1").get_data(as_text=True)


# -- logging an incident on a CI -----------------------------------------------------------------------------------


def submit(client: FlaskClient, **fields: str) -> TestResponse:
    form = csrf_token(client.get("/incidents/new").get_data(as_text=True))
    return client.post("/incidents/new", data={"csrf_token": form, "title": "Mail is slow", **fields})


def stored(db: Database) -> list[tuple[str | None, str | None]]:
    """Each incident's CI and service."""
    with db.read() as session:
        return [(row.ci.name if row.ci else None, row.service)
                for row in session.scalars(select(Incident).order_by(Incident.id))]  # fmt: skip


@pytest.mark.usefixtures("estate")
def test_the_form_suggests_the_active_cis(agent: FlaskClient) -> None:
    page = agent.get("/incidents/new").get_data(as_text=True)
    suggested = re.search(r'<datalist id="ci-names">(.*?)</datalist>', page)
    assert suggested is not None
    assert re.findall(r'<option value="([^"]+)">', suggested.group(1)) == ["db1", "web1"]  # not the retired one


@pytest.mark.usefixtures("estate")
def test_an_incident_logged_on_a_ci_is_linked_to_it_and_takes_its_service(agent: FlaskClient, db: Database) -> None:
    response = submit(agent, ci="DB1")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert stored(db) == [("db1", "mail")]
    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "CI db1 (service mail)" in page  # the timeline says where the service came from


@pytest.mark.usefixtures("estate")
def test_the_service_the_agent_gives_wins_over_the_cis(agent: FlaskClient, db: Database) -> None:
    assert submit(agent, ci="db1", service="web").status_code == 303
    assert stored(db) == [("db1", "web")]


@pytest.mark.usefixtures("estate")
def test_an_unknown_ci_is_refused_beside_its_field_with_a_way_to_find_the_right_one(
    agent: FlaskClient, db: Database
) -> None:
    response = submit(agent, ci="db2", description="Since 9:00")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and stored(db) == []
    assert '<p class="field-error" id="ci-error">there is no CI &#39;db2&#39;; choose one the CI field offers' in page
    assert '<a href="/cis?q=db2&amp;status=all">Look it up among the CIs</a>' in page
    assert 'value="db2"' in page and "Since 9:00" in page  # what was typed is kept, to correct


@pytest.mark.usefixtures("estate")
def test_a_retired_ci_is_refused_saying_how_to_bring_it_back(agent: FlaskClient, db: Database) -> None:
    response = submit(agent, ci="old")
    assert response.status_code == 400 and stored(db) == []
    assert "old is retired; choose an active CI (/cis lists them), or make it active again on its page" in (
        response.get_data(as_text=True)
    )


@pytest.mark.usefixtures("estate")
def test_the_api_logs_an_incident_on_a_ci_and_refuses_one_that_is_no_active_ci(
    client: FlaskClient, db: Database
) -> None:
    agent = token(db, "agent")
    logged = client.post("/api/v1/incidents", json={"title": "Mail is slow", "ci": "db1"}, headers=agent)
    assert logged.status_code == 201 and logged.json is not None
    assert (logged.json["ci"], logged.json["service"]) == ("db1", "mail")
    for name, why in (("db2", "there is no CI 'db2'"), ("old", "old is retired")):
        refused = client.post("/api/v1/incidents", json={"title": "Mail is slow", "ci": name}, headers=agent)
        assert refused.status_code == 400 and refused.json is not None and why in refused.json["error"]
    assert stored(db) == [("db1", "mail")]
