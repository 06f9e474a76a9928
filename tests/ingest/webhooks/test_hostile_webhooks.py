"""Webhook bodies and mappings the fuzzers (test_webhook_fuzz.py) found breaking a normaliser, shrunk, each kept as
the behaviour it fixed: a refusal naming what to fix (the endpoint's 400, the body kept as unprocessable)."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.errors import InvalidPayload
from ingest.webhooks import mapping
from ingest.webhooks.kinds import normalise


def mapped(spec: dict[str, Any], body: Any) -> None:
    normalise("generic", body, integration="tool", mapping_spec=mapping.check(spec))


def test_a_resolve_when_comparing_a_number_with_the_string_a_sender_sent_is_refused_naming_the_field() -> None:
    """jmespath orders a string against a number with Python's `<`, which raises TypeError."""
    with pytest.raises(InvalidPayload, match="the mapping's resolve_when expression failed on this body"):
        mapped({"title": "check", "resolve_when": "level < `2`"}, {"check": "disk", "level": "warning"})


def test_a_number_past_any_float_rounded_by_the_mapping_is_refused_naming_the_field() -> None:
    """`to_number('1e999')` is infinity, and `ceil` of infinity raises OverflowError."""
    with pytest.raises(InvalidPayload, match="the mapping's title expression failed on this body"):
        mapped({"title": "to_string(ceil(to_number(value)))"}, {"value": "1e999"})


def test_a_list_where_the_mapping_merges_an_object_is_refused_naming_the_field() -> None:
    """jmespath checks the type of `merge`'s first argument only: a list after it raised ValueError."""
    with pytest.raises(InvalidPayload, match="the mapping's labels expression failed on this body"):
        mapped({"title": "host", "labels": "merge(`{}`, tags)"}, {"host": "db1", "tags": ["db1"]})


def test_an_expression_nested_thousands_of_brackets_deep_is_refused_before_it_is_saved() -> None:
    """jmespath's parser recurses once per bracket: RecursionError, which the CLI let through as a traceback."""
    with pytest.raises(InvalidPayload, match="title: brackets nested too deep to read"):
        mapping.check({"title": "(" * 5000 + "host" + ")" * 5000})
