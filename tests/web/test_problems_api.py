"""`PATCH /api/v1/problems/<ref>`: the problem's page without the page, with its checks, states and audit."""

from __future__ import annotations

from flask.testing import FlaskClient

from hub import audit, problems
from hub.db import Database


def filed(db: Database) -> str:
    return f"PRB-{problems.create(db, 'VPN drops every night', 'ann@example.com')}"


def test_a_token_records_what_was_learned_and_marks_a_known_error(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    ref = filed(db)
    body = {"root_cause": "Idle tunnels dropped after 60 s", "workaround": "Reconnect", "share_workaround": True,
            "state": "known_error"}  # fmt: skip
    response = client.patch(f"/api/v1/problems/{ref}", json=body, headers={"Authorization": f"Bearer {agent_token}"})
    assert response.status_code == 200
    assert {k: response.json[k] for k in body} == body
    with db.read() as session:
        [entry] = audit.recent(session, action="problem.update")
    assert (entry.actor, entry.target, entry.detail["state"]) == ("token:chatops", ref, "new → known_error")


def test_a_known_error_without_a_workaround_is_a_409_saying_so(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    response = client.patch(f"/api/v1/problems/{filed(db)}", json={"state": "known_error"},
                            headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert response.status_code == 409
    assert response.json["error"] == "write down the workaround before marking it a known error"


def test_a_move_the_page_does_not_allow_is_a_409_naming_the_allowed_ones(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    response = client.patch(f"/api/v1/problems/{filed(db)}", json={"state": "resolved"},
                            headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert response.status_code == 409 and "can move to closed, investigating, known_error" in response.json["error"]


def test_fields_it_cannot_change_or_of_the_wrong_type_are_a_400(
    db: Database, client: FlaskClient, agent_token: str
) -> None:
    ref, headers = filed(db), {"Authorization": f"Bearer {agent_token}"}
    refused = [({"title": "x"}, "'title' cannot be changed here"),
               ({"share_workaround": "yes"}, "'share_workaround' must be true or false"),
               ({"state": "fixed"}, "'state' must be one of new, investigating"),
               ({}, "send a JSON object")]  # fmt: skip
    for body, says in refused:
        response = client.patch(f"/api/v1/problems/{ref}", json=body, headers=headers)
        assert response.status_code == 400 and says in response.json["error"], body


def test_an_unknown_problem_is_a_404_saying_where_they_are_listed(client: FlaskClient, agent_token: str) -> None:
    response = client.patch("/api/v1/problems/PRB-9", json={"owner": "ann@example.com"},
                            headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    said = "there is no problem PRB-9; the Problems page or `switchboard problem list` shows them"
    assert (response.status_code, response.json) == (404, {"error": said})


def test_a_viewer_token_cannot_change_a_problem(db: Database, client: FlaskClient, api_token: str) -> None:
    response = client.patch(f"/api/v1/problems/{filed(db)}", json={"owner": "ann@example.com"},
                            headers={"Authorization": f"Bearer {api_token}"})  # fmt: skip
    assert response.status_code == 403


def test_filing_a_problem_answers_201_with_its_location(client: FlaskClient, agent_token: str) -> None:
    response = client.post("/api/v1/problems", json={"title": "VPN drops every night"},
                           headers={"Authorization": f"Bearer {agent_token}"})  # fmt: skip
    assert (response.status_code, response.headers["Location"]) == (201, f"/api/v1/problems/{response.json['ref']}")
