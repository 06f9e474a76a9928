"""The rules engine: pure, so each behaviour is one call on plain values."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from hub.domain import InboundEvent, RuleBook, RuleSpec
from rules import Engine, compile_rule, decide
from rules.errors import RuleError

EVENT = InboundEvent(
    source="generic",
    title="Disk full on db1",
    severity="critical",
    labels=MappingProxyType({"team": "db"}),
    integration="prom",
)


def rule(rule_id: int = 1, **kw: object) -> RuleSpec:
    values: dict[str, object] = {"name": f"r{rule_id}", "field": "severity", "op": "equals", "value": "critical"}
    values.update(kw)
    return RuleSpec(id=rule_id, **values)  # type: ignore[arg-type]


def run(*specs: RuleSpec, event: InboundEvent = EVENT):  # type: ignore[no-untyped-def]
    return decide(event, [compile_rule(s) for s in specs])


@pytest.mark.parametrize(
    ("field", "op", "value", "matches"),
    [
        ("severity", "equals", "CRITICAL", True),
        ("severity", "not_equals", "critical", False),
        ("title", "contains", "disk FULL", True),
        ("title", "starts_with", "disk", True),
        ("title", "ends_with", "db2", False),
        ("severity", "in", "high, critical", True),
        ("labels.team", "equals", "db", True),
        ("labels.missing", "exists", "", False),
        ("title", "regex", r"db\d$", True),
        ("requester", "exists", "", False),
    ],
)
def test_operator(field: str, op: str, value: str, matches: bool) -> None:
    decision = run(rule(field=field, op=op, value=value, set_category="hit"))
    assert (decision.category == "hit") is matches


def test_first_matching_rule_sets_a_field_and_a_later_catch_all_fills_the_rest() -> None:
    decision = run(
        rule(1, set_assignee="dba@example.com"),
        rule(2, field="source", op="exists", value="", set_category="general", set_assignee="service-desk"),
    )
    assert (decision.assignee, decision.category) == ("dba@example.com", "general")


def test_stop_ends_the_walk() -> None:
    decision = run(rule(1, set_assignee="a@x", stop=True), rule(2, field="source", op="exists", set_category="c"))
    assert decision.category is None and [s.rule_id for s in decision.trace] == [1]


def test_disabled_rule_is_skipped() -> None:
    assert run(rule(set_category="c", enabled=False)).category is None


def test_trace_records_the_matching_rules_what_each_set_and_how_many_were_looked_at() -> None:
    decision = run(rule(1, value="info", set_category="x"), rule(2, set_category="outage"))
    assert [(s.rule_id, s.matched, dict(s.sets)) for s in decision.trace] == [(2, True, {"category": "outage"})]
    assert decision.evaluated == 2


def test_trace_says_on_which_condition_a_rule_matched() -> None:
    decision = run(rule(1, set_category="outage"))
    assert decision.trace[0].conditions == ("severity equals 'critical' (got 'critical')",)


def test_priority_follows_severity() -> None:
    assert run().priority == 1
    assert run(event=InboundEvent(source="email", title="x")).priority == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (rule(field="nosuch"), "when.field: unknown field 'nosuch'"),
        (rule(field="labels."), "unknown field"),
        (rule(op="like"), "unknown operator 'like'"),
        (rule(op="regex", value="("), "invalid regular expression"),
        (rule(value=""), "needs a value"),
    ],
)
def test_invalid_rule_is_rejected_with_the_reason(spec: RuleSpec, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_rule(spec)


def test_engine_recompiles_only_when_the_rule_book_version_changes() -> None:
    engine = Engine()
    v1 = RuleBook(1, (rule(set_category="one"),))
    assert engine(EVENT, v1).category == "one"
    same_version_other_rules = RuleBook(1, (rule(set_category="two"),))
    assert engine(EVENT, same_version_other_rules).category == "one"  # cached by version
    assert engine(EVENT, RuleBook(2, (rule(set_category="two"),))).category == "two"


def test_a_stored_rule_that_no_longer_compiles_never_matches_and_does_not_stop_ingest() -> None:
    book = RuleBook(1, (rule(1, op="regex", value="(", set_category="bad"), rule(2, set_category="good")))
    assert Engine()(EVENT, book).category == "good"


def test_a_catastrophic_pattern_runs_in_linear_time_on_re2() -> None:
    import time

    compiled = compile_rule(rule(field="title", op="regex", value="(a+)+$", set_category="x"))
    started = time.process_time()
    assert not compiled.matches(InboundEvent(source="generic", title="a" * 5000 + "b"))
    assert time.process_time() - started < 0.5  # Python's re would backtrack for longer than the universe


def test_a_pattern_re2_cannot_run_is_refused_with_the_reason() -> None:
    with pytest.raises(RuleError, match=r"invalid regular expression '\(a\)\\\\1'"):
        compile_rule(rule(field="title", op="regex", value=r"(a)\1"))


def test_the_first_rule_to_name_a_ci_wins_and_a_failing_template_leaves_it_to_the_next() -> None:
    decision = run(
        rule(1, actions={"ci": "{{ labels.missing.deeper }}"}),
        rule(2, actions={"ci": "{{ labels.team }}-primary"}),
        rule(3, actions={"ci": "other"}),
    )
    assert decision.ci == "db-primary"
    assert [step.sets for step in decision.trace] == [{}, {"ci": "db-primary"}, {}]
    assert "failed" in decision.trace[0].notes[0]
