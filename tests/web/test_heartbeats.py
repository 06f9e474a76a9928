"""Heartbeats end to end: a late one raises an incident through the rules, and the next ping resolves it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import accounts, heartbeats, triage
from hub.accounts import IntegrationKeys
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.intake_notices import NoticeSettings
from hub.maintenance import plugged_chores, upkeep
from hub.models import Heartbeat, Incident, utcnow
from ingest.heartbeat_watch import raise_late
from tests.web.conftest import IntegrationCredentials


@pytest.fixture
def watchdog(db: Database, integration: IntegrationCredentials) -> heartbeats.Beat:
    with db.transaction() as s:
        return heartbeats.add(s, integration.name, "watchdog", "5m")


def ping(client: FlaskClient, integration: IntegrationCredentials, secret: str | None = None) -> object:
    return client.post(f"/api/v1/heartbeats/{integration.name}/watchdog",
                       headers={"Authorization": f"Bearer {secret or integration.secret}"})  # fmt: skip


def incidents(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as s:
        return [(i.title, i.status, i.severity) for i in s.scalars(select(Incident).order_by(Incident.id))]


def test_a_ping_is_accepted_and_sets_the_next_due_time(
    client: FlaskClient, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    answer = ping(client, integration)
    assert answer.status_code == 202 and answer.json["heartbeat"] == "watchdog"  # type: ignore[attr-defined]
    assert answer.json["next_due_at"] > watchdog.due_at.isoformat()  # type: ignore[attr-defined]


def test_a_ping_with_a_wrong_secret_is_401_and_changes_nothing(
    client: FlaskClient, db: Database, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    assert ping(client, integration, "wrong").status_code == 401  # type: ignore[attr-defined]
    with db.read() as s:
        assert heartbeats.find(s, integration.name, "watchdog").last_ping_at == watchdog.last_ping_at


def test_a_ping_for_an_unknown_heartbeat_or_integration_is_404(
    client: FlaskClient, integration: IntegrationCredentials
) -> None:
    answer = client.post(f"/api/v1/heartbeats/{integration.name}/nope",
                         headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip
    assert answer.status_code == 404 and "switchboard heartbeat add" in answer.json["error"]  # type: ignore[index]
    assert client.post("/api/v1/heartbeats/nobody/watchdog").status_code == 404


def test_a_late_heartbeat_raises_one_incident_and_the_next_ping_resolves_it(
    client: FlaskClient, db: Database, intake: Intake, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    keys = IntegrationKeys(db)
    assert raise_late(db, intake, keys, watchdog.due_at) == 0  # due, not late
    late = watchdog.due_at + timedelta(minutes=3)
    assert raise_late(db, intake, keys, late) == 1
    assert raise_late(db, intake, keys, late + timedelta(minutes=1)) == 0  # raised once
    assert incidents(db) == [("Heartbeat watchdog from monitoring missed: no ping for 8 min", "open", "critical")]
    assert ping(client, integration).status_code == 202  # type: ignore[attr-defined]
    assert [status for _, status, _ in incidents(db)] == ["resolved"]
    with db.read() as s:
        assert heartbeats.find(s, integration.name, "watchdog").missed_at is None


def test_a_silence_that_goes_on_is_counted_hourly_and_raised_anew_if_someone_resolved_it(
    db: Database, intake: Intake, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    keys = IntegrationKeys(db)
    late = watchdog.due_at + timedelta(minutes=3)
    assert raise_late(db, intake, keys, late) == 1
    assert raise_late(db, intake, keys, late + timedelta(hours=1)) == 1  # still silent: a repeat on the open one
    with db.read() as s:
        [(number, occurrences)] = s.execute(select(Incident.id, Incident.occurrences)).all()
    assert occurrences == 2
    triage.change_status(db, number, "resolve", Actor("bob@example.com"), Mail("d@x", "http://x"))
    assert raise_late(db, intake, keys, late + timedelta(hours=1, minutes=30)) == 0  # resolved half an hour ago
    assert raise_late(db, intake, keys, late + timedelta(hours=2)) == 1
    assert [status for _, status, _ in incidents(db)] == ["resolved", "open"]  # a new incident: no reopen window


def test_a_disabled_integrations_silence_raises_nothing(
    db: Database, intake: Intake, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    with db.transaction() as s:
        accounts.configure_integration(s, integration.name, enabled=False)
    assert raise_late(db, intake, IntegrationKeys(db), utcnow() + timedelta(hours=1)) == 0
    assert incidents(db) == []


def test_the_integration_page_lists_its_heartbeats_and_how_to_ping(
    logged_in: FlaskClient, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    page = logged_in.get(f"/integrations/{integration.name}").get_data(as_text=True)
    assert (
        '<td data-label="Name">watchdog</td>' in page
        and '<td data-label="Every">5 min</td>' in page
        and "on time" in page
    )
    assert f"/api/v1/heartbeats/{integration.name}/&lt;name&gt;" in page


def test_the_dispatchers_upkeep_raises_a_late_heartbeat(
    db: Database, settings: Settings, integration: IntegrationCredentials, watchdog: heartbeats.Beat
) -> None:
    with db.transaction() as s:
        s.execute(update(Heartbeat).values(last_ping_at=utcnow() - timedelta(minutes=6)))
    chores = plugged_chores(settings, db)
    assert [getattr(c, "__name__", "") for c in chores].count("raise_late_heartbeats") == 1
    upkeep(db, NoticeSettings((settings.desk_address,), settings.base_url), chores)
    assert incidents(db) == [("Heartbeat watchdog from monitoring missed: no ping for 6 min", "open", "critical")]


def test_a_heartbeat_named_with_a_slash_is_pinged_at_its_path(
    client: FlaskClient, db: Database, integration: IntegrationCredentials
) -> None:
    with db.transaction() as s:
        heartbeats.add(s, integration.name, "backup/nightly", "1d")
    answer = client.post(f"/api/v1/heartbeats/{integration.name}/backup/nightly",
                         headers={"Authorization": f"Bearer {integration.secret}"})  # fmt: skip
    assert answer.status_code == 202 and answer.json["heartbeat"] == "backup/nightly"  # type: ignore[index]
