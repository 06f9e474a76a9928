"""POST /api/v1/events/<integration>: the generic webhook, from size check to the committed 202."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from hub import accounts
from hub.config import Settings
from hub.db import Database
from hub.migrate import upgrade
from hub.models import Event, Incident, Integration
from tests.conftest import make_settings, migrated_database
from tests.servers import SmallDisk
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import count, post_event
from web import create_app

ALERT = {"title": "Disk full on db1", "severity": "critical", "dedup_key": "disk-db1", "labels": {"team": "db"}}


def test_event_opens_incident_and_answers_202_with_its_ref(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, ALERT)
    assert response.status_code == 202
    body = response.json
    assert body is not None
    assert body["status"] == "accepted" and body["created"] is True
    assert body["incident"].startswith("INC-") and body["incident_status"] == "open" and body["occurrences"] == 1
    assert isinstance(body["event_id"], int)


def test_event_is_stored_as_received_with_its_integration(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    raw = b'{"title": "Disk full on db1",   "dedup_key": "disk-db1"}'
    response = client.post(
        f"/api/v1/events/{integration.name}",
        data=raw,
        headers={"Authorization": f"Bearer {integration.secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 202
    with db.read() as session:
        event = session.get(Event, response.json["event_id"])  # type: ignore[index]
        integration_id = session.scalar(select(Integration.id).where(Integration.name == integration.name))
    assert event is not None
    assert (event.raw, event.source, event.integration_id) == (raw, "generic", integration_id)
    assert event.content_type == "application/json"


def test_repeated_dedup_key_counts_occurrences_on_the_same_incident(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    first = post_event(client, integration.name, integration.secret, ALERT).json
    second = post_event(client, integration.name, integration.secret, ALERT).json
    assert first is not None and second is not None
    assert second["incident"] == first["incident"]
    assert (second["occurrences"], second["created"]) == (2, False)
    assert count(db, Incident) == 1


def test_resolve_event_resolves_the_open_incident(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    opened = post_event(client, integration.name, integration.secret, ALERT).json
    response = post_event(client, integration.name, integration.secret, {"dedup_key": "disk-db1", "status": "resolve"})
    assert response.status_code == 202
    assert response.json is not None and opened is not None
    assert (response.json["incident"], response.json["incident_status"]) == (opened["incident"], "resolved")
    with db.read() as session:
        assert session.scalars(select(Incident.status)).all() == ["resolved"]


def test_resolve_for_unknown_dedup_key_is_accepted_without_an_incident(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, {"dedup_key": "never", "status": "resolve"})
    assert response.status_code == 202
    assert response.json is not None and response.json["incident"] is None


def test_wrong_secret_is_refused_with_401_and_bearer_challenge(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, "sbi_not-the-secret", ALERT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert f'Make a new secret" on /integrations/{integration.name}' in response.json["error"]  # type: ignore[index]
    assert count(db, Event) == 0


def test_another_integrations_secret_is_refused_with_401(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    """Each tool may speak only as itself: the secret of one integration opens no other's door."""
    with db.transaction() as session:
        _, other_secret = accounts.create_integration(session, name="backups")
    assert post_event(client, integration.name, other_secret, ALERT).status_code == 401
    assert count(db, Event) == 0


def test_an_api_token_is_not_an_integration_secret(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as session:
        token = accounts.create_token(session, name="root", role="admin")
    assert post_event(client, integration.name, token, ALERT).status_code == 401
    assert count(db, Event) == 0


def test_missing_authorization_is_refused_with_401(client: FlaskClient, integration: IntegrationCredentials) -> None:
    response = post_event(client, integration.name, None, ALERT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unknown_integration_is_404_naming_it(client: FlaskClient, integration: IntegrationCredentials) -> None:
    unknown = post_event(client, "no-such-integration", integration.secret, ALERT)
    assert unknown.status_code == 404 and "no-such-integration" in unknown.json["error"]  # type: ignore[index]


def test_wrong_secret_is_refused_with_401(client: FlaskClient, integration: IntegrationCredentials) -> None:
    assert post_event(client, integration.name, "sbi_wrong", ALERT).status_code == 401


def test_disabled_integration_takes_no_events(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as session:
        session.scalars(select(Integration)).one().enabled = False
    assert post_event(client, integration.name, integration.secret, ALERT).status_code == 404


def test_secret_may_come_in_the_url_for_tools_that_cannot_set_headers(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = client.post(f"/api/v1/events/{integration.name}?secret={integration.secret}", json=ALERT)
    assert response.status_code == 202


def test_other_authorization_scheme_is_refused_with_401(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = client.post(
        f"/api/v1/events/{integration.name}", json=ALERT, headers={"Authorization": f"Basic {integration.secret}"}
    )
    assert response.status_code == 401


def test_malformed_json_is_refused_with_400_naming_the_position(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = client.post(
        f"/api/v1/events/{integration.name}",
        data=b'{"title": "Disk full",\n "severity": }',
        headers={"Authorization": f"Bearer {integration.secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "line 2 column" in response.json["error"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("kind", "path", "scheme", "kept"),
    [("generic", "/api/v1/events/deep", "Bearer", ["unprocessable"]),
     ("alertmanager", "/api/v1/events/deep", "Bearer", ["unprocessable"]),
     ("opsgenie", "/v2/alerts", "GenieKey", ["unprocessable"]),
     ("pagerduty", "/v2/enqueue", None, [])],  # its routing key is inside the body: no integration to keep it under
)  # fmt: skip
def test_a_body_nested_thousands_deep_is_refused_with_400(
    client: FlaskClient, db: Database, kind: str, path: str, scheme: str | None, kept: list[str]
) -> None:
    """Python's JSON parser recurses: unchecked, such a body was a RecursionError and a 500 the sender retried."""
    with db.transaction() as session:
        secret = accounts.create_integration(session, name="deep", kind=kind)[1]
    deep = "[" * 50_000 + "]" * 50_000
    body = f'{{"routing_key": "{secret}", "event_action": "trigger", "payload": {deep}}}'
    headers = {"Authorization": f"{scheme} {secret}"} if scheme else {}
    response = client.post(path, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "more than 64 levels deep" in response.get_data(as_text=True)
    with db.read() as session:
        assert [e.status for e in session.scalars(select(Event))] == kept


@pytest.mark.parametrize("value", ["NaN", "1" * 5000], ids=["NaN", "5000 digits"])
def test_a_number_json_does_not_allow_is_refused_with_400(
    client: FlaskClient, integration: IntegrationCredentials, value: str
) -> None:
    """NaN made an incident titled "nan"; 5,000 digits were a ValueError and a 500."""
    response = client.post(f"/api/v1/events/{integration.name}", data=f'{{"title": {value}}}',
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip
    assert response.status_code == 400 and "is not valid JSON" in response.json["error"]  # type: ignore[index]


def test_rejected_payload_is_kept_as_unprocessable_event_with_the_reason(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, {"severity": "critical"})
    assert response.status_code == 400
    with db.read() as session:
        event = session.scalars(select(Event)).one()
    assert (event.status, event.error) == ("unprocessable", response.json["error"])  # type: ignore[index]
    assert event.raw == b'{"severity": "critical"}' and event.incident_id is None
    assert count(db, Incident) == 0


def test_missing_title_is_refused_with_400_naming_title(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, {"severity": "critical"})
    assert response.status_code == 400
    assert "'title'" in response.json["error"]  # type: ignore[index]


def test_unknown_severity_is_refused_with_400_naming_severity(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, {"title": "x", "severity": "apocalyptic"})
    assert response.status_code == 400
    assert "'severity'" in response.json["error"]  # type: ignore[index]


def test_json_that_is_not_an_object_is_refused_with_400(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = post_event(client, integration.name, integration.secret, ["Disk full"])
    assert response.status_code == 400
    assert "JSON object" in response.json["error"]  # type: ignore[index]


def test_body_over_the_limit_is_refused_with_413_json(
    client: FlaskClient, settings: Settings, db: Database, integration: IntegrationCredentials
) -> None:
    big = {"title": "Disk full", "description": "x" * settings.max_event_bytes}
    response = post_event(client, integration.name, integration.secret, big)
    assert response.status_code == 413
    assert response.is_json and str(settings.max_event_bytes) in response.json["error"]  # type: ignore[index]
    assert count(db, Event) == 0


def test_body_over_the_limit_is_refused_before_authentication(client: FlaskClient, settings: Settings) -> None:
    response = client.post(
        "/api/v1/events/anything", data=b"x" * (settings.max_event_bytes + 1), content_type="application/json"
    )
    assert response.status_code == 413


def test_chunked_body_over_the_limit_is_refused_with_413_json(
    settings: Settings, db: Database, integration: IntegrationCredentials
) -> None:
    small = make_settings(settings.home, max_event_bytes=64)
    client = create_app(small, db=db).test_client()
    body = b'{"title": "' + b"x" * 200 + b'"}'
    response = client.post(
        f"/api/v1/events/{integration.name}",
        input_stream=io.BytesIO(body),
        # No Content-Length (the test client adds one unless the body is chunked): the size is known only once
        # read. Werkzeug's stream stops at the limit without refusing the rest, which once answered the cut-off
        # JSON as malformed. gunicorn sets wsgi.input_terminated for a chunked body.
        headers={"Authorization": f"Bearer {integration.secret}", "Content-Type": "application/json",
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )  # fmt: skip
    assert response.status_code == 413
    assert "larger than the limit of 64 bytes" in response.json["error"]  # type: ignore[index]
    assert count(db, Event) == 0


def test_locked_database_answers_503_with_retry_after_and_stores_nothing(tmp_path: Path, migrated_sqlite: Path) -> None:
    settings = make_settings(tmp_path / "locked", db_timeout=0.2)
    db = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    with db.transaction() as session:
        _, secret = accounts.create_integration(session, name="monitoring")
    client = create_app(settings, db=db).test_client()

    # A second connection holds SQLite's write lock, as a long transaction in another process would.
    holder = sqlite3.connect(settings.home / "switchboard.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = post_event(client, "monitoring", secret, ALERT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.is_json and "retry" in response.json["error"]  # type: ignore[index]
    assert count(db, Event) == 0 and count(db, Incident) == 0
    db.dispose()


def test_half_an_emoji_is_stored_as_a_replacement_character_not_a_500(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    """A lone surrogate (what a sender leaves when it cuts an emoji in two) cannot be bound by the database driver;
    refusing it would lose the alert, so it is kept with U+FFFD where the broken character was."""
    body = b'{"title": "Disk full \\ud83d", "dedup_key": "disk-\\udc00"}'
    response = client.post(f"/api/v1/events/{integration.name}", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip
    assert response.status_code == 202
    with db.read() as session:
        incident = session.scalars(select(Incident)).one()
    assert (incident.title, incident.dedup_key) == ("Disk full \ufffd", "disk-\ufffd")


def test_an_unforeseen_storage_error_answers_503_so_the_sender_retries(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    """A constraint no code path expected (a race lost, a bug): nothing is stored, and the sender is told to retry
    rather than given a 500 that some tools drop the alert on."""
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON events "
                             "BEGIN SELECT RAISE(ABORT, 'internal detail'); END")  # fmt: skip
    response = post_event(client, integration.name, integration.secret, ALERT)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.is_json and "retry" in response.json["error"]  # type: ignore[index]
    assert "internal detail" not in response.get_data(as_text=True)
    assert count(db, Incident) == 0
    with db.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    assert post_event(client, integration.name, integration.secret, ALERT).status_code == 202


def test_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    (tmp_path / "not-a-file").mkdir()
    settings = make_settings(tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'not-a-file'}")
    client = create_app(settings).test_client()
    response = post_event(client, "monitoring", "sbi_whatever", ALERT)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_event_response_sets_no_cookie(client: FlaskClient, integration: IntegrationCredentials) -> None:
    response = post_event(client, integration.name, integration.secret, ALERT)
    assert response.status_code == 202
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_get_on_the_events_endpoint_answers_405_in_json(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    response = client.get(f"/api/v1/events/{integration.name}")
    assert response.status_code == 405
    assert response.is_json and "POST" in response.headers["Allow"]


def test_integration_with_a_reopen_window_reopens_instead_of_opening_anew(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    from hub.accounts import configure_integration

    with db.transaction() as session:
        configure_integration(session, integration.name, reopen_window=600)
    first = post_event(client, integration.name, integration.secret, ALERT).json
    post_event(client, integration.name, integration.secret, {**ALERT, "status": "resolve"})
    again = post_event(client, integration.name, integration.secret, ALERT).json
    assert again["incident"] == first["incident"] and again["incident_status"] == "open"  # type: ignore[index]


def test_a_full_disk_answers_503_stores_nothing_half_and_the_retry_lands(small_disk: SmallDisk) -> None:
    settings = make_settings(small_disk.path / "var", database_url=f"sqlite:///{small_disk.path / 'switchboard.db'}")
    db = Database.connect(settings.database_url, timeout=settings.db_timeout)
    upgrade(db.engine)
    with db.transaction() as session:
        _, secret = accounts.create_integration(session, name="monitoring")
    client = create_app(settings, db=db).test_client()
    small_disk.fill()

    def alert(n: int) -> dict[str, object]:  # large enough that the log must grow within a few events
        return {"title": f"Disk full on db{n}", "dedup_key": f"disk-{n}", "description": "x" * 20_000}

    accepted = 0
    while (response := post_event(client, "monitoring", secret, alert(accepted))).status_code == 202:
        accepted += 1
        assert accepted < 200, "the disk never filled up"
    assert response.status_code == 503 and response.headers["Retry-After"] == "5", response.get_data(as_text=True)
    assert count(db, Event) == accepted and count(db, Incident) == accepted  # the refused one left nothing

    small_disk.free()
    assert post_event(client, "monitoring", secret, alert(accepted)).status_code == 202  # the sender's retry
    assert count(db, Event) == accepted + 1
    with db.read() as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    db.dispose()
