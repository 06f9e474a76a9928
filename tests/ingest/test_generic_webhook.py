"""The generic JSON webhook's normaliser: what it accepts, and errors that name the problem."""

from __future__ import annotations

import pytest

from hub.domain import Action
from ingest.errors import InvalidPayload
from ingest.webhooks.generic import normalise, parse_json


def test_full_payload_becomes_event() -> None:
    event = normalise(
        {"title": "Disk full", "description": "95%", "severity": "CRITICAL", "dedup_key": "disk-db1",
         "status": "trigger", "labels": {"team": "db", "shard": 3}},
        integration="prom",
    )  # fmt: skip
    assert (event.title, event.severity, event.dedup_key, event.action) == (
        "Disk full",
        "critical",
        "disk-db1",
        Action.TRIGGER,
    )
    assert dict(event.labels) == {"team": "db", "shard": "3"} and event.integration == "prom"


def test_resolve_needs_only_a_dedup_key() -> None:
    event = normalise({"status": "resolve", "dedup_key": "disk-db1"}, integration="prom")
    assert event.action is Action.RESOLVE and event.dedup_key == "disk-db1"


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        ([1, 2], "JSON object"),
        ({}, "'title' is required"),
        ({"title": "x", "severity": "apocalyptic"}, "'severity' must be one of"),
        ({"title": "x", "status": "maybe"}, "'status' must be"),
        ({"status": "resolve"}, "'dedup_key' is required"),
        ({"title": {"nested": 1}}, "'title' must be a string"),
        ({"title": "x", "labels": ["a"]}, "'labels' must be an object"),
    ],
)
def test_invalid_payload_error_names_the_problem(payload: object, names: str) -> None:
    with pytest.raises(InvalidPayload, match=names):
        normalise(payload, integration="prom")


def test_malformed_json_error_gives_the_position() -> None:
    with pytest.raises(InvalidPayload, match=r"line 1 column 10"):
        parse_json(b'{"title" "x"}')


def test_non_utf8_body_is_rejected() -> None:
    with pytest.raises(InvalidPayload, match="UTF-8"):
        parse_json(b'{"title": "\xff"}')


def test_a_body_nested_deeper_than_python_can_parse_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidPayload, match="more than 64 levels deep"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)


def test_nesting_is_accepted_to_the_limit_and_refused_past_it() -> None:
    def nested(levels: int) -> bytes:
        return b'{"a": ' * (levels - 1) + b"[1]" + b"}" * (levels - 1)

    assert parse_json(nested(64)) is not None
    with pytest.raises(InvalidPayload, match="more than 64 levels deep"):
        parse_json(nested(65))


def test_brackets_inside_strings_are_not_nesting() -> None:
    assert parse_json(b'{"title": "' + b"[{" * 500 + b'"}') == {"title": "[{" * 500}


@pytest.mark.parametrize(
    ("body", "why"),
    [(b'{"title": NaN}', "NaN is JavaScript's, not a JSON number"),
     (b'{"title": "t", "labels": {"a": -Infinity}}', "-Infinity is JavaScript's"),
     (b'{"title": 1e400}', "1e400 is too large for a number"),
     (b'{"title": ' + b"1" * 5000 + b"}", "a number has more than 100 digits")],
)  # fmt: skip
def test_numbers_json_does_not_have_are_refused_with_the_reason(body: bytes, why: str) -> None:
    with pytest.raises(InvalidPayload, match=why):
        parse_json(body)


def test_ordinary_numbers_are_read_as_numbers() -> None:
    assert parse_json(b'{"a": -12, "b": 22.5, "c": 1e3, "d": ' + b"9" * 100 + b"}") == {
        "a": -12, "b": 22.5, "c": 1000.0, "d": int("9" * 100)
    }  # fmt: skip


def test_a_lone_surrogate_becomes_a_replacement_character_and_pairs_stay_whole() -> None:
    """JSON lets a string hold half an emoji (a sender cut it in two); neither database can store that."""
    body = rb'{"title": "Disk \ud83d", "labels": {"x\uDC00": "ok \ud83d\ude00"}, "n": ["\udbff"]}'
    assert parse_json(body) == {"title": "Disk \ufffd", "labels": {"x\ufffd": "ok \U0001f600"}, "n": ["\ufffd"]}


def test_a_lone_surrogate_sent_as_bytes_is_mended_too() -> None:
    assert parse_json('{"title": "Disk \ud800 full"}'.encode("utf-8", "surrogatepass")) == {"title": "Disk \ufffd full"}
