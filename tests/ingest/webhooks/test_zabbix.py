"""Zabbix's webhook media type, in Switchboard's shape: problem, acknowledgement and recovery of one event id."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.zabbix import normalise
from tests.ingest.webhooks import load_fixture


def _notice(name: str) -> Any:
    return load_fixture("zabbix", name)


def test_problem_becomes_a_trigger_keyed_by_the_event_id() -> None:
    [event] = normalise(_notice("problem.json"), integration="zabbix-prod")
    assert (event.source, event.integration, event.action, event.dedup_key) == (
        "zabbix",
        "zabbix-prod",
        Action.TRIGGER,
        "zabbix:2751",
    )
    assert (event.title, event.severity) == (
        "web01.example.net: Linux: High CPU utilization (over 90% for 5m)",
        "warning",
    )


def test_tags_and_host_become_labels_with_repeated_tags_joined() -> None:
    [event] = normalise(_notice("problem.json"), integration="zabbix-prod")
    assert dict(event.labels) == {
        "class": "os",
        "component": "cpu",
        "host": "web01.example.net",
        "scope": "performance",
        "service": "shop,api",
    }


def test_problem_description_has_message_opdata_and_link() -> None:
    [event] = normalise(_notice("problem.json"), integration="zabbix-prod")
    assert event.description.startswith("Problem started at 10:41:07 on 2024.05.14\n")
    assert event.description.endswith(
        "Operational data: Current utilization: 97.3 %\nHost: web01.example.net\nSeverity: Warning\n"
        "Tags: class:os, component:cpu, scope:performance, service:shop,api\n"
        "Zabbix: https://zabbix.example.net/tr_events.php?triggerid=23401&eventid=2751"
    )


def test_acknowledgement_acknowledges_the_same_problem() -> None:
    [event] = normalise(_notice("acknowledged.json"), integration="zabbix-prod")
    assert (event.action, event.dedup_key, event.severity) == (Action.ACKNOWLEDGE, "zabbix:2751", "warning")


def test_recovery_resolves_the_problem_by_its_original_event_id() -> None:
    [problem] = normalise(_notice("problem.json"), integration="zabbix-prod")
    [event] = normalise(_notice("resolved.json"), integration="zabbix-prod")
    assert (event.action, event.dedup_key) == (Action.RESOLVE, problem.dedup_key)


def test_numeric_event_id_severity_text_and_tags_object_are_accepted() -> None:
    [event] = normalise(_notice("disaster_tags_object.json"), integration="zabbix-prod")
    assert (event.dedup_key, event.severity, event.title) == (
        "zabbix:98213",
        "critical",
        "db1.example.net: MySQL: Service is down",
    )
    assert dict(event.labels) == {
        "component": "database",
        "host": "db1.example.net",
        "scope": "availability",
        "team": "dba",
    }


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(0, "unknown"), (1, "info"), (2, "warning"), (3, "warning"), (4, "high"), (5, "critical"),
     ("Not classified", "unknown"), ("information", "info"), ("AVERAGE", "warning"), ("Disaster", "critical"),
     (None, "unknown")],
)  # fmt: skip
def test_zabbix_severities_map_into_hub_severities(severity: object, expected: str) -> None:
    payload = {"event_id": "1", "name": "n", "status": "PROBLEM", "severity": severity}
    assert normalise(payload, integration="z")[0].severity == expected


@pytest.mark.parametrize("field", ["event_id", "severity"])
def test_a_superscript_digit_is_refused_not_a_crash(field: str) -> None:
    """`²` is a digit to str.isdigit() but not to int(): it was a ValueError (500) as a severity."""
    payload = {"event_id": "1", "name": "n", "status": "PROBLEM", "severity": "4", field: "²"}
    with pytest.raises(InvalidPayload, match=field):
        normalise(payload, integration="z")


def test_title_is_the_name_alone_when_it_already_names_the_host() -> None:
    payload = {"event_id": "7", "name": "db1.example.net is unreachable for 5 minutes", "status": "PROBLEM",
               "host": "db1.example.net"}  # fmt: skip
    assert normalise(payload, integration="z")[0].title == "db1.example.net is unreachable for 5 minutes"


def test_recovery_without_a_name_still_resolves() -> None:
    [event] = normalise({"event_id": "2751", "status": "resolved"}, integration="z")
    assert (event.action, event.title) == (Action.RESOLVE, "Resolve zabbix:2751")


def test_ok_is_taken_as_resolved() -> None:
    assert normalise({"event_id": "2751", "status": "OK"}, integration="z")[0].action is Action.RESOLVE


def test_unknown_fields_are_tolerated() -> None:
    payload = copy.deepcopy(_notice("resolved.json"))
    payload["trigger_id"] = "23401"
    payload["event_date"] = "2024.05.14"
    assert normalise(payload, integration="z")[0].dedup_key == "zabbix:2751"


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        ("PROBLEM", "body must be a JSON object"),
        ({"status": "PROBLEM", "name": "n"}, r"event_id must be Zabbix's numeric event id, \{EVENT.ID\}, not missing"),
        ({"event_id": "{EVENT.ID}", "status": "PROBLEM", "name": "n"}, "event_id must be .* not '{EVENT.ID}'"),
        ({"event_id": True, "status": "PROBLEM", "name": "n"}, "event_id must be"),
        ({"event_id": "1", "name": "n"}, "status must be PROBLEM, ACKNOWLEDGED or RESOLVED, not missing"),
        ({"event_id": "1", "name": "n", "status": "UPDATE"}, "status must be .*, not 'UPDATE'"),
        ({"event_id": "1", "status": "PROBLEM"}, "name is required for a PROBLEM"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "severity": 6}, "severity must be 0..5 or one of"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "severity": "Severe"}, "severity must be 0..5"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "tags": "scope:db"}, "tags must be a list"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "tags": [{"value": "db"}]},
         r"tags\[0\] must be an object"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "tags": [{"tag": "a", "value": ["b"]}]},
         r"tags\[0\]\.value must be a string"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "tags": {"scope": {"x": 1}}},
         r"tags\.scope must be a string"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "host": 12}, "host must be a string"),
        ({"event_id": "1", "name": "n", "status": "PROBLEM", "url": ["u"]}, "url must be a string"),
    ],
)  # fmt: skip
def test_invalid_payload_error_names_the_failing_field(payload: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise(payload, integration="z")
