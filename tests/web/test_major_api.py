"""Major incidents through the API: declared and stood down with a token, listed with `major=1`, and the examples
docs/major-incidents.md prints, run as printed. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import api_tokens
from hub.config import Settings
from hub.db import Database
from hub.models import OutboxMessage
from hub.recipients import active_members
from tests.docs import fenced, run_as_printed
from tests.web.both_databases import settings_on_either_database  # noqa: F401  (this module runs on both)
from tests.web.helpers import Login, bearer, statements


@pytest.fixture
def ann(make_user: Callable[..., Login]) -> Login:
    return make_user(email="ann@example.com")


def declare(client: FlaskClient, token: str, ref: str = "INC-1", **body: object) -> tuple[int, dict]:
    body = body or {"reason": "Nobody can run payroll", "coordinator": "ann@example.com"}
    response = client.post(f"/api/v1/incidents/{ref}/major", json=body, headers=bearer(token))
    return response.status_code, response.json  # type: ignore[return-value]


def test_a_token_declares_a_major_incident_naming_its_coordinator(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    ref = raise_incident()
    status, found = declare(client, agent_token, ref)
    assert status == 201
    assert (found["ref"], found["major"], found["coordinator"]) == (ref, True, "ann@example.com")
    [said] = [entry["summary"] for entry in found["timeline"] if entry["kind"] == "major"]
    assert found["major_since"]
    assert said.startswith("Declared a major incident by token:chatops: Nobody can run payroll")


def test_a_token_names_the_coordinator_since_it_is_no_one(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str
) -> None:
    raise_incident()
    for body in ({"reason": "Payroll down"}, {"reason": "Payroll down", "coordinator": " "}):
        status, found = declare(client, agent_token, **body)
        assert status == 400 and found["error"].startswith("a desk's token is no one, so it names the coordinator")


def test_a_personal_token_naming_no_coordinator_makes_its_person_coordinate(
    client: FlaskClient, db: Database, raise_incident: Callable[..., str], ann: Login
) -> None:
    raise_incident()
    with db.transaction() as session:
        token = api_tokens.create_token(session, name="ann-laptop", owner="ann@example.com")
    status, found = declare(client, token, reason="Payroll down")
    assert (status, found["coordinator"]) == (201, "ann@example.com")


def test_a_field_the_api_does_not_know_is_refused(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident()
    status, found = declare(client, agent_token, reason="x", coordinator="ann@example.com", severity="high")
    assert status == 400 and found["error"].startswith("unknown field(s) severity")


def test_declaring_twice_is_a_conflict_saying_who_coordinates(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident()
    declare(client, agent_token)
    status, found = declare(client, agent_token)
    assert status == 409
    assert "already a major incident, declared by token:chatops and coordinated by ann" in found["error"]


def test_a_coordinator_who_cannot_work_incidents_is_a_conflict(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, make_user: Callable[..., Login]
) -> None:
    raise_incident()
    make_user(email="vic@example.com", role="viewer")
    status, found = declare(client, agent_token, reason="Payroll down", coordinator="vic@example.com")
    assert status == 409 and found["error"].startswith("vic@example.com is not an active agent or admin")


def test_delete_stands_it_down(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.delete("/api/v1/incidents/INC-1/major", headers=bearer(agent_token))
    assert response.status_code == 200
    assert (response.json["major"], response.json["coordinator"]) == (False, None)  # type: ignore[index]
    again = client.delete("/api/v1/incidents/INC-1/major", headers=bearer(agent_token))
    assert again.status_code == 409 and again.json == {"error": "INC-1 is not a major incident"}


def test_delete_with_a_note_tells_those_paged_and_says_it_on_the_timeline(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login, db: Database
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.delete("/api/v1/incidents/INC-1/major", json={"note": "One printer, not the floor"},
                             headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 200 and response.json["major"] is False  # type: ignore[index]
    [said] = [e["summary"] for e in response.json["timeline"] if e["kind"] == "stood_down"]  # type: ignore[index]
    assert said == "Stood down as a major incident by token:chatops: One printer, not the floor"
    with db.read() as session:
        [told] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "major_stood_down"))
    assert (told.recipient, (told.facts or {}).get("note")) == ("ann@example.com", "One printer, not the floor")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"note": 7}, 'send no body, or a note for those paged: {"note": "One printer, not the floor"}'),
        ({"reason": "x"}, 'unknown field(s) reason; send no body, or {"note": "One printer, not the floor"}'),
    ],
)
def test_a_stand_down_body_other_than_a_note_is_refused(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login, body: dict, error: str
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.delete("/api/v1/incidents/INC-1/major", json=body, headers=bearer(agent_token))
    assert response.status_code == 400 and response.json == {"error": error}
    assert client.get("/api/v1/incidents/INC-1", headers=bearer(agent_token)).json["major"] is True  # type: ignore[index]


def test_a_note_too_long_to_keep_is_a_conflict_and_the_incident_stays_major(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.delete("/api/v1/incidents/INC-1/major", json={"note": "x" * 501}, headers=bearer(agent_token))
    assert response.status_code == 409 and "note" in response.json["error"]  # type: ignore[index]
    assert client.get("/api/v1/incidents/INC-1", headers=bearer(agent_token)).json["major"] is True  # type: ignore[index]


def test_patch_hands_coordination_over_and_pages_the_new_coordinator(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login,
    make_user: Callable[..., Login], db: Database,
) -> None:  # fmt: skip
    make_user(email="bob@example.com")
    raise_incident()
    declare(client, agent_token)
    response = client.patch("/api/v1/incidents/INC-1/major", json={"coordinator": "Bob@Example.com"},
                            headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 200 and response.json["coordinator"] == "bob@example.com"  # type: ignore[index]
    [said] = [e["summary"] for e in response.json["timeline"] if e["summary"].startswith("Coordination")]  # type: ignore[index]
    assert said == "Coordination handed over from ann@example.com to bob@example.com by token:chatops"
    with db.read() as session:
        paged = list(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "major_declared")))
    assert paged == ["ann@example.com", "bob@example.com"]


def test_handing_over_to_the_same_coordinator_changes_nothing(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.patch("/api/v1/incidents/INC-1/major", json={"coordinator": "ann@example.com"},
                            headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 200 and response.json["coordinator"] == "ann@example.com"  # type: ignore[index]
    assert not [e for e in response.json["timeline"] if e["summary"].startswith("Coordination")]  # type: ignore[index]


@pytest.mark.parametrize("body", [{}, {"coordinator": " "}, {"coordinator": "bob@example.com", "reason": "x"}])
def test_a_hand_over_names_only_the_new_coordinator(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login, body: dict
) -> None:
    raise_incident()
    declare(client, agent_token)
    response = client.patch("/api/v1/incidents/INC-1/major", json=body, headers=bearer(agent_token))
    assert response.status_code == 400 and '{"coordinator": "bob@example.com"}' in response.json["error"]  # type: ignore[index]


def test_handing_over_what_is_not_major_or_to_someone_who_cannot_work_it_is_a_conflict(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login,
    make_user: Callable[..., Login],
) -> None:  # fmt: skip
    make_user(email="vic@example.com", role="viewer")
    raise_incident()
    body = {"coordinator": "ann@example.com"}
    response = client.patch("/api/v1/incidents/INC-1/major", json=body, headers=bearer(agent_token))
    assert response.status_code == 409 and response.json == {"error": "INC-1 is not a major incident"}
    declare(client, agent_token)
    response = client.patch("/api/v1/incidents/INC-1/major", json={"coordinator": "vic@example.com"},
                            headers=bearer(agent_token))  # fmt: skip
    assert response.status_code == 409 and response.json["error"].startswith("vic@example.com is not an active")  # type: ignore[index]


def test_an_unknown_incident_is_a_404(client: FlaskClient, agent_token: str) -> None:
    assert declare(client, agent_token, "INC-99")[0] == 404
    assert client.delete("/api/v1/incidents/INC-x/major", headers=bearer(agent_token)).status_code == 404


def test_a_viewer_token_may_not_declare_and_no_token_is_a_401(
    client: FlaskClient, raise_incident: Callable[..., str], api_token: str
) -> None:
    raise_incident()
    assert declare(client, api_token)[0] == 403
    assert client.post("/api/v1/incidents/INC-1/major", json={}).status_code == 401
    assert client.delete("/api/v1/incidents/INC-1/major").status_code == 401
    assert client.patch("/api/v1/incidents/INC-1/major", json={"coordinator": "ann@example.com"},
                        headers=bearer(api_token)).status_code == 403  # fmt: skip


def test_the_list_filters_major_incidents_and_says_who_coordinates(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login
) -> None:
    raise_incident("Payroll is down")
    raise_incident("Printer jams")
    declare(client, agent_token)
    response = client.get("/api/v1/incidents?major=1", headers=bearer(agent_token))
    assert [(i["ref"], i["coordinator"]) for i in response.json] == [("INC-1", "ann@example.com")]  # type: ignore[union-attr]
    assert response.headers["X-Total-Count"] == "1"
    everything = client.get("/api/v1/incidents", headers=bearer(agent_token)).json
    assert [(i["ref"], i["major"]) for i in everything] == [("INC-2", False), ("INC-1", True)]  # type: ignore[union-attr]


def test_a_major_filter_that_is_neither_1_nor_0_is_a_400(client: FlaskClient, agent_token: str) -> None:
    response = client.get("/api/v1/incidents?major=true", headers=bearer(agent_token))
    assert response.status_code == 400 and response.json == {"error": "'major' must be 1 (only those) or 0, not 'true'"}


def test_the_documented_api_examples_run_as_printed(
    live_url: str, settings: Settings, tmp_path: Path, raise_incident: Callable[..., str], agent_token: str, ann: Login,
    make_user: Callable[..., Login],
) -> None:  # fmt: skip
    make_user(email="bob@example.com")
    raise_incident("Payroll is down")
    [example] = fenced("docs/major-incidents.md", "Through the API", "sh")
    printed = run_as_printed(example.replace("http://127.0.0.1:8000", live_url), settings, tmp_path, TOKEN=agent_token)
    assert printed.splitlines() == [
        '{"ref":"INC-1","major":true,"coordinator":"ann@example.com"}', "INC-1 ann@example.com Payroll is down",
        "bob@example.com", "false",
    ]  # fmt: skip


def test_the_documented_setup_makes_the_major_incident_group(
    settings: Settings, db: Database, tmp_path: Path, make_user: Callable[..., Login]
) -> None:
    for email in ("ann@example.com", "bob@example.com"):
        make_user(email=email)
    [setup] = fenced("docs/major-incidents.md", "Declaring one", "sh")
    run_as_printed(setup, settings, tmp_path)
    with db.read() as session:
        assert list(active_members(session.connection(), "major-incident")) == ["ann@example.com", "bob@example.com"]


def test_the_list_reads_every_major_incidents_coordinator_in_the_same_queries_for_one_or_three(
    client: FlaskClient, raise_incident: Callable[..., str], agent_token: str, ann: Login, db: Database
) -> None:
    """The declarations of a whole page are one query beside the incidents', not one per incident."""

    def queries_for_the_list() -> int:
        with statements(db) as sent:
            assert client.get("/api/v1/incidents", headers=bearer(agent_token)).status_code == 200
        return len(sent)

    for title in ("Payroll is down", "Mail is down", "VPN is down"):
        raise_incident(title)
    declare(client, agent_token, "INC-1")
    one = queries_for_the_list()
    declare(client, agent_token, "INC-2")
    declare(client, agent_token, "INC-3")
    assert queries_for_the_list() == one
