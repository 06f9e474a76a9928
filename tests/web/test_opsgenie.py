"""Opsgenie-compatible Alert API: create, then close or acknowledge by alias, with a GenieKey."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts
from hub.db import Database
from hub.models import Incident


@pytest.fixture
def genie_key(db: Database) -> str:
    with db.transaction() as session:
        return accounts.create_integration(session, name="og", kind="opsgenie")[1]


def post(client: FlaskClient, path: str, key: str | None, body: dict[str, Any] | None = None) -> Any:
    headers = {"Authorization": f"GenieKey {key}"} if key else {}
    return client.post(path, json=body, headers=headers) if body is not None else client.post(path, headers=headers)


def incidents(db: Database) -> list[tuple[str, str, str | None]]:
    with db.read() as s:
        return [(i.status, i.severity, i.dedup_key) for i in s.scalars(select(Incident).order_by(Incident.id))]


def test_create_is_accepted_with_opsgenies_answer(client: FlaskClient, genie_key: str, db: Database) -> None:
    response = post(client, "/v2/alerts", genie_key, {"message": "CPU at 100%", "alias": "cpu-web1", "priority": "P1"})
    assert response.status_code == 202
    assert response.json["result"] == "Request will be processed" and response.json["requestId"]
    assert incidents(db) == [("open", "critical", "cpu-web1")]


def test_repeat_alias_is_one_incident_and_close_by_alias_resolves_it(
    client: FlaskClient, genie_key: str, db: Database
) -> None:
    for _ in range(3):
        post(client, "/v2/alerts", genie_key, {"message": "CPU at 100%", "alias": "cpu-web1"})
    assert (
        post(client, "/v2/alerts/cpu-web1/close?identifierType=alias", genie_key, {"note": "fixed"}).status_code == 202
    )
    assert incidents(db) == [("resolved", "warning", "cpu-web1")]


def test_acknowledge_by_alias(client: FlaskClient, genie_key: str, db: Database) -> None:
    post(client, "/v2/alerts", genie_key, {"message": "Disk", "alias": "disk"})
    assert post(client, "/v2/alerts/disk/acknowledge?identifierType=alias", genie_key).status_code == 202
    assert incidents(db)[0][0] == "acknowledged"


def test_close_by_opsgenie_id_is_refused_saying_aliases_only(client: FlaskClient, genie_key: str) -> None:
    response = post(client, "/v2/alerts/abc-123/close", genie_key, {})
    assert response.status_code == 400 and "identifierType=alias" in response.json["message"]


def test_create_without_message_names_the_field(client: FlaskClient, genie_key: str) -> None:
    response = post(client, "/v2/alerts", genie_key, {"alias": "x"})
    assert response.status_code == 400 and "message" in response.json["message"]


@pytest.mark.parametrize("header", [None, "GenieKey wrong", "Bearer {key}"])
def test_missing_or_wrong_geniekey_is_refused_with_401(client: FlaskClient, genie_key: str, header: str | None) -> None:
    headers = {"Authorization": header.format(key=genie_key)} if header else {}
    answer = client.post("/v2/alerts", json={"message": "x"}, headers=headers)
    assert answer.status_code == 401 and "`switchboard integration create --kind opsgenie" in answer.json["message"]
