"""`/api/v1/oncall`: who is on call for chat bots and scripts; agents' tokens cover shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub import groups, oncall
from hub.db import Database
from hub.models import utcnow
from tests.staff import agents, deactivate


@pytest.fixture
def dba(db: Database) -> None:
    """Daily shifts handing over at 00:00 Berlin time, ann first from today; dan, an agent too, covers."""
    with db.transaction() as s:
        groups.save_group(s, "dba", agents(s, "ann@example.com", "bob@example.com"))
        agents(s, "dan@example.com")
        oncall.set_rotation(s, "dba", zone="Europe/Berlin", shift="1d", handoff="00:00", now=utcnow())


def call(client: FlaskClient, method: str, path: str, token: str, body: Any = None) -> Any:
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_list_says_who_is_on_call_until_when_and_who_is_next(client: FlaskClient, api_token: str, dba: None
                                                                 ) -> None:  # fmt: skip
    [rotation] = call(client, "GET", "/api/v1/oncall", api_token).json
    assert (rotation["group"], rotation["on_call"], rotation["next"]) == ("dba", "ann@example.com", "bob@example.com")
    assert rotation["timezone"] == "Europe/Berlin" and rotation["shift"] == "1 d"
    assert datetime.fromisoformat(rotation["until"]) - utcnow() <= timedelta(days=1)


def test_a_rotation_lists_its_shifts_ahead(client: FlaskClient, api_token: str, dba: None) -> None:
    answer = call(client, "GET", "/api/v1/oncall/dba?days=3", api_token).json
    assert [s["who"] for s in answer["shifts"]] == ["ann@example.com", "bob@example.com", "ann@example.com",
                                                    "bob@example.com"]  # fmt: skip
    assert answer["shifts"][1]["starts_at"] == answer["until"]


@pytest.mark.parametrize("days", ["0", "93", "x", "²"])
def test_days_out_of_range_are_refused(client: FlaskClient, api_token: str, dba: None, days: str) -> None:
    answer = call(client, "GET", f"/api/v1/oncall/dba?days={days}", api_token)
    assert answer.status_code == 400 and "'days' is a whole number from 1 to 92" in answer.json["error"]


def test_a_group_without_a_rotation_is_404(client: FlaskClient, api_token: str) -> None:
    answer = call(client, "GET", "/api/v1/oncall/nope", api_token)
    assert answer.status_code == 404 and answer.json == {"error": "group 'nope' has no on-call rotation"}


def test_an_agent_token_covers_a_shift_and_removes_the_cover(client: FlaskClient, agent_token: str, dba: None) -> None:
    starts = utcnow() - timedelta(minutes=1)
    body = {
        "who": "Dan@Example.com",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }
    made = call(client, "POST", "/api/v1/oncall/dba/overrides", agent_token, body)
    assert made.status_code == 201 and made.json["who"] == "dan@example.com"
    assert call(client, "GET", "/api/v1/oncall", agent_token).json[0]["on_call"] == "dan@example.com"
    assert call(client, "DELETE", f"/api/v1/oncall/dba/overrides/{made.json['id']}", agent_token).status_code == 200
    assert call(client, "GET", "/api/v1/oncall", agent_token).json[0]["on_call"] == "ann@example.com"


def test_override_times_without_an_offset_are_in_the_rotations_zone(
    client: FlaskClient, agent_token: str, dba: None
) -> None:
    far = (utcnow() + timedelta(days=400)).date().isoformat()  # more than a year ahead, whatever today is
    body = {"who": "dan@example.com", "starts_at": f"{far}T09:00", "ends_at": f"{far}T18:00"}
    with_zone = call(client, "POST", "/api/v1/oncall/dba/overrides", agent_token, body)
    assert with_zone.status_code == 400 and "ends within a year" in with_zone.json["error"]
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    body = {"who": "dan@example.com", "starts_at": f"{tomorrow}T09:00", "ends_at": f"{tomorrow}T18:00"}
    made = call(client, "POST", "/api/v1/oncall/dba/overrides", agent_token, body).json
    assert datetime.fromisoformat(made["starts_at"]).astimezone(UTC).hour in (7, 8)  # 09:00 Berlin, CEST or CET


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"who": "dan@example.com"}, "with 'who', 'starts_at' and 'ends_at'"),
        ({"who": "dan", "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"}, "not an email address"),
        ({"who": "dan@example.com", "starts_at": "soon", "ends_at": "later"}, "ISO 8601"),
    ],
)
def test_bad_overrides_name_the_problem(client: FlaskClient, agent_token: str, dba: None, body: Any, problem: str
                                        ) -> None:  # fmt: skip
    answer = call(client, "POST", "/api/v1/oncall/dba/overrides", agent_token, body)
    assert answer.status_code == 400 and problem in answer.json["error"]


def test_a_cover_who_cannot_log_in_and_acknowledge_is_refused_naming_why(
    client: FlaskClient, agent_token: str, dba: None, db: Database
) -> None:
    agents(db, "reader@example.com", role="viewer")
    deactivate(db, "dan@example.com")
    refusals = {
        "eve@example.com": "no one here has the address eve@example.com; an admin adds them on the Users page",
        "dan@example.com": "dan@example.com is deactivated; an admin turns them back on on the Users page",
        "reader@example.com": "reader@example.com is a viewer, who works no incidents; pick an agent or admin",
    }
    for who, why in refusals.items():
        body = {"who": who, "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"}
        answer = call(client, "POST", "/api/v1/oncall/dba/overrides", agent_token, body)
        assert (answer.status_code, answer.json["error"][: len(why)]) == (400, why)
    assert call(client, "GET", "/api/v1/oncall/dba?days=92", agent_token).json["shifts"][0]["override"] is None


def test_viewer_tokens_may_read_but_not_cover(client: FlaskClient, api_token: str, dba: None) -> None:
    body = {"who": "dan@example.com", "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-01T10:00"}
    assert call(client, "POST", "/api/v1/oncall/dba/overrides", api_token, body).status_code == 403


def test_removing_an_unknown_override_is_404(client: FlaskClient, agent_token: str, dba: None) -> None:
    assert call(client, "DELETE", "/api/v1/oncall/dba/overrides/99", agent_token).status_code == 404


def test_a_group_named_with_a_slash_is_found_by_its_path(client: FlaskClient, api_token: str, db: Database) -> None:
    with db.transaction() as s:
        groups.save_group(s, "ops/eu", agents(s, "ann@example.com"))
        oncall.set_rotation(s, "ops/eu", zone="UTC", shift="1d", handoff="00:00", now=utcnow())
    answer = call(client, "GET", "/api/v1/oncall/ops/eu?days=1", api_token)
    assert answer.status_code == 200 and answer.json["group"] == "ops/eu"
