"""`POST /v2/enqueue`: PagerDuty Events API v2 senders work by changing only the base URL."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts
from hub.db import Database
from hub.models import Change, Event, Incident

TRIGGER = {
    "event_action": "trigger",
    "payload": {"summary": "DB latency high", "source": "db1.example.com", "severity": "critical"},
}


@pytest.fixture
def routing_key(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_integration(session, name="pd", kind="pagerduty")[1]


def enqueue(client: FlaskClient, key: str, event: dict[str, Any]) -> Any:
    return client.post("/v2/enqueue", json={"routing_key": key, **event})


def test_trigger_without_dedup_key_is_accepted_with_a_generated_key(client: FlaskClient, routing_key: str) -> None:
    response = enqueue(client, routing_key, TRIGGER)
    assert response.status_code == 202
    assert response.json["status"] == "success" and response.json["message"] == "Event processed"
    assert len(response.json["dedup_key"]) == 32


def test_resolve_with_the_returned_key_resolves_and_a_new_trigger_opens_a_new_incident(
    client: FlaskClient, routing_key: str, db: Database
) -> None:
    key = enqueue(client, routing_key, TRIGGER).json["dedup_key"]
    assert enqueue(client, routing_key, {"event_action": "resolve", "dedup_key": key}).status_code == 202
    enqueue(client, routing_key, {**TRIGGER, "dedup_key": key})
    with db.read() as s:
        statuses = [i.status for i in s.scalars(select(Incident).order_by(Incident.id))]
    assert statuses == ["resolved", "open"]


def test_acknowledge_for_unknown_key_is_accepted_and_ignored(
    client: FlaskClient, routing_key: str, db: Database
) -> None:
    response = enqueue(client, routing_key, {"event_action": "acknowledge", "dedup_key": "never-seen"})
    assert response.status_code == 202
    with db.read() as s:
        assert s.scalars(select(Incident)).all() == []
        assert s.scalars(select(Event.status)).all() == ["ignored"]


def test_invalid_event_lists_every_problem_and_is_kept(client: FlaskClient, routing_key: str, db: Database) -> None:
    response = enqueue(client, routing_key, {"event_action": "trigger", "payload": {"severity": "bad"}})
    assert response.status_code == 400 and response.json["status"] == "invalid event"
    assert len(response.json["errors"]) >= 3
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["unprocessable"]


def test_a_routing_key_sent_in_the_x_routing_key_header_is_accepted(client: FlaskClient, routing_key: str) -> None:
    response = client.post("/v2/enqueue", json=TRIGGER, headers={"X-Routing-Key": routing_key})
    assert response.status_code == 202


def test_unknown_routing_key_is_refused_with_401(client: FlaskClient, routing_key: str) -> None:
    assert enqueue(client, "sbi_not-a-key", TRIGGER).status_code == 401


def test_key_of_an_integration_of_another_kind_is_refused(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        generic_secret = accounts.create_integration(session, name="gen", kind="generic")[1]
    assert enqueue(client, generic_secret, TRIGGER).status_code == 401


def test_body_over_the_limit_is_refused_with_413(client: FlaskClient, routing_key: str) -> None:
    big = {**TRIGGER, "payload": {**TRIGGER["payload"], "custom_details": {"x": "y" * 600_000}}}  # type: ignore[dict-item]
    assert enqueue(client, routing_key, big).status_code == 413


# -- change events: POST /v2/change/enqueue with a deploy integration's key ------------------------------------------

CHANGE = {"payload": {"summary": "Deployed checkout 1.4.2", "source": "ci.example.com",
                      "custom_details": {"service": "checkout", "version": "1.4.2"}}}  # fmt: skip


@pytest.fixture
def change_key(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_integration(session, name="pipelines", kind="deploy")[1]


def test_change_event_is_recorded_as_a_carried_out_change_and_answered_as_pagerduty_does(
    client: FlaskClient, change_key: str, db: Database
) -> None:
    response = client.post("/v2/change/enqueue", json={"routing_key": change_key, **CHANGE})
    assert response.status_code == 202
    assert response.json == {"status": "success", "message": "Change event processed"}
    with db.read() as s:
        [change] = s.scalars(select(Change)).all()
        [event] = s.scalars(select(Event)).all()
    assert (change.title, change.service, change.state, change.type) == (
        "Deployed checkout 1.4.2", "checkout", "implemented", "standard"
    )  # fmt: skip
    assert (event.status, event.source) == ("change", "deploy")


def test_change_event_with_an_alert_integrations_key_is_refused(client: FlaskClient, routing_key: str) -> None:
    response = client.post("/v2/change/enqueue", json={"routing_key": routing_key, **CHANGE})
    assert response.status_code == 401
    assert response.json["errors"] == [
        "'routing_key' is not the key of a deploy integration here: use the secret "
        "`switchboard integration create --kind deploy --name NAME` printed"
    ]


def test_invalid_change_event_is_answered_400_with_every_error_and_kept(
    client: FlaskClient, change_key: str, db: Database
) -> None:
    response = client.post("/v2/change/enqueue", json={"routing_key": change_key, "payload": {"source": "ci"}})
    assert response.status_code == 400
    assert response.json["status"] == "invalid event"
    assert response.json["errors"] == ["'payload.summary' is missing or blank"]
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["unprocessable"]
        assert s.scalars(select(Change)).all() == []
