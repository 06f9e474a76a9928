"""`/api/v1/silences`: deploy pipelines silence what they touch, with a token whose role allows it."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database


def call(client: FlaskClient, method: str, path: str, token: str, body: Any = None) -> Any:
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def test_create_list_and_expire(client: FlaskClient, agent_token: str) -> None:
    created = call(client, "POST", "/api/v1/silences", agent_token,
                   {"matchers": ["labels.team=db"], "duration": "2h", "comment": "DB upgrade"})  # fmt: skip
    assert created.status_code == 201
    silence = created.json
    assert silence["matchers"] == ["labels.team=db"] and silence["created_by"] == "token:chatops"
    assert [s["id"] for s in call(client, "GET", "/api/v1/silences", agent_token).json] == [silence["id"]]
    assert call(client, "DELETE", f"/api/v1/silences/{silence['id']}", agent_token).status_code == 200
    assert call(client, "GET", "/api/v1/silences", agent_token).json == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"matchers": "labels.team=db", "duration": "2h"}, "'matchers' must be a list"),
        ({"matchers": ["team"], "duration": "2h"}, "not a matcher"),
        ({"matchers": ["labels.team=db"], "duration": "soon"}, "not a duration"),
        ({"matchers": ["labels.team=db"], "ends_at": "tomorrow"}, "ISO 8601"),
        ({"matchers": ["labels.team=db"], "duration": "2h", "evry": "sun 01:00-05:00"}, "unknown field(s) evry"),
    ],
)
def test_bad_requests_name_the_problem(client: FlaskClient, agent_token: str, body: Any, problem: str) -> None:
    response = call(client, "POST", "/api/v1/silences", agent_token, body)
    assert response.status_code == 400 and problem in response.json["error"]


def test_viewer_tokens_may_list_but_not_create(client: FlaskClient, api_token: str) -> None:
    assert call(client, "GET", "/api/v1/silences", api_token).status_code == 200
    body = {"matchers": ["labels.team=db"], "duration": "1h"}
    assert call(client, "POST", "/api/v1/silences", api_token, body).status_code == 403


def test_without_a_token_nothing_is_allowed(client: FlaskClient) -> None:
    assert client.get("/api/v1/silences").status_code == 401


def test_expiring_an_unknown_silence_is_404(client: FlaskClient, agent_token: str) -> None:
    assert call(client, "DELETE", "/api/v1/silences/999", agent_token).status_code == 404


def test_a_recurring_silence_is_created_and_listed_with_its_window(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        headers = {"Authorization": f"Bearer {accounts.create_token(session, name='weekly', role='agent')}"}
    body = {"matchers": ["labels.job=backup"], "every": "sun 02:00-04:00", "tz": "Europe/Berlin"}
    created = client.post("/api/v1/silences", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["every"] == "sun 02:00-04:00 Europe/Berlin"  # type: ignore[index]
    bad = client.post("/api/v1/silences", json={**body, "every": "someday 02:00-04:00"}, headers=headers)
    assert bad.status_code == 400 and "not a day" in bad.json["error"]  # type: ignore[index]
