"""Conditions: every field rules can test, every operator, nested all/any/not, and errors that say where."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from hub.domain import Action, InboundEvent, RuleBook, RuleSpec
from rules import Engine
from rules.conditions import compile_condition
from rules.engine import compile_rule, decide, explain
from rules.errors import RuleError

EVENT = InboundEvent(
    source="email",
    title="Printer on fire",
    description="Third floor, near the kitchen.",
    severity="high",
    dedup_key="printer-3",
    labels=MappingProxyType({"team": "facilities", "service": "printing", "disk_pct": "93.5"}),
    integration="desk",
    requester="ann@example.com",
    desk_address="helpdesk@example.com",
)
SATURDAY_EVENING = datetime(2026, 11, 28, 19, 45, tzinfo=UTC)


def holds(when: Any, event: InboundEvent = EVENT, now: datetime | None = SATURDAY_EVENING) -> bool:
    spec = RuleSpec(id=1, name="r", when=when, actions=MappingProxyType({"category": "hit"}))
    return decide(event, [compile_rule(spec)], now).category == "hit"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "email"),
        ("integration", "desk"),
        ("desk_address", "helpdesk@example.com"),
        ("sender", "ann@example.com"),
        ("subject", "Printer on fire"),
        ("body", "Third floor, near the kitchen."),
        ("severity", "high"),
        ("service", "printing"),
        ("labels.team", "facilities"),
        ("dedup_key", "printer-3"),
        ("action", "trigger"),
        ("weekday", "sat"),
        ("hour", "19"),
        ("time_of_day", "19:45"),
    ],
)
def test_every_field_can_be_tested(field: str, value: str) -> None:
    assert holds({"field": field, "op": "equals", "value": value})


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("equals", "PRINTER ON FIRE", True),
        ("not_equals", "Printer on fire", False),
        ("contains", "on fire", True),
        ("starts_with", "printer", True),
        ("ends_with", "fire", True),
        ("in", ["Printer on fire", "other"], True),
        ("regex", r"^printer\s+on", True),
        ("exists", None, True),
    ],
)
def test_text_operator(op: str, value: Any, expected: bool) -> None:
    when = {"field": "subject", "op": op} | ({"value": value} if value is not None else {})
    assert holds(when) is expected


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("gt", 90, True), ("ge", "93.5", True), ("lt", 90, False), ("le", 93.5, True)],
)
def test_numeric_operator_compares_numbers_not_text(op: str, value: Any, expected: bool) -> None:
    assert holds({"field": "labels.disk_pct", "op": op, "value": value}) is expected


def test_numeric_operator_on_a_value_that_is_no_number_does_not_match() -> None:
    assert not holds({"field": "subject", "op": "gt", "value": 1})


def test_time_of_day_compares_as_a_time() -> None:
    out_of_hours = {"any": [{"field": "time_of_day", "op": "ge", "value": "18:00"},
                            {"field": "time_of_day", "op": "lt", "value": "08:00"}]}  # fmt: skip
    assert holds(out_of_hours)
    assert not holds(out_of_hours, now=datetime(2026, 11, 28, 9, 30, tzinfo=UTC))


def test_weekday_in_a_list_matches_weekends() -> None:
    assert holds({"field": "weekday", "op": "in", "value": ["sat", "sun"]})


def test_time_fields_are_read_in_the_rule_books_time_zone() -> None:
    spec = RuleSpec(id=1, name="r", when={"field": "hour", "op": "equals", "value": 20},
                    actions=MappingProxyType({"category": "hit"}))  # fmt: skip
    book = RuleBook(1, (spec,), settings=MappingProxyType({"timezone": "Europe/Berlin"}))
    assert Engine()(EVENT, book, SATURDAY_EVENING).category == "hit"  # 19:45 UTC is 20:45 in Berlin


def test_without_a_clock_time_fields_read_as_missing() -> None:
    assert not holds({"field": "weekday", "op": "exists"}, now=None)


def test_all_needs_every_condition() -> None:
    assert not holds({"all": [{"field": "severity", "value": "high"}, {"field": "source", "value": "webhook"}]})


def test_any_needs_one_condition() -> None:
    assert holds({"any": [{"field": "severity", "value": "low"}, {"field": "source", "value": "email"}]})


def test_not_inverts_a_condition() -> None:
    assert holds({"not": {"field": "labels.team", "value": "db"}})


def test_groups_nest() -> None:
    not_from_org = {"not": {"field": "sender", "op": "ends_with", "value": "@example.org"}}
    team_or_sender = {"any": [{"field": "labels.team", "value": "db"}, not_from_org]}
    assert holds({"all": [{"field": "severity", "op": "in", "value": ["critical", "high"]}, team_or_sender]})


def test_an_empty_all_always_holds() -> None:
    assert holds({"all": []})


def test_a_missing_label_is_not_there_for_exists_but_equals_nothing_for_not_equals() -> None:
    assert not holds({"field": "labels.nope", "op": "exists"})
    assert holds({"field": "labels.nope", "op": "not_equals", "value": "x"})


def test_matched_conditions_in_an_any_name_only_the_branch_that_held() -> None:
    spec = RuleSpec(id=1, name="r", actions=MappingProxyType({"category": "c"}),
                    when={"any": [{"field": "source", "value": "webhook"},
                                  {"field": "labels.team", "value": "facilities"}]})  # fmt: skip
    decision = decide(EVENT, [compile_rule(spec)])
    assert decision.trace[0].conditions == ("labels.team equals 'facilities' (got 'facilities')",)


def test_explain_says_why_a_rule_did_not_match() -> None:
    spec = RuleSpec(
        id=1, name="r", when={"field": "severity", "value": "critical"}, actions=MappingProxyType({"category": "c"})
    )
    (check,) = explain(EVENT, [compile_rule(spec)])
    assert not check.matched and check.conditions == ("severity equals 'critical' (got 'high')",)


def test_resolve_events_can_be_told_apart() -> None:
    resolve = InboundEvent(source="generic", title="x", action=Action.RESOLVE)
    assert holds({"field": "action", "value": "resolve"}, event=resolve)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ({"any": [{"field": "severity", "value": "high"}, {"field": "colour", "value": "red"}]},
         "when.any[1].field: unknown field 'colour'"),
        ({"all": [{"not": {"field": "title", "op": "like", "value": "x"}}]},
         "when.all[0].not.op: unknown operator 'like'"),
        ({"field": "title", "op": "regex", "value": "("}, "when.value: invalid regular expression"),
        ({"field": "hour", "op": "gt", "value": "soon"}, "when.value: operator 'gt' compares numbers"),
        ({"field": "severity", "op": "in", "value": []}, "when.value: operator 'in' needs a list"),
        ({"field": "severity", "value": ""}, "when.value: operator 'equals' needs a value"),
        ({"any": []}, "when.any: `any` takes a list of conditions"),
        ({"all": [], "field": "x"}, "when: `all` stands alone"),
        ({"field": "severity", "value": "x", "colour": 1}, "when: unknown key"),
        ("severity = high", "when: a condition is a mapping"),
    ],
)  # fmt: skip
def test_a_bad_condition_is_refused_naming_the_problem_and_its_path(when: Any, message: str) -> None:
    with pytest.raises(RuleError) as refused:
        compile_condition(when)
    assert message in str(refused.value)
