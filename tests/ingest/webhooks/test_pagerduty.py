"""PagerDuty Events API v2: what a trigger, acknowledge and resolve become, and errors worded as PagerDuty's."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.pagerduty import InvalidEvent, change_errors, normalise, normalise_change, validation_errors
from tests.ingest.webhooks import load_fixture


def _event(name: str) -> Any:
    return load_fixture("pagerduty", name)


def test_documented_trigger_becomes_one_event() -> None:
    [event] = normalise(_event("trigger.json"), integration="pd-compat")
    assert (event.source, event.integration, event.action, event.dedup_key) == (
        "pagerduty",
        "pd-compat",
        Action.TRIGGER,
        "srv01/mysql",
    )
    assert (event.title, event.severity) == ("DISK at 99% on machine prod-datapipe03.example.com", "critical")


def test_trigger_labels_are_source_component_group_and_class() -> None:
    [event] = normalise(_event("trigger.json"), integration="pd-compat")
    assert dict(event.labels) == {
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
    }


def test_trigger_description_has_details_client_links_and_images() -> None:
    [event] = normalise(_event("trigger.json"), integration="pd-compat")
    lines = event.description.splitlines()
    assert lines[:3] == ["free space: 1%", "ping time: 1500ms", "load avg: 0.75"]
    assert "Timestamp: 2015-07-17T08:42:58.315+0000" in lines
    assert "Client: Sample Monitoring Service https://monitoring.service.com" in lines
    assert "Link: An example link. http://pagerduty.example.com" in lines
    assert any(line.startswith("Image: An example link with an image https://chart.googleapis.com/") for line in lines)


def test_trigger_without_dedup_key_leaves_the_key_to_the_endpoint() -> None:
    [event] = normalise(_event("trigger_without_dedup_key.json"), integration="pd-compat")
    assert (event.dedup_key, event.severity, event.action) == (None, "high", Action.TRIGGER)


def test_acknowledge_needs_only_the_dedup_key() -> None:
    [event] = normalise(_event("acknowledge.json"), integration="pd-compat")
    assert (event.action, event.dedup_key, event.title, event.severity) == (
        Action.ACKNOWLEDGE,
        "srv01/mysql",
        "Acknowledge srv01/mysql",
        "unknown",
    )


def test_resolve_finds_the_trigger_by_dedup_key() -> None:
    [trigger] = normalise(_event("trigger.json"), integration="pd-compat")
    [event] = normalise(_event("resolve.json"), integration="pd-compat")
    assert (event.action, event.dedup_key) == (Action.RESOLVE, trigger.dedup_key)


def test_alertmanager_pagerduty_notifier_payload_is_accepted() -> None:
    [event] = normalise(_event("alertmanager_trigger.json"), integration="pd-compat")
    assert event.title.startswith("[FIRING:1] NodeFilesystemAlmostOutOfSpace")
    assert (event.severity, event.labels["source"]) == ("critical", "Alertmanager")
    assert "num_firing: 1" in event.description.splitlines()


@pytest.mark.parametrize(
    ("word", "severity"), [("critical", "critical"), ("error", "high"), ("warning", "warning"), ("info", "info")]
)
def test_pagerduty_severities_map_into_hub_severities(word: str, severity: str) -> None:
    payload = copy.deepcopy(_event("trigger.json"))
    payload["payload"]["severity"] = word
    assert normalise(payload, integration="pd")[0].severity == severity


def test_unknown_fields_are_tolerated() -> None:
    payload = copy.deepcopy(_event("trigger.json"))
    payload["payload"]["custom_details"]["nested"] = {"a": [1, 2]}
    payload["contexts"] = [{"type": "link", "href": "https://old.example"}]
    [event] = normalise(payload, integration="pd")
    assert 'nested: {"a": [1, 2]}' in event.description.splitlines()


def test_resolve_ignores_its_payload_as_pagerduty_does() -> None:
    payload = {"event_action": "resolve", "dedup_key": "k", "payload": {"severity": "apocalyptic"}}
    assert normalise(payload, integration="pd")[0].action is Action.RESOLVE


def test_summary_longer_than_a_title_is_kept_whole_in_the_description() -> None:
    payload = copy.deepcopy(_event("trigger_without_dedup_key.json"))
    payload["payload"]["summary"] = "pg_dump failed: " + "x" * 1000
    [event] = normalise(payload, integration="pd")
    assert len(event.title) == 500
    assert event.description.split("\n\n")[0] == payload["payload"]["summary"]


def test_validation_errors_lists_every_problem_at_once() -> None:
    errors = validation_errors({"event_action": "trigger", "payload": {"severity": "fatal", "component": 7}})
    assert errors == [
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
        "'payload.component' must be a string",
    ]


def test_valid_event_has_no_validation_errors() -> None:
    assert validation_errors(_event("trigger.json")) == []


def test_normalise_raises_the_errors_as_an_invalid_payload() -> None:
    with pytest.raises(InvalidEvent) as caught:
        normalise({"event_action": "trigger", "payload": {"summary": "x", "source": "y"}}, integration="pd")
    assert isinstance(caught.value, InvalidPayload)
    assert caught.value.errors == ("'payload.severity' is missing or blank",)
    assert "'payload.severity' is missing or blank" in str(caught.value)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (["trigger"], "Event object format is unrecognized: the body must be a JSON object"),
        ({"dedup_key": "k"}, "'event_action' is missing or blank"),
        ({"event_action": "snooze", "dedup_key": "k"},
         "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"),
        ({"event_action": "resolve"}, "'dedup_key' is missing or blank"),
        ({"event_action": "acknowledge", "dedup_key": "  "}, "'dedup_key' is missing or blank"),
        ({"event_action": "resolve", "dedup_key": 42}, "'dedup_key' must be a string"),
        ({"event_action": "resolve", "dedup_key": "k" * 256}, "'dedup_key' is too long (maximum is 255 characters)"),
        ({"event_action": "trigger"}, "'payload' is missing or blank"),
        ({"event_action": "trigger", "payload": "disk full"}, "'payload' must be an object"),
        ({"event_action": "trigger", "payload": {"summary": ["x"], "source": "s", "severity": "info"}},
         "'payload.summary' must be a string"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "info"}, "links": {}},
         "'links' must be a list"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "info"},
          "links": [{"text": "no href"}]}, "'links[0].href' is missing or blank"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "info"},
          "links": [{"href": ["https://a.example"]}]}, "'links[0].href' must be a string"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "info"},
          "images": [{"src": "https://i.example/a.png", "alt": 3}]}, "'images[0].alt' must be a string"),
        ({"event_action": "trigger", "payload": {"summary": "x", "source": "s", "severity": "info"}, "client": 1},
         "'client' must be a string"),
    ],
)  # fmt: skip
def test_each_problem_is_named_as_pagerduty_names_it(payload: Any, error: str) -> None:
    assert validation_errors(payload) == [error]


# -- change events (`/v2/change/enqueue`) --------------------------------------------------------------------------


def test_documented_change_event_becomes_a_successful_deploy() -> None:
    deploy = normalise_change(_event("change_event.json"))
    assert (deploy.title, deploy.status) == ("Build Success: Increase snapshot create timeout to 30 seconds", "success")
    assert deploy.service == "acme-build-pipeline-tool-default-i-9999"  # no custom_details.service: the source
    assert deploy.finished_at == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert deploy.link == "https://acme.pagerduty.dev/build/2"


def test_change_event_custom_details_name_the_service_version_environment_and_author() -> None:
    event = _event("change_event.json")
    event["payload"]["custom_details"] = {"service": "checkout", "version": 142, "environment": "production",
                                          "author": "ann"}  # fmt: skip
    deploy = normalise_change(event)
    assert (deploy.service, deploy.version, deploy.environment, deploy.deployed_by) == (
        "checkout", "142", "production", "ann"
    )  # fmt: skip


def test_change_event_errors_are_listed_in_pagerdutys_words() -> None:
    event = {"payload": {"summary": " ", "timestamp": 5, "custom_details": []}, "links": [{"text": "x"}]}
    assert change_errors(event) == [
        "'payload.summary' is missing or blank",
        "'payload.timestamp' must be a string",
        "'payload.custom_details' must be an object",
        "'links[0].href' is missing or blank",
    ]
    with pytest.raises(InvalidEvent):
        normalise_change(event)


def test_change_event_must_name_a_service_somehow() -> None:
    assert change_errors({"payload": {"summary": "Deployed"}}) == [
        "'payload.custom_details.service' (or 'payload.source') must name the service that changed"
    ]


def test_change_event_with_an_unreadable_timestamp_is_still_recorded_without_it() -> None:
    event = _event("change_event.json")
    event["payload"]["timestamp"] = "yesterday"
    assert normalise_change(event).finished_at is None
