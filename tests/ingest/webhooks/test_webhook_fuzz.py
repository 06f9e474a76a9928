"""Whatever JSON a sender posts, each normaliser makes events or says why not (a 400): no other exception escapes.

Four kinds of input: any JSON value at all; each tool's documented fixtures with one part anywhere in them
replaced by any JSON value (a number where a string was, a list where an object was, a missing field), which is
how a tool's payload goes wrong in practice; and request bodies, read as the endpoint reads them, holding what
JSON parsers disagree about (NaN, 1e999, numbers of thousands of digits, nesting past the limit, lone surrogates);
and a generic integration's mapping (JMESPath, written by an admin) drawn from the functions and operators that
jmespath applies to values of the wrong type, on any body.
Every value is drawn with hostile leaves among the ordinary ones: NUL, right-to-left marks, empty keys, line
breaks, template and log injections, huge and tiny numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain import InboundEvent
from ingest.errors import InvalidPayload
from ingest.webhooks import mapping, opsgenie, pagerduty
from ingest.webhooks.generic import MAX_DEPTH, parse_json
from ingest.webhooks.kinds import NORMALISERS, normalise, normalise_deploy
from tests.fuzzing import fuzz
from tests.ingest.test_mapping import BODY as MAPPED_BODY
from tests.ingest.test_mapping import SPEC as MAPPING

FIXTURES = Path(__file__).parent / "fixtures"

#: Strings and numbers that broke some parser somewhere (only what JSON itself can carry: lone surrogates come in
#: through the body, where the endpoint's reader mends them).
HOSTILE = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\u202egnp.exe", "\ufeff", "\r\nX-Injected: 1", "NaN", "Infinity", "-1e999", "null",
     "{{7*7}}", "${jndi:ldap://x/a}", "%s%n", "<script>alert(1)</script>", "x" * 10_000, "\U0001f525" * 50,
     10**100, -(2**63) - 1, 2**64, 1e308, -0.0, 5e-324, True, 0, -1, [], {}, {"": ""}]
)  # fmt: skip
KEYS = st.text(max_size=12) | st.sampled_from(["", "\x00", "labels", "status", "title", "alerts", "__proto__"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40) | HOSTILE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


def close(payload: Any, *, integration: str) -> list[InboundEvent]:
    return opsgenie.normalise_close("web-1", "alias", payload, integration=integration)


def acknowledge(payload: Any, *, integration: str) -> list[InboundEvent]:
    return opsgenie.normalise_acknowledge("web-1", "alias", payload, integration=integration)


def change(payload: Any, *, integration: str) -> list[Any]:
    return [pagerduty.normalise_change(payload)]


def mapped(payload: Any, *, integration: str) -> list[InboundEvent]:
    """A generic integration with a JMESPath mapping (a tool's own JSON, mapped into the generic shape)."""
    return normalise("generic", payload, integration=integration, mapping_spec=MAPPING)


def deploy(payload: Any, *, integration: str) -> list[Any]:
    return [normalise_deploy(payload, integration=integration)]


#: Every normaliser a webhook body reaches, by the fixtures folder that holds its sender's documented shapes.
NORMALISERS_BY_FIXTURES = {
    **{kind: NORMALISERS[kind] for kind in ("alertmanager", "grafana", "pagerduty", "zabbix", "nagios")},
    "opsgenie": NORMALISERS["opsgenie"],
    "opsgenie-close": close,
    "opsgenie-acknowledge": acknowledge,
    "pagerduty-change": change,
    "deploy": deploy,
    "generic": NORMALISERS["generic"],
    "generic-mapped": mapped,
}


#: The generic shape as docs/integrations.md documents it (it has no fixtures folder: it is our own format).
GENERIC = [
    {"title": "Disk full on db1", "description": "/var at 97%", "severity": "critical", "dedup_key": "disk-db1",
     "status": "trigger", "labels": {"team": "db", "host": "db1"}},
    {"dedup_key": "disk-db1", "status": "resolve"},
]  # fmt: skip


def fixtures_of(name: str) -> list[Any]:
    if name == "generic":
        return GENERIC
    if name == "generic-mapped":
        return [MAPPED_BODY, {**MAPPED_BODY, "check": {**MAPPED_BODY["check"], "state": "OK"}}]
    return [json.loads(path.read_text()) for path in sorted((FIXTURES / name.split("-")[0]).glob("*.json"))]


def normalises_or_refuses(name: str, payload: Any) -> None:
    """Either refused with a reason or events whose fields have the types the intake relies on."""
    events_or_refusal(lambda: NORMALISERS_BY_FIXTURES[name](payload, integration="fuzz"))


def events_or_refusal(normalise_it: Callable[[], list[Any]]) -> None:
    try:
        events = normalise_it()
    except InvalidPayload as exc:
        assert str(exc), "a refusal must say why"
        return
    for event in events:
        if not isinstance(event, InboundEvent):
            continue  # a deploy or a change: checked by its own tests
        assert isinstance(event.title, str) and event.title.strip(), event
        assert isinstance(event.description, str)
        assert event.dedup_key is None or isinstance(event.dedup_key, str)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in event.labels.items()), event.labels
        texts = [event.title, event.description, event.dedup_key or "", *event.labels, *event.labels.values()]
        assert all(utf8(text) for text in texts), "text that no database or page can hold"


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def paths_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the value itself included), as a path of keys and indexes."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths_in(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths_in(inner, (*path, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    return [replaced(item, rest, new) if index == head else item for index, item in enumerate(value)]


def dropped(value: Any, path: tuple[Any, ...]) -> Any:
    """The value without the field at `path` (for a path into a list, the list without that element)."""
    if len(path) == 1:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != path[0]}
        return [item for index, item in enumerate(value) if index != path[0]]
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: dropped(value[head], rest)}
    return [dropped(item, rest) if index == head else item for index, item in enumerate(value)]


@pytest.mark.parametrize("name", NORMALISERS_BY_FIXTURES)
@fuzz(300)
@given(payload=JSON)
def test_any_json_is_normalised_or_refused_with_a_reason(name: str, payload: Any) -> None:
    normalises_or_refuses(name, payload)


@pytest.mark.parametrize("name", NORMALISERS_BY_FIXTURES)
@fuzz(400)
@given(data=st.data())
def test_a_documented_payload_with_one_part_changed_or_missing_is_normalised_or_refused(
    name: str, data: st.DataObject
) -> None:
    payload = data.draw(st.sampled_from(fixtures_of(name)), label="fixture")
    path = data.draw(st.sampled_from(paths_in(payload)), label="path")
    if path and data.draw(st.booleans(), label="drop it"):
        normalises_or_refuses(name, dropped(payload, path))
    else:
        normalises_or_refuses(name, replaced(payload, path, data.draw(JSON, label="new value")))


#: Tokens some JSON readers take and JSON does not have, put where a value was (the marker string is replaced in
#: the written body), and lone surrogates, escaped or raw, as a cut-off emoji leaves them.
TOKENS = st.sampled_from(["NaN", "-Infinity", "1e999", "1" * 5000, "0." + "0" * 400 + "1", '"\\ud83d"',
                          '"\ud83d"', '"\\udc00x"', "[" * 200 + "]" * 200])  # fmt: skip
MARKER = "@@replaced-by-a-token@@"


def nest(value: Any, depth: int, kind: str) -> Any:
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


@pytest.mark.parametrize("name", NORMALISERS_BY_FIXTURES)
@fuzz(150)
@given(data=st.data())
def test_any_body_is_read_and_normalised_or_refused_with_a_reason(name: str, data: st.DataObject) -> None:
    payload = data.draw(st.sampled_from(fixtures_of(name)) | JSON, label="payload")
    path = data.draw(st.sampled_from(paths_in(payload)), label="path")
    choice = data.draw(st.sampled_from(["token", "nested", "as is"]), label="change")
    if choice == "nested":
        depth = data.draw(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3), label="depth")
        payload = replaced(payload, path, nest("x", depth - len(path), data.draw(st.sampled_from(["list", "dict"]))))
    elif choice == "token":
        payload = replaced(payload, path, MARKER)
    body = json.dumps(payload, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    body = body.replace(json.dumps(MARKER), data.draw(TOKENS, label="token"))
    try:
        value = parse_json(body.encode("utf-8", "surrogatepass"))
    except InvalidPayload as exc:
        assert str(exc), "a refusal must say why"
        return
    normalises_or_refuses(name, value)


#: What a mapping's expressions are made of: paths into the body, literals jmespath reads as numbers past a float or
#: strings `to_number` makes one of, and functions and operators given values of any type.
ATOMS = st.sampled_from(["@", "host", "check.name", "alerts[0]", "labels", "*", "[*]", "`[]`", "`{}`", "`null`",
                         "`1e308`", "`-1e308`", "`99999999999999999999`", "'1e999'", "'nan'", "'-inf'",
                         "'x'"])  # fmt: skip
UNARY = ["abs", "avg", "ceil", "floor", "keys", "length", "max", "min", "not_null", "reverse", "sort", "sum",
         "to_array", "to_number", "to_string", "type", "values"]  # fmt: skip
BINARY = ["join", "merge", "contains", "starts_with", "ends_with", "map", "max_by", "min_by", "sort_by"]
OPERATORS = ["==", "<", ">=", "&&", "||", "|"]


def expressions() -> st.SearchStrategy[str]:
    return st.recursive(
        ATOMS,
        lambda inner: (
            st.builds(lambda f, a: f"{f}({a})", st.sampled_from(UNARY), inner)
            | st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(BINARY), inner, inner)
            | st.builds(lambda f, a, b: f"{f}({a}, &{b})", st.sampled_from(["sort_by", "max_by", "map"]), inner, inner)
            | st.builds(lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from(OPERATORS), inner)
            | st.builds(lambda a, b: f"{{a: {a}, b: [{b}]}}", inner, inner)
        ),
        max_leaves=8,
    )


@fuzz(300)
@given(spec=st.dictionaries(st.sampled_from([*mapping.FIELDS, "resolve_when"]), expressions(), max_size=3),
       payload=st.sampled_from(fixtures_of("generic-mapped")) | JSON)  # fmt: skip
def test_any_mapping_on_any_body_is_normalised_or_refused_with_a_reason(spec: dict[str, str], payload: Any) -> None:
    try:
        mapping.check(spec)
    except InvalidPayload:
        return
    events_or_refusal(lambda: normalise("generic", payload, integration="fuzz", mapping_spec=spec))
