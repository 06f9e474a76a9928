"""Opsgenie's Alert API: create, and close or acknowledge by alias."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.opsgenie import normalise, normalise_acknowledge, normalise_close, normalise_create
from tests.ingest.webhooks import load_fixture


def _body(name: str) -> Any:
    return load_fixture("opsgenie", name)


def test_documented_create_becomes_one_event() -> None:
    [event] = normalise_create(_body("create.json"), integration="og-compat")
    assert (event.source, event.integration, event.action) == ("opsgenie", "og-compat", Action.TRIGGER)
    assert (event.title, event.dedup_key, event.severity) == (
        "An example alert message",
        "Life is too short for no alias",
        "critical",
    )


def test_create_labels_are_details_entity_and_tags() -> None:
    [event] = normalise_create(_body("create.json"), integration="og-compat")
    assert dict(event.labels) == {
        "key1": "value1",
        "key2": "value2",
        "entity": "An example entity",
        "tags": "OverwriteQuietHours,Critical",
    }


def test_create_description_has_description_details_and_tags() -> None:
    [event] = normalise_create(_body("create.json"), integration="og-compat")
    assert event.description == (
        "Every alert needs a description\n\n"
        "key1: value1\nkey2: value2\nTags: OverwriteQuietHours, Critical\nEntity: An example entity"
    )


def test_minimal_create_has_default_priority_and_no_alias() -> None:
    [event] = normalise_create(_body("create_minimal.json"), integration="og-compat")
    assert (event.title, event.severity, event.dedup_key, dict(event.labels)) == (
        "Certificate for shop.example.com expires in 7 days",
        "warning",
        None,
        {},
    )


def test_alertmanager_opsgenie_notifier_create_is_accepted() -> None:
    [event] = normalise_create(_body("alertmanager_create.json"), integration="og-compat")
    assert event.dedup_key == "6f2b7d0c1e9a4f38b5c2d7e1a0f3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7"
    assert (event.labels["namespace"], event.labels["severity"], event.labels["tags"]) == (
        "payments",
        "warning",
        "payments,kubernetes",
    )
    assert event.labels["source"] == "http://alertmanager.example.net:9093/#/alerts?receiver=opsgenie"


@pytest.mark.parametrize(
    ("priority", "severity"),
    [("P1", "critical"), ("P2", "high"), ("P3", "warning"), ("P4", "info"), ("P5", "info"), ("p2", "high")],
)
def test_priorities_map_into_hub_severities(priority: str, severity: str) -> None:
    [event] = normalise_create({"message": "m", "priority": priority}, integration="og")
    assert event.severity == severity


def test_normalise_is_create() -> None:
    assert normalise is normalise_create


def test_close_by_alias_resolves_the_alert_it_created() -> None:
    [created] = normalise_create(_body("create.json"), integration="og-compat")
    [event] = normalise_close("Life is too short for no alias", "alias", _body("close.json"), integration="og-compat")
    assert (event.action, event.dedup_key, event.title) == (
        Action.RESOLVE,
        created.dedup_key,
        "Resolve Life is too short for no alias",
    )
    assert event.description == "Source: AWS Lambda\nUser: Monitoring Script\nNote: Action executed via Alert API"


def test_acknowledge_by_alias_acknowledges() -> None:
    [event] = normalise_acknowledge("Life is too short for no alias", "alias", _body("acknowledge.json"),
                                    integration="og-compat")  # fmt: skip
    assert (event.action, event.dedup_key, event.source) == (
        Action.ACKNOWLEDGE,
        "Life is too short for no alias",
        "opsgenie",
    )


def test_alertmanager_close_with_only_a_source_is_accepted() -> None:
    alias = "6f2b7d0c1e9a4f38b5c2d7e1a0f3b6c9d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7"
    [event] = normalise_close(alias, "alias", _body("alertmanager_close.json"), integration="og-compat")
    assert (event.action, event.dedup_key) == (Action.RESOLVE, alias)


def test_close_without_a_body_is_accepted() -> None:
    [event] = normalise_close("disk-db1", "ALIAS", None, integration="og")
    assert (event.action, event.dedup_key, event.description) == (Action.RESOLVE, "disk-db1", "")


@pytest.mark.parametrize("identifier_type", ["id", "tiny", None, ""])
def test_identifier_types_other_than_alias_are_refused_saying_so(identifier_type: str | None) -> None:
    with pytest.raises(InvalidPayload, match="only by alias; send \\?identifierType=alias"):
        normalise_close("8743a1b2-11da-480e-8493-744660987bef", identifier_type, {}, integration="og")


def test_unknown_fields_are_tolerated() -> None:
    body = copy.deepcopy(_body("create.json"))
    body["extraProperties"] = {"whatever": [1]}
    assert normalise_create(body, integration="og")[0].dedup_key == "Life is too short for no alias"


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("Disk full", "body must be a JSON object"),
        ({}, "message is required"),
        ({"message": "   "}, "message is required"),
        ({"message": 5}, "message must be a string"),
        ({"message": "x" * 131}, "message must be at most 130 characters, not 131"),
        ({"message": "m", "alias": "a" * 513}, "alias must be at most 512 characters, not 513"),
        ({"message": "m", "priority": "P0"}, "priority must be one of P1, P2, P3, P4, P5, not 'P0'"),
        ({"message": "m", "priority": 1}, "priority must be a string"),
        ({"message": "m", "tags": "db,disk"}, "tags must be a list of strings"),
        ({"message": "m", "tags": ["db", 7]}, r"tags\[1\] must be a string"),
        ({"message": "m", "details": ["a"]}, "details must be an object"),
        ({"message": "m", "details": {"team": {"name": "db"}}}, r"details\.team must be a string"),
        ({"message": "m", "description": "d" * 15001}, "description must be at most 15000 characters"),
        ({"message": "m", "entity": 3}, "entity must be a string"),
    ],
)
def test_invalid_create_error_names_the_failing_field(body: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise_create(body, integration="og")


@pytest.mark.parametrize(
    ("identifier", "body", "names"),
    [
        ("  ", {}, "identifier is required"),
        ("a" * 513, {}, "identifier must be at most 512 characters"),
        ("disk-db1", [], "body must be a JSON object"),
        ("disk-db1", {"note": 12}, "note must be a string"),
    ],
)
def test_invalid_close_error_names_the_failing_field(identifier: str, body: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise_close(identifier, "alias", body, integration="og")
