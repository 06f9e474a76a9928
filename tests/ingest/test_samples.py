"""Payloads pasted into the rules workbench, and stored events picked there, made into the events rules see."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.accounts import create_integration
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake, Raw
from ingest.errors import InvalidPayload
from ingest.replay import stored_event
from ingest.samples import SAMPLE_INTEGRATION, sample_event

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent / "webhooks" / "fixtures"


def test_the_test_shape_reads_the_fields_rules_test_and_its_own_time() -> None:
    text = json.dumps({"title": "Disk full", "severity": "CRITICAL", "labels": {"team": "db", "n": 3},
                       "sender": "ann@example.com", "desk_address": "it@example.com",
                       "time": "2026-03-01T08:00:00"})  # fmt: skip
    event, at = sample_event("event", text, NOW)
    assert (event.title, event.severity, dict(event.labels)) == ("Disk full", "critical", {"team": "db", "n": "3"})
    assert (event.requester, event.desk_address) == ("ann@example.com", "it@example.com")
    assert at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_an_integration_payload_is_read_by_that_kinds_adapter() -> None:
    text = (FIXTURES / "alertmanager" / "firing_and_resolved.json").read_text()
    event, at = sample_event("alertmanager", text, NOW)
    assert event.source == "alertmanager" and event.integration == SAMPLE_INTEGRATION and at == NOW


@pytest.mark.parametrize(
    ("shape", "text", "says"),
    [
        ("event", "{not json", "not valid JSON"),
        ("event", "[1, 2]", "one JSON object"),
        ("event", '{"severity": "loud"}', "severity must be one of"),
        ("event", '{"labels": ["db"]}', "labels must be an object"),
        ("event", '{"time": "yesterday"}', "ISO 8601"),
        ("carrier-pigeon", "{}", "unknown payload shape"),
    ],
)
def test_a_bad_payload_is_refused_with_what_to_fix(shape: str, text: str, says: str) -> None:
    with pytest.raises(InvalidPayload, match=says):
        sample_event(shape, text, NOW)


def test_a_stored_webhook_event_is_read_back_by_id(intake: Intake, db: Database) -> None:
    with db.transaction() as s:
        integration_id = create_integration(s, kind="generic", name="prom")[0].id
    body = json.dumps({"title": "Disk full on db1", "labels": {"team": "db"}}).encode()
    intake.record(Raw("generic", "application/json", body, integration_id),
                  InboundEvent(source="generic", title="Disk full on db1", integration="prom"))  # fmt: skip
    with db.read() as s:
        found = stored_event(s, 1)
        missing = stored_event(s, 999)
    assert found is not None and missing is None
    assert (found.event.title, dict(found.event.labels), found.event.integration) == (
        "Disk full on db1", {"team": "db"}, "prom"
    )  # fmt: skip
    assert found.event_id == 1
