"""Actions: what matching rules set, the priority matrix, group strategies, templates, suppress and channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.domain import NO_STATE, Decision, GroupState, InboundEvent, RoutingState, RuleBook, RuleSpec
from hub.rotation import Rotation
from rules import Engine
from rules.actions import MATRICES, choose_member, compile_actions, compile_matrix
from rules.engine import RoutingSettings, compile_rule, decide
from rules.errors import RuleError

EVENT = InboundEvent(
    source="alertmanager",
    title="Disk full",
    severity="warning",
    labels=MappingProxyType({"alertname": "DiskFull", "instance": "db1:9100", "team": "db"}),
)
ALWAYS = {"all": []}


def spec(actions: dict[str, Any], rule_id: int = 1, stop: bool = False, when: Any = ALWAYS) -> RuleSpec:
    return RuleSpec(id=rule_id, name=f"r{rule_id}", when=when, actions=MappingProxyType(actions), stop=stop)


def run(*specs: RuleSpec, state: RoutingState = NO_STATE, settings: RoutingSettings | None = None) -> Decision:
    compiled_settings = settings or RoutingSettings()
    return decide(EVENT, [compile_rule(s, compiled_settings) for s in specs], state=state, settings=compiled_settings)


def test_category_and_service_are_set_by_the_first_rule_that_sets_them() -> None:
    decision = run(spec({"category": "storage"}), spec({"category": "other", "service": "postgres"}, 2))
    assert (decision.category, decision.service) == ("storage", "postgres")


def test_tags_from_every_matching_rule_add_up_without_repeats() -> None:
    assert run(spec({"tags": ["db", "prod"]}), spec({"tags": ["prod", "disk"]}, 2)).tags == ("db", "prod", "disk")


def test_impact_and_urgency_give_the_priority_from_the_default_3x3_matrix() -> None:
    assert run(spec({"impact": 1, "urgency": 2})).priority == 2
    assert run(spec({"impact": 3, "urgency": 3})).priority == 5


def test_only_impact_counts_the_missing_urgency_as_the_middle() -> None:
    assert run(spec({"impact": 1})).priority == 2


def test_without_impact_or_urgency_priority_follows_severity() -> None:
    assert run(spec({"category": "x"})).priority == 3


def test_an_edited_matrix_sets_the_priority() -> None:
    settings = RoutingSettings(matrix=compile_matrix([[1, 1], [2, 4]]))
    assert run(spec({"impact": 2, "urgency": 2}), settings=settings).priority == 4


def test_the_5x5_preset_is_available_by_name() -> None:
    settings = RoutingSettings(matrix=compile_matrix("5x5"))
    assert run(spec({"impact": 5, "urgency": 5}), settings=settings).priority == MATRICES["5x5"][4][4] == 5


def test_impact_beyond_the_matrix_is_refused() -> None:
    with pytest.raises(RuleError, match=r"set\.impact: impact is a whole number from 1 to 3"):
        compile_actions({"impact": 4}, MATRICES["3x3"])


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ("4x4", "unknown matrix '4x4'"),
        ([[1, 2], [3]], r"priority_matrix\[1\]: every row needs 2 priorities"),
        ([[1, 9]], r"priority_matrix\[0\]\[1\]: a priority is a whole number from 1 to 5"),
        ([], "a list of rows"),
    ],
)
def test_a_malformed_matrix_is_refused_naming_the_cell(matrix: Any, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_matrix(matrix)


def test_assign_to_a_person() -> None:
    assert run(spec({"assignee": "Ann@Example.com"})).assignee == "ann@example.com"


DBA = GroupState(("ann@x", "bob@x", "cy@x"), MappingProxyType({"ann@x": 4, "bob@x": 1, "cy@x": 1}), "bob@x")


def test_fixed_strategy_assigns_the_groups_first_member() -> None:
    assert choose_member("fixed", DBA) == "ann@x"


def test_round_robin_assigns_the_member_after_the_last_one_assigned() -> None:
    assert choose_member("round_robin", DBA) == "cy@x"


def test_round_robin_wraps_around_to_the_first_member() -> None:
    assert choose_member("round_robin", GroupState(("ann@x", "bob@x"), last_assigned="bob@x")) == "ann@x"


def test_fewest_open_assigns_the_member_with_the_fewest_open_incidents() -> None:
    state = GroupState(("ann@x", "bob@x"), MappingProxyType({"ann@x": 3, "bob@x": 1}))
    assert choose_member("fewest_open", state) == "bob@x"


def test_fewest_open_breaks_a_tie_in_round_robin_order() -> None:
    assert choose_member("fewest_open", DBA) == "cy@x"  # bob and cy tie on 1; bob had the last one


def test_round_robin_passes_over_a_member_who_can_no_longer_work_incidents_keeping_the_order() -> None:
    state = GroupState(("ann@x", "bob@x", "cy@x"), last_assigned="ann@x", unable=frozenset({"bob@x"}))
    assert choose_member("round_robin", state) == "cy@x"


def test_fixed_and_fewest_open_pass_over_who_cannot_work_incidents() -> None:
    assert choose_member("fixed", GroupState(("ann@x", "bob@x"), unable=frozenset({"ann@x"}))) == "bob@x"
    assert choose_member("fewest_open", GroupState(("ann@x", "bob@x"), MappingProxyType({"ann@x": 0, "bob@x": 5}),
                                                   unable=frozenset({"ann@x"}))) == "bob@x"  # fmt: skip


def test_a_group_none_of_whose_members_can_work_incidents_assigns_no_one() -> None:
    assert choose_member("round_robin", GroupState(("ann@x",), unable=frozenset({"ann@x"}))) is None


ROTA = Rotation(("ann@x", "bob@x"), timedelta(days=1), datetime(2026, 11, 2, 9, 0), ZoneInfo("UTC"))


def test_on_call_passes_over_whoever_is_on_call_but_cannot_answer_to_the_next_in_rota() -> None:
    state = GroupState(("ann@x", "bob@x"), rotation=ROTA, unable=frozenset({"ann@x"}))
    assert choose_member("on_call", state, datetime(2026, 11, 3, 8, 59, tzinfo=UTC)) == "bob@x"


def test_on_call_assigns_whoever_the_rotation_has_on_call_at_the_events_time() -> None:
    state = GroupState(("ann@x", "bob@x"), rotation=ROTA)
    assert choose_member("on_call", state, datetime(2026, 11, 3, 8, 59, tzinfo=UTC)) == "ann@x"
    assert choose_member("on_call", state, datetime(2026, 11, 3, 9, 0, tzinfo=UTC)) == "bob@x"


def test_on_call_without_a_rotation_assigns_the_first_member_with_a_note() -> None:
    state = RoutingState(MappingProxyType({"dba": GroupState(("ann@x", "bob@x"))}))
    decision = decide(EVENT, [compile_rule(spec({"group": "dba", "strategy": "on_call"}), RoutingSettings())],
                      datetime(2026, 11, 3, 12, 0, tzinfo=UTC), state=state)  # fmt: skip
    assert decision.assignee == "ann@x"
    assert decision.trace[0].notes == ("group 'dba' has no on-call rotation: assigned to its first member",)


def test_group_assignment_uses_the_state_it_is_given_and_names_the_group() -> None:
    state = RoutingState(MappingProxyType({"dba": DBA}))
    decision = run(spec({"group": "dba", "strategy": "round_robin"}), state=state)
    assert (decision.assignee, decision.assigned_from) == ("cy@x", "dba")
    assert decision.trace[0].sets["group"] == "dba (round_robin)"


def test_a_group_without_members_is_assigned_the_group_itself_with_a_note() -> None:
    decision = run(spec({"group": "nobody", "strategy": "round_robin"}))
    assert decision.assignee == "nobody" and decision.assigned_from is None
    assert "has no members" in decision.trace[0].notes[0]


def test_a_group_without_members_is_traced_as_the_group_the_rule_set() -> None:
    assert dict(run(spec({"group": "dba"})).trace[0].sets) == {"group": "dba"}


def test_a_rule_setting_a_group_without_members_counts_as_setting_the_assignee() -> None:
    group_rule = spec({"group": "dba"}, when={"field": "severity", "op": "equals", "value": "warning"})
    decision = run(group_rule)
    assert not RuleBook(1, (group_rule,)).set_only_by_catch_alls("assignee", decision)


def test_a_strategy_without_a_group_is_refused() -> None:
    with pytest.raises(RuleError, match=r"set\.strategy: a strategy picks a member of a group"):
        compile_actions({"strategy": "round_robin", "assignee": "a@x"}, MATRICES["3x3"])


def test_dedup_key_template_renders_from_labels() -> None:
    assert run(spec({"dedup_key": "{{ labels.alertname }}-{{ labels.instance }}"})).dedup_key == "DiskFull-db1:9100"


def test_title_template_renders_event_fields_and_filters() -> None:
    assert run(spec({"title": "[{{ severity|upper }}] {{ title }}"})).title == "[WARNING] Disk full"


def test_a_template_that_renders_nothing_leaves_the_field_alone_with_a_note() -> None:
    decision = run(spec({"dedup_key": "{{ labels.missing }}", "category": "c"}))
    assert decision.dedup_key is None and decision.category == "c"
    assert "rendered nothing" in decision.trace[0].notes[0]


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ labels.__class__.__init__.__globals__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ labels.update({'a': 1}) }}",
        # Each of these made a string of 100 million characters: memory and time on every matching event.
        "{{ title.center(100000000) }}",
        "{{ title|center(100000000) }}",
        "{{ '%0100000000d'|format(1) }}",
        "{{ '%0100000000d' % 1 }}",
        "{{ '{:>100000000}'.format(1) }}",
        "{{ range(100000)|join }}",
    ],
)
def test_the_sandbox_refuses_what_a_template_must_not_do(template: str) -> None:
    decision = run(spec({"title": template, "category": "c"}))
    assert decision.title is None and decision.category == "c"
    assert decision.trace[0].notes


def test_a_template_with_a_syntax_error_is_refused_when_saved() -> None:
    with pytest.raises(RuleError, match=r"set.title: bad template '\{\{ title '"):
        compile_actions({"title": "{{ title "}, MATRICES["3x3"])


@pytest.mark.parametrize(
    ("template", "keyword"),
    [("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macro"),  # recursed until a RecursionError, per event
     ("{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}", "for"),  # ran for minutes
     ("{% filter upper %}{{ title }}{% endfilter %}", "filter")],
)  # fmt: skip
def test_loops_and_macros_are_refused_when_saved(template: str, keyword: str) -> None:
    with pytest.raises(RuleError, match=rf"\{{% {keyword} %\}} is not allowed in a rule template; use filters"):
        compile_actions({"title": template}, MATRICES["3x3"])


def test_filters_methods_and_formats_of_ordinary_sizes_still_work() -> None:
    template = "{{ labels|dictsort|map('join', '=')|join(',') }} {{ '%03d'|format(7) }} {{ '{:>3}'.format('x') }}"
    assert run(spec({"title": template})).title == "alertname=DiskFull,instance=db1:9100,team=db 007 x"


def test_suppress_marks_the_decision() -> None:
    decision = run(spec({"suppress": True}))
    assert decision.suppressed and decision.trace[0].sets["suppress"] == "yes"


def test_channels_are_carried_on_the_decision() -> None:
    assert run(spec({"channels": ["email", "slack-dba"]})).channels == ("email", "slack-dba")


def test_stop_keeps_later_rules_from_adding_anything() -> None:
    assert run(spec({"tags": ["a"]}, stop=True), spec({"tags": ["b"]}, 2)).tags == ("a",)


def test_continue_lets_later_rules_fill_in_the_rest() -> None:
    decision = run(spec({"category": "db"}), spec({"category": "other", "assignee": "desk"}, 2))
    assert (decision.category, decision.assignee) == ("db", "desk")


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ({}, "a rule must set something"),
        ({"colour": "red"}, "unknown action"),
        ({"strategy": "random", "group": "g"}, "unknown strategy 'random'"),
        ({"group": "g", "assignee": "a@x"}, "set either `assignee`"),
        ({"suppress": "yes"}, "suppress is true or false"),
        ({"tags": "   "}, r"set.tags\[0\]: expected a non-empty text"),
    ],
)
def test_bad_actions_are_refused_naming_the_problem(actions: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_actions(actions, MATRICES["3x3"])


def test_engine_compiles_templates_once_per_version() -> None:
    engine = Engine()
    book = RuleBook(7, (spec({"title": "{{ title }}!"}),))
    first = engine.compiled(book)
    engine(EVENT, book)
    assert engine.compiled(book) is first
    assert engine.compiled(RuleBook(8, book.rules)) is not first


def test_a_stored_matrix_that_no_longer_compiles_falls_back_to_the_default() -> None:
    book = RuleBook(1, (spec({"impact": 1, "urgency": 1}),), settings=MappingProxyType({"priority_matrix": "7x7"}))
    assert Engine()(EVENT, book).priority == 1
