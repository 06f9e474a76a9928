"""JMESPath mappings: a tool's own JSON into the generic shape, validated before it is saved."""

from __future__ import annotations

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import normalise
from ingest.webhooks.mapping import apply, check

SPEC = {
    "title": "check.name",
    "description": "check.output",
    "severity": "check.level",
    "dedup_key": "join(':', [host, check.name])",
    "labels": "{host: host, team: tags.team}",
    "resolve_when": "check.state == 'OK'",
    "severity_map": {"P1": "critical", "P3": "warning"},
}
BODY = {
    "host": "db1",
    "tags": {"team": "db"},
    "check": {"name": "disk", "output": "95%", "level": "P1", "state": "BAD"},
}


def test_mapping_makes_a_generic_event_from_the_tools_json() -> None:
    event = normalise(apply(SPEC, BODY), integration="tool")
    assert (event.title, event.severity, event.dedup_key, event.action) == (
        "disk",
        "critical",
        "db1:disk",
        Action.TRIGGER,
    )
    assert dict(event.labels) == {"host": "db1", "team": "db"} and event.description == "95%"


def test_resolve_when_true_makes_a_resolve() -> None:
    body = {**BODY, "check": {**BODY["check"], "state": "OK"}}  # type: ignore[dict-item]
    assert normalise(apply(SPEC, body), integration="tool").action is Action.RESOLVE


def test_unmapped_fields_are_read_as_sent() -> None:
    event = normalise(apply({"title": "msg"}, {"msg": "hello", "severity": "high"}), integration="tool")
    assert (event.title, event.severity) == ("hello", "high")


def test_a_mapped_value_that_fails_validation_names_the_field() -> None:
    with pytest.raises(InvalidPayload, match="'severity' must be one of"):
        normalise(apply({"title": "a", "severity": "b"}, {"a": "x", "b": "apocalyptic"}), integration="tool")


def test_a_word_the_severity_map_does_not_translate_says_to_add_it_there() -> None:
    body = {**BODY, "check": {**BODY["check"], "level": "P9"}}  # type: ignore[dict-item]
    with pytest.raises(InvalidPayload, match="'severity' is 'P9', a word the mapping's severity_map does not trans"):
        apply(SPEC, body)


def test_check_lists_every_problem_at_once() -> None:
    with pytest.raises(InvalidPayload) as problems:
        check({"title": "a[", "colour": "red", "severity_map": []})
    message = str(problems.value)
    assert "title:" in message and "unknown key 'colour'" in message and "severity_map must be an object" in message


def test_check_says_where_an_expression_goes_wrong_and_where_its_syntax_is() -> None:
    with pytest.raises(InvalidPayload) as problem:
        check({"title": "check.name["})
    assert str(problem.value) == (
        "title: 'check.name[' is not a valid JMESPath expression (it ends too soon, at character 12); "
        "see https://jmespath.org for the syntax"
    )


def test_check_refuses_a_severity_map_onto_no_severity_of_ours() -> None:
    with pytest.raises(InvalidPayload, match="severity_map: 'P1' maps to 'urgent'; use one of critical, high,"):
        check({"severity_map": {"P1": "urgent", "P2": "High"}})
