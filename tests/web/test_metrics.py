"""`/metrics`: Prometheus text with what came in, what became of it and what is owed, read from the database."""

from __future__ import annotations

from datetime import timedelta

import yaml
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from hub import mailboxes, retention
from hub.config import Settings
from hub.db import Database
from hub.models import Event, utcnow
from hub.telemetry import request_id
from tests.conftest import KEYS, make_settings
from tests.docs import fenced
from tests.web.conftest import IntegrationCredentials
from tests.web.helpers import post_event
from web import create_app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_count_events_incidents_and_notifications(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    for key in ("a", "a", "b"):
        post_event(client, integration.name, integration.secret, {"title": "Disk", "dedup_key": key})
    post_event(client, integration.name, integration.secret, {"status": "resolve", "dedup_key": "b"})
    post_event(client, integration.name, integration.secret, {"severity": "bad"})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    found = samples(response.get_data(as_text=True))
    assert found[("switchboard_events_total", (("source", "generic"), ("status", "processed")))] == 3
    assert found[("switchboard_events_total", (("source", "generic"), ("status", "deduplicated")))] == 1
    assert found[("switchboard_events_total", (("source", "generic"), ("status", "unprocessable")))] == 1
    assert found[("switchboard_incidents", (("status", "open"),))] == 1
    assert found[("switchboard_incidents_opened_total", ())] == 2
    assert found[("switchboard_incidents_resolved_total", ())] == 1
    assert "Set-Cookie" not in response.headers


def test_events_deleted_by_retention_are_still_counted_as_received(
    client: FlaskClient, integration: IntegrationCredentials, db: Database
) -> None:
    for _ in range(3):
        post_event(client, integration.name, integration.secret, {"title": "Disk", "dedup_key": "a"})
    with db.transaction() as session:
        session.execute(update(Event).values(received_at=utcnow() - timedelta(days=100)))
    assert retention.prune_events(db, timedelta(days=90)) == 2
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert found[("switchboard_events_total", (("source", "generic"), ("status", "deduplicated")))] == 2
    assert found[("switchboard_events_total", (("source", "generic"), ("status", "processed")))] == 1


def test_metrics_token_when_configured_is_required(settings: Settings, db: Database) -> None:
    client = create_app(make_settings(settings.home, metrics_token="s3cret"), db=db).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def ingest_count(client: FlaskClient, source: str) -> float:
    found = samples(client.get("/metrics").get_data(as_text=True))
    return found.get(("switchboard_ingest_seconds_count", (("source", source),)), 0.0)


def test_ingest_latency_is_observed_for_each_accepted_request_only(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    before = ingest_count(client, integration.name)
    for key in ("a", "b"):
        assert (
            post_event(client, integration.name, integration.secret, {"title": "Disk", "dedup_key": key}).status_code
            == 202
        )
    assert post_event(client, integration.name, "wrong", {"title": "Disk"}).status_code == 401
    assert ingest_count(client, integration.name) == before + 2


def test_every_response_carries_a_request_id_and_a_sane_given_one_is_kept(client: FlaskClient) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 16
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42.a"}).headers["X-Request-ID"] == "lb-42.a"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>x</script>"}).headers["X-Request-ID"]
    assert hostile != "<script>x</script>" and len(hostile) == 16


def test_the_request_id_is_forgotten_once_the_request_is_over(client: FlaskClient) -> None:
    """Else what a worker logs between requests would carry the last request's id."""
    client.get("/healthz", headers={"X-Request-ID": "lb-43"})
    assert request_id.get() == "-"


def test_each_enabled_mailbox_has_a_gauge_that_is_1_while_it_cannot_be_read(client: FlaskClient, db: Database) -> None:
    began = utcnow() - timedelta(minutes=10)
    with db.transaction() as session:
        for name in ("billing", "support"):
            added = mailboxes.add_mailbox(session, name=name, host="imap.example.com", username=f"{name}@example.com",
                                          secret="env:PASSWORD", keys=KEYS)  # fmt: skip
        mailboxes.record_error(session, added.id, "login failed", at=began)
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert found[("switchboard_mailbox_failing", (("mailbox", "billing"),))] == 0
    assert found[("switchboard_mailbox_failing", (("mailbox", "support"),))] == 1
    assert found[("switchboard_mailbox_failing_since_seconds", (("mailbox", "support"),))] == began.timestamp()
    assert ("switchboard_mailbox_failing_since_seconds", (("mailbox", "billing"),)) not in found


def test_the_readmes_alert_on_a_failing_mailbox_fires_on_the_gauge_served(client: FlaskClient, db: Database) -> None:
    [block] = fenced("README.md", "Running the parts separately", "yaml")
    [rule] = yaml.safe_load(block)
    name, _, value = rule["expr"].partition(" == ")
    with db.transaction() as session:
        added = mailboxes.add_mailbox(session, name="support", host="imap.example.com", username="s@example.com",
                                      secret="env:PASSWORD", keys=KEYS)  # fmt: skip
        mailboxes.record_error(session, added.id, "login failed")
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert found[(name, (("mailbox", "support"),))] == float(value)
