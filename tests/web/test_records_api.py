"""The read API for stored events and integrations: what came in, from where, and never a secret."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from hub import accounts
from hub.db import Database
from hub.models import Event
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import post_event


def token(db: Database, role: str = "agent") -> dict[str, str]:
    with db.transaction() as session:
        return {"Authorization": f"Bearer {accounts.create_token(session, name=f'r-{role}', role=role)}"}


def test_events_are_listed_newest_first_and_filtered(
    client: FlaskClient, integration: IntegrationCredentials, raise_incident: Callable[..., str], db: Database
) -> None:
    raise_incident("Disk full")
    post_event(client, integration.name, integration.secret, {"severity": "bad"})  # kept as unprocessable
    headers = token(db)
    listed = client.get("/api/v1/events", headers=headers).json
    assert [e["status"] for e in listed] == ["unprocessable", "processed"]  # type: ignore[union-attr]
    bad = client.get("/api/v1/events?status=unprocessable", headers=headers).json
    assert len(bad) == 1 and "'title' is required" in bad[0]["error"]  # type: ignore[index,arg-type]
    assert client.get("/api/v1/events?integration=nope", headers=headers).status_code == 404


def test_events_past_the_first_page_are_reached_and_counted(client: FlaskClient, db: Database) -> None:
    with db.transaction() as session:
        session.add_all(Event(source="generic", content_type="application/json", raw=b"{}") for _ in range(3))
    second = client.get("/api/v1/events?limit=2&page=2", headers=token(db))
    assert [e["id"] for e in second.json or []] == [1] and second.headers["X-Total-Count"] == "3"


def test_one_event_carries_its_body_and_trace(
    client: FlaskClient, raise_incident: Callable[..., str], db: Database
) -> None:
    raise_incident("Disk full on db1")
    headers = token(db)
    event = client.get("/api/v1/events/1", headers=headers).json
    assert event is not None and "Disk full on db1" in event["body"] and event["incident"] == "INC-1"
    assert client.get("/api/v1/events/999", headers=headers).status_code == 404


def test_integrations_never_show_a_secret(
    client: FlaskClient, integration: IntegrationCredentials, raise_incident: Callable[..., str], db: Database
) -> None:
    raise_incident()
    [found] = client.get("/api/v1/integrations", headers=token(db)).json  # type: ignore[misc]
    assert found["name"] == integration.name and found["last_event_at"] is not None
    assert integration.secret not in str(found) and "secret" not in " ".join(found)


def test_viewers_cannot_read_payloads(client: FlaskClient, db: Database) -> None:
    assert client.get("/api/v1/events", headers=token(db, "viewer")).status_code == 403
