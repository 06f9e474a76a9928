"""Whatever YAML an admin imports as rules (`switchboard rules import`, the rules page), it is read or refused with
a reason (RuleError): no other exception escapes.

Two kinds of input: documents shaped like a rules file with any value anywhere (conditions nested any way, every
field and operator, regexes that backtrack, templates that loop or reach for Python's insides, zones and matrices
that do not exist); and text put together from YAML's own syntax (type tags, anchors and merges, flow brackets,
directives, escapes), which is how a hand-edited file goes wrong. Below the properties, each file they found
breaking the import, shrunk, kept as the behaviour it fixed.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rules import rules_file
from rules.actions import ACTION_KEYS
from rules.conditions import FIELDS, OPERATORS
from rules.errors import RuleError
from tests.fuzzing import fuzz

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
    ["", "\x00", "\u202e", "\r\nX: 1", 10**100, 2**64, -0.0, [], {}, "x" * 600, "(a+)+$", "[", "(?P<x>", "\\",
     "{{ labels.team }}", "{% for x in y %}{% endfor %}", "{{ 'x' * 99999999 }}", "{{ ''.__class__ }}", "critical",
     "db", "09:00", "25:99", "mon", "Europe/Berlin", "Nowhere/X", "3x3", "5x5"]
)  # fmt: skip
FIELD_NAMES = st.sampled_from([*(f for f in FIELDS if "<" not in f), "labels.team", "labels.", "nope", ""])
TESTS = st.fixed_dictionaries(
    {"field": FIELD_NAMES | SCALARS, "op": st.sampled_from(list(OPERATORS)) | SCALARS},
    optional={"value": SCALARS | st.lists(SCALARS, max_size=3)},
)
CONDITIONS = st.recursive(
    TESTS | SCALARS,
    lambda inner: st.fixed_dictionaries(
        {}, optional={"all": st.lists(inner, max_size=3) | inner, "any": st.lists(inner, max_size=3), "not": inner}
    ),
    max_leaves=6,
)
SETS = st.dictionaries(
    st.sampled_from(list(ACTION_KEYS)) | st.text(max_size=5), SCALARS | st.lists(SCALARS, max_size=3), max_size=4
)
RULES = st.fixed_dictionaries(
    {}, optional={"name": SCALARS, "when": CONDITIONS, "set": SETS | SCALARS, "stop": SCALARS, "enabled": SCALARS}
)
MATRICES = SCALARS | st.lists(st.lists(SCALARS | st.integers(0, 6), max_size=5), max_size=5)
DOCUMENTS = st.fixed_dictionaries(
    {}, optional={"rules": st.lists(RULES, max_size=3) | SCALARS, "timezone": SCALARS, "priority_matrix": MATRICES}
)
#: YAML's syntax, and the rules file's words, as a hand-edited file mixes them.
SYNTAX = ["rules:", "\n  - ", "name: x", "when: ", "set: ", "{", "}", "[", "]", "&a ", "*a", "<<: *a", "? ", ": ",
          "- ", "\t", "\n", "'", '"', "\\u0000", "\x00", "~", "--- ", "...", "%YAML 1.1\n", "!x ", "#", "|", ">",
          "!!python/object:os.system", "!!binary ===", "!!int 9x", "!!float x", "!!bool x", "!!timestamp x",
          "!!set ", "!!omap ", "!!pairs ", "!!str ", "!!map ", "!!seq ", "1e999", ".nan", "0x1F", "2026-01-01",
          "field: title", "op: regex", "value: ", "(a+)+$", "{{x}}", "timezone: ", "priority_matrix: "]  # fmt: skip


def read_or_refuse(text: str) -> None:
    try:
        rules_file.parse_file(text)
    except RuleError as exc:
        assert str(exc), "a refusal must say why"


@fuzz(200)
@given(DOCUMENTS)
def test_any_document_shaped_like_a_rules_file_is_read_or_refused_with_a_reason(document: dict[str, object]) -> None:
    read_or_refuse(yaml.safe_dump(document, allow_unicode=True))


@fuzz(400)
@given(st.lists(st.sampled_from(SYNTAX) | st.text(max_size=5), max_size=30))
def test_any_text_of_yaml_syntax_is_read_or_refused_with_a_reason(parts: list[str]) -> None:
    read_or_refuse("".join(parts))


@pytest.mark.parametrize(
    "text", ["rules: !!int 9x", "rules: []\ntimezone: !!float x", "rules: []\ntimezone: !!timestamp x"]
)
def test_a_value_tagged_with_a_type_it_is_not_is_refused_saying_to_leave_the_tag_out(text: str) -> None:
    """PyYAML builds a tagged scalar without checking it: AttributeError and ValueError escaped."""
    with pytest.raises(RuleError, match=r"not valid YAML: a value tagged with a type .* leave the tag out"):
        rules_file.parse_file(text)


def test_a_file_tagged_as_a_set_is_refused_as_no_mapping() -> None:
    """`!!set` composes as a mapping and loads as a set, which has no `rules` to read: AttributeError escaped."""
    with pytest.raises(RuleError, match="line 1: the file must be a mapping with a `rules:` list"):
        rules_file.parse_file("!!set {rules}")


@pytest.mark.parametrize("zone", ["America", "x" * 600], ids=["a folder of the zone database", "too long"])
def test_a_timezone_zoneinfo_cannot_open_as_a_file_is_refused_as_unknown(zone: str) -> None:
    """zoneinfo opens the file the name spells: OSError (is a directory, file name too long) escaped."""
    with pytest.raises(RuleError, match=r"line 2: timezone: unknown time zone"):
        rules_file.parse_file(f"rules: []\ntimezone: {zone}\n")
