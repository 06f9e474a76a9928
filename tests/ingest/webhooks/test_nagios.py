"""Nagios and Icinga notifications, in Switchboard's shape: problems, acknowledgements, recoveries, downtimes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.nagios import normalise
from tests.ingest.webhooks import load_fixture


def _notice(name: str) -> Any:
    return load_fixture("nagios", name)


def test_service_problem_becomes_a_trigger_keyed_by_host_and_service() -> None:
    [event] = normalise(_notice("service_problem.json"), integration="nagios")
    assert (event.source, event.integration, event.action, event.dedup_key) == (
        "nagios",
        "nagios",
        Action.TRIGGER,
        "nagios:web01/HTTP",
    )
    assert (event.title, event.severity) == ("HTTP on web01 is CRITICAL", "critical")
    assert dict(event.labels) == {"host": "web01", "service": "HTTP", "state": "CRITICAL", "address": "10.0.4.21"}


def test_service_problem_description_has_output_state_and_problem_id() -> None:
    [event] = normalise(_notice("service_problem.json"), integration="nagios")
    assert event.description == (
        "HTTP CRITICAL: HTTP/1.1 503 Service Unavailable - 389 bytes in 0.012 second response time\n\n"
        "State: CRITICAL\nProblem ID: 4711\nAddress: 10.0.4.21"
    )


def test_acknowledgement_acknowledges_with_author_and_comment() -> None:
    [event] = normalise(_notice("service_acknowledgement.json"), integration="nagios")
    assert (event.action, event.dedup_key) == (Action.ACKNOWLEDGE, "nagios:web01/HTTP")
    assert "Acknowledged by jdoe: php-fpm pool exhausted, restarting" in event.description.splitlines()


def test_recovery_resolves_the_problem_although_its_problem_id_differs() -> None:
    [problem] = normalise(_notice("service_problem.json"), integration="nagios")
    [event] = normalise(_notice("service_recovery.json"), integration="nagios")
    assert (event.action, event.dedup_key, event.severity) == (Action.RESOLVE, problem.dedup_key, "info")
    assert "Problem ID" not in event.description  # Nagios sends 0 on recovery


def test_host_problem_is_keyed_by_host() -> None:
    [event] = normalise(_notice("host_down.json"), integration="nagios")
    assert (event.title, event.dedup_key, event.severity, event.action) == (
        "Host db1 is DOWN",
        "nagios:db1/HOST",
        "critical",
        Action.TRIGGER,
    )
    assert dict(event.labels) == {"host": "db1", "state": "DOWN", "address": "10.0.4.30"}


def test_downtime_notice_makes_no_event() -> None:
    assert normalise(_notice("downtime_start.json"), integration="nagios") == []


def test_icinga_flapping_start_triggers_with_the_current_state() -> None:
    [event] = normalise(_notice("icinga_flapping_start.json"), integration="icinga")
    assert (event.action, event.severity, event.dedup_key) == (
        Action.TRIGGER,
        "warning",
        "nagios:mail01.example.net/smtp",
    )


@pytest.mark.parametrize(
    ("kind", "state", "action", "severity"),
    [
        ("PROBLEM", "CRITICAL", Action.TRIGGER, "critical"),
        ("PROBLEM", "WARNING", Action.TRIGGER, "warning"),
        ("PROBLEM", "UNKNOWN", Action.TRIGGER, "unknown"),
        ("PROBLEM", "UNREACHABLE", Action.TRIGGER, "unknown"),
        ("problem", "down", Action.TRIGGER, "critical"),
        ("RECOVERY", "OK", Action.RESOLVE, "info"),
        ("RECOVERY", "UP", Action.RESOLVE, "info"),
        ("CUSTOM", "CRITICAL", Action.TRIGGER, "critical"),
        ("FLAPPINGSTOP", "OK", Action.RESOLVE, "info"),
        ("FLAPPINGEND", "WARNING", Action.TRIGGER, "warning"),
        ("ACKNOWLEDGEMENT", "WARNING", Action.ACKNOWLEDGE, "warning"),
    ],
)
def test_notification_type_and_state_decide_action_and_severity(
    kind: str, state: str, action: Action, severity: str
) -> None:
    [event] = normalise({"notification_type": kind, "host": "h", "service": "s", "state": state}, integration="n")
    assert (event.action, event.severity) == (action, severity)


@pytest.mark.parametrize("kind", ["DOWNTIMESTART", "DOWNTIMEEND", "DOWNTIMECANCELLED", "DOWNTIMEREMOVED"])
def test_every_downtime_notice_makes_no_event(kind: str) -> None:
    assert normalise({"notification_type": kind, "host": "h", "state": "UP"}, integration="n") == []


def test_empty_service_means_a_host_notification() -> None:
    [event] = normalise({"notification_type": "PROBLEM", "host": "h", "service": "", "state": "DOWN"}, integration="n")
    assert event.dedup_key == "nagios:h/HOST"


def test_unknown_fields_are_tolerated() -> None:
    payload = copy.deepcopy(_notice("service_problem.json"))
    payload["long_output"] = "line 2\nline 3"
    payload["hostgroup"] = "web-servers"
    assert normalise(payload, integration="nagios")[0].dedup_key == "nagios:web01/HTTP"


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        ("PROBLEM", "body must be a JSON object"),
        ({"host": "h", "state": "DOWN"}, "notification_type is required"),
        (
            {"notification_type": "PAGE", "host": "h", "state": "DOWN"},
            "notification_type must be one of .*, not 'PAGE'",
        ),
        ({"notification_type": "PROBLEM", "state": "DOWN"}, "host is required"),
        ({"notification_type": "PROBLEM", "host": "  ", "state": "DOWN"}, "host is required"),
        ({"notification_type": "PROBLEM", "host": "h"}, "state is required"),
        ({"notification_type": "PROBLEM", "host": "h", "state": "ON FIRE"}, "state must be one of .*, not 'ON FIRE'"),
        ({"notification_type": "PROBLEM", "host": ["h"], "state": "DOWN"}, "host must be a string"),
        ({"notification_type": "PROBLEM", "host": "h", "state": "DOWN", "output": {"x": 1}}, "output must be a string"),
    ],
)
def test_invalid_payload_error_names_the_failing_field(payload: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise(payload, integration="n")
