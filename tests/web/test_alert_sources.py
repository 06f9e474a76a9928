"""Every integration kind posts its own tool's payload to /api/v1/events/<name>, end to end into incidents."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hub import accounts
from hub.config import Settings
from hub.db import Database
from hub.domain import ALERT_KINDS
from hub.models import Event, Incident, OutboxMessage
from tests.conftest import make_settings
from tests.ingest.webhooks import load_fixture
from tests.web.helpers import count
from web import create_app


@pytest.fixture
def make_integration(db: Database) -> Callable[[str], str]:
    def make(kind: str) -> str:
        with db.transaction() as session:
            return accounts.create_integration(session, name=kind, kind=kind)[1]

    return make


def post(client: FlaskClient, kind: str, secret: str, payload: Any, **headers: str) -> Any:
    return client.post(
        f"/api/v1/events/{kind}", data=json.dumps(payload), content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", **headers},
    )  # fmt: skip


def incidents(db: Database) -> list[tuple[str, str, int]]:
    with db.read() as s:
        return [(i.source, i.status, i.occurrences) for i in s.scalars(select(Incident).order_by(Incident.id))]


def test_alertmanager_batch_opens_one_incident_per_alert_and_a_later_resolve_resolves(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    secret = make_integration("alertmanager")
    batch = load_fixture("alertmanager", "firing_and_resolved.json")
    response = post(client, "alertmanager", secret, batch)
    assert response.status_code == 202 and len(response.json["events"]) == len(batch["alerts"])
    firing = [a for a in batch["alerts"] if a["status"] == "firing"]
    assert [s for s in incidents(db) if s[1] == "open"] == [("alertmanager", "open", 1)] * len(firing)
    resolved = {**batch, "alerts": [{**a, "status": "resolved"} for a in firing]}
    post(client, "alertmanager", secret, resolved)
    assert all(status == "resolved" for _, status, _ in incidents(db))


def storm_batch(size: int) -> dict[str, Any]:
    """An Alertmanager notification of distinct alerts whose JSON is at least `size` bytes."""
    batch = load_fixture("alertmanager", "firing_and_resolved.json")
    alert = next(a for a in batch["alerts"] if a["status"] == "firing")
    count_needed = size // len(json.dumps(alert)) + 1
    alerts = [{**alert, "fingerprint": f"{n:016x}", "labels": {**alert["labels"], "instance": f"node{n}"}}
              for n in range(count_needed)]  # fmt: skip
    return {**batch, "alerts": alerts}


@pytest.mark.parametrize("chunked", [False, True])
def test_an_alert_storm_over_one_events_limit_is_taken_whole_within_the_batch_limit(
    settings: Settings, db: Database, make_integration: Callable[[str], str], chunked: bool
) -> None:
    roomy = make_settings(settings.home, max_event_bytes=4096, max_batch_bytes=64 * 1024)
    client = create_app(roomy, db=db).test_client()
    batch = storm_batch(8192)
    body = json.dumps(batch).encode()
    assert 4096 < len(body) < 64 * 1024
    response = client.post("/api/v1/events/alertmanager", input_stream=io.BytesIO(body),
                           headers={"Authorization": f"Bearer {make_integration('alertmanager')}",
                                    "Content-Type": "application/json",
                                    **({"Transfer-Encoding": "chunked"} if chunked else
                                       {"Content-Length": str(len(body))})},
                           environ_overrides={"wsgi.input_terminated": True} if chunked else {})  # fmt: skip
    assert response.status_code == 202 and len(response.json["events"]) == len(batch["alerts"])


def test_a_storm_over_the_batch_limit_is_a_413_naming_the_setting_to_raise(
    settings: Settings, db: Database, make_integration: Callable[[str], str]
) -> None:
    roomy = make_settings(settings.home, max_event_bytes=4096, max_batch_bytes=16 * 1024)
    client = create_app(roomy, db=db).test_client()
    response = post(client, "alertmanager", make_integration("alertmanager"), storm_batch(20 * 1024))
    assert response.status_code == 413 and "SWITCHBOARD_MAX_BATCH_BYTES" in response.json["error"]
    assert count(db, Event) == 0


def test_a_generic_body_keeps_one_events_limit_beside_a_larger_batch_limit(
    settings: Settings, db: Database, make_integration: Callable[[str], str]
) -> None:
    roomy = make_settings(settings.home, max_event_bytes=4096, max_batch_bytes=64 * 1024)
    client = create_app(roomy, db=db).test_client()
    response = post(client, "generic", make_integration("generic"), {"title": "Disk full", "description": "x" * 5000})
    assert response.status_code == 413 and "SWITCHBOARD_MAX_EVENT_BYTES" in response.json["error"]


def test_each_alert_of_a_batch_is_stored_with_its_own_part_of_the_body(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    batch = load_fixture("alertmanager", "firing_and_resolved.json")
    post(client, "alertmanager", make_integration("alertmanager"), batch)
    with db.read() as s:
        stored = [json.loads(e.raw) for e in s.scalars(select(Event).order_by(Event.id))]
    # stored in the order of their dedup keys (a batch takes its keys in one order: hub/intake.py)
    assert sorted(a["fingerprint"] for a in stored) == sorted(a["fingerprint"] for a in batch["alerts"])
    assert all(a in batch["alerts"] for a in stored)


def test_zabbix_problem_then_resolved_closes_the_incident(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    secret = make_integration("zabbix")
    assert post(client, "zabbix", secret, load_fixture("zabbix", "problem.json")).status_code == 202
    assert post(client, "zabbix", secret, load_fixture("zabbix", "resolved.json")).status_code == 202
    assert incidents(db) == [("zabbix", "resolved", 1)]


def test_nagios_problem_then_recovery_closes_the_incident(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    secret = make_integration("nagios")
    post(client, "nagios", secret, load_fixture("nagios", "service_problem.json"))
    post(client, "nagios", secret, load_fixture("nagios", "service_recovery.json"))
    assert incidents(db) == [("nagios", "resolved", 1)]


def test_nagios_downtime_notice_is_kept_as_ignored(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    response = post(client, "nagios", make_integration("nagios"), load_fixture("nagios", "downtime_start.json"))
    assert response.status_code == 202 and response.json["events"] == []
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["ignored"]
    assert incidents(db) == []


def grafana_headers(body: bytes, key: str, timestamp: int) -> dict[str, str]:
    signed = hmac.new(key.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": signed, "X-Grafana-Alerting-Timestamp": str(timestamp)}


def test_grafana_with_a_valid_signature_is_accepted(
    client: FlaskClient, make_integration: Callable[[str], str]
) -> None:
    secret = make_integration("grafana")
    payload = load_fixture("grafana", "firing.json")
    body = json.dumps(payload).encode()
    headers = grafana_headers(body, hashlib.sha256(secret.encode()).hexdigest(), int(time.time()))
    response = client.post("/api/v1/events/grafana", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}", **headers})  # fmt: skip
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("problem", "said"),
    [("wrong key", "the SHA-256 of the integration secret"), ("stale", r"36\d\d seconds from this server's clock")],
)
def test_grafana_with_a_bad_or_stale_signature_is_refused_saying_which_and_what_to_do(
    client: FlaskClient, make_integration: Callable[[str], str], problem: str, said: str
) -> None:
    secret = make_integration("grafana")
    body = json.dumps(load_fixture("grafana", "firing.json")).encode()
    key = "not-the-key" if problem == "wrong key" else hashlib.sha256(secret.encode()).hexdigest()
    when = int(time.time()) - (3600 if problem == "stale" else 0)
    headers = {"Authorization": f"Bearer {secret}", **grafana_headers(body, key, when)}
    response = client.post("/api/v1/events/grafana", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 401 and re.search(said, response.json["error"])  # type: ignore[index]


def test_payload_of_another_kind_is_refused_naming_the_problem_and_kept(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    response = post(client, "alertmanager", make_integration("alertmanager"), {"title": "generic shape"})
    assert response.status_code == 400 and "alerts" in response.json["error"]
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["unprocessable"]


def test_generic_integration_with_a_mapping_takes_the_tools_own_json(
    client: FlaskClient, db: Database, integration_with_mapping: str
) -> None:
    body = {"alert": {"text": "Queue backlog", "id": "q-1", "prio": "P1"}}
    response = post(client, "mapped", integration_with_mapping, body)
    assert response.status_code == 202, response.json
    with db.read() as s:
        incident = s.scalars(select(Incident)).one()
    assert (incident.title, incident.severity, incident.dedup_key) == ("Queue backlog", "critical", "q-1")


def test_a_body_the_mapping_cannot_be_evaluated_on_is_refused_with_400_naming_the_field_and_kept(
    client: FlaskClient, db: Database
) -> None:
    """Found by fuzzing: a number compared with the string a tool sent answered 500, and the body was lost."""
    with db.transaction() as session:
        secret = accounts.create_integration(session, name="mapped")[1]
        accounts.configure_integration(session, "mapped", mapping={"title": "check", "resolve_when": "level < `2`"})
    response = post(client, "mapped", secret, {"check": "disk", "level": "warning"})
    assert response.status_code == 400 and "resolve_when expression failed" in response.json["error"]
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["unprocessable"]
    assert incidents(db) == []


@pytest.fixture
def integration_with_mapping(db: Database) -> str:
    spec = {
        "title": "alert.text",
        "dedup_key": "alert.id",
        "severity": "alert.prio",
        "severity_map": {"P1": "critical"},
    }
    with db.transaction() as session:
        secret = accounts.create_integration(session, name="mapped")[1]
        accounts.configure_integration(session, "mapped", mapping=spec)
    return secret


#: The worst bodies the fuzzers tried, and what the 400 must name.
BROKEN_BODIES = {
    "cut short": (b'{"alerts": [', "is not valid JSON: Expecting value at line 1 column 13"),
    "NaN": (b'{"alerts": NaN}', "NaN is JavaScript's, not a JSON number"),
    "1e999": (b'{"alerts": 1e999}', "1e999 is too large for a number"),
    "65 deep": (b"[" * 65 + b"]" * 65, "nests objects and arrays more than 64 levels deep"),
    "not UTF-8": (b'{"title": "\xff"}', "is not UTF-8 encoded JSON"),
}


@pytest.mark.parametrize("body, names", BROKEN_BODIES.values(), ids=BROKEN_BODIES)
@pytest.mark.parametrize("kind", ALERT_KINDS)
def test_a_broken_body_is_refused_with_400_naming_the_problem_and_kept_whole_without_an_incident(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str], kind: str, body: bytes, names: str
) -> None:
    response = client.post(f"/api/v1/events/{kind}", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {make_integration(kind)}"})  # fmt: skip
    assert response.status_code == 400 and names in response.json["error"]
    with db.read() as s:
        assert [(e.status, e.raw) for e in s.scalars(select(Event))] == [("unprocessable", body)]
    assert incidents(db) == [] and count(db, OutboxMessage) == 0


def test_a_batch_with_one_broken_alert_stores_none_of_its_alerts(
    client: FlaskClient, db: Database, make_integration: Callable[[str], str]
) -> None:
    batch = load_fixture("alertmanager", "firing_and_resolved.json")
    batch["alerts"][-1]["labels"] = ["not", "an", "object"]
    response = post(client, "alertmanager", make_integration("alertmanager"), batch)
    assert response.status_code == 400 and f"alerts[{len(batch['alerts']) - 1}].labels" in response.json["error"]
    with db.read() as s:
        assert s.scalars(select(Event.status)).all() == ["unprocessable"]
    assert incidents(db) == []
