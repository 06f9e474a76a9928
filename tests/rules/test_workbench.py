"""The workbench's pure core: drafts from the edit form, problems located in the box and line typed, trials."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

from hub.domain import InboundEvent, RuleBook, RuleSpec
from hub.rules_export import ALWAYS
from rules.workbench import (
    CANDIDATE_VERSION,
    Problem,
    RuleDraft,
    candidate,
    describe_actions,
    describe_condition,
    preview,
    trial,
)
from tests.rules import doubling_aliases

CATCH_ALL = RuleSpec(id=1, name="Default", when=ALWAYS, actions=MappingProxyType({"category": "general"}))
LIVE = RuleBook(7, (CATCH_ALL,))
DB_EVENT = InboundEvent(source="generic", title="Disk full on db1", severity="critical",
                        labels=MappingProxyType({"team": "db", "env": "prod"}), integration="prom")  # fmt: skip
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _draft(
    when: str = "{field: labels.team, value: db}", sets: str = "category: database\n", **kw: object
) -> RuleDraft:
    return RuleDraft(name=str(kw.pop("name", "DB")), when=when, sets=sets, **kw)  # type: ignore[arg-type]


def _problems(draft: RuleDraft) -> list[Problem]:
    found, problems = candidate(draft, LIVE)
    assert found is None
    return problems


def test_a_new_rule_goes_first_in_a_candidate_that_is_not_the_live_version() -> None:
    found, problems = candidate(_draft(), LIVE)
    assert problems == [] and found is not None
    assert [r.name for r in found.book.rules] == ["DB", "Default"]
    assert found.index == 0 and found.book.version == CANDIDATE_VERSION != LIVE.version


def test_an_edited_rule_replaces_the_stored_one_in_its_place() -> None:
    found, _ = candidate(_draft(name="Default, narrowed", rule_id=1), LIVE)
    assert found is not None
    assert [(r.id, r.name) for r in found.book.rules] == [(1, "Default, narrowed")]


def test_an_empty_condition_matches_every_event() -> None:
    found, _ = candidate(_draft(when="  \n"), LIVE)
    assert found is not None and found.spec.when == ALWAYS


def test_a_stored_rule_round_trips_through_the_form_unchanged() -> None:
    spec = RuleSpec(id=4, name="DB pages", when={"all": [{"field": "severity", "op": "in", "value": ["critical"]}]},
                    actions=MappingProxyType({"category": "database", "tags": ["db"]}), stop=True)  # fmt: skip
    found, _ = candidate(RuleDraft.of(spec), RuleBook(1, (spec,)))
    assert found is not None and found.spec == spec
    assert (found.spec.when, dict(found.spec.actions)) == (spec.when, dict(spec.actions))


def test_an_unknown_field_is_named_with_its_box_line_and_path() -> None:
    when = "all:\n- {field: severity, op: equals, value: critical}\n- {field: colour, value: red}\n"
    [problem] = _problems(_draft(when=when))
    assert (problem.box, problem.line, problem.path) == ("when", 3, "when.all[1].field")
    assert "unknown field 'colour'" in problem.message
    assert str(problem).startswith("when, line 3: when.all[1].field: unknown field 'colour'")


def test_a_bad_regex_is_named_on_its_line() -> None:
    [problem] = _problems(_draft(when="any:\n  - field: title\n    op: regex\n    value: 'disk(full'\n"))
    assert (problem.box, problem.line, problem.path) == ("when", 4, "when.any[0].value")
    assert problem.message.startswith("invalid regular expression 'disk(full'")


def test_a_template_error_is_named_in_the_set_box_on_its_line() -> None:
    [problem] = _problems(_draft(sets="category: database\ntitle: '{{ title'\n"))
    assert (problem.box, problem.line, problem.path) == ("set", 2, "set.title")
    assert "bad template" in problem.message


def test_malformed_yaml_is_named_with_its_line() -> None:
    [problem] = _problems(_draft(sets="category: database\ntags: [db\n"))
    assert problem.box == "set" and problem.line is not None and "not valid YAML" in problem.message


def test_a_box_whose_aliases_stand_for_millions_of_values_is_refused() -> None:
    [problem] = _problems(_draft(when=doubling_aliases(25)))
    assert problem.box == "when" and "stands for more than 50,000 values" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(_draft(name=" ", when="{field: colour, value: red}", sets="category: [not, text]\n"))
    assert {p.box for p in problems} == {"name", "when", "set"}


def test_every_problem_of_the_when_box_is_reported_each_with_its_line() -> None:
    when = "all:\n  - {field: title, op: regex, value: '(unclosed'}\n  - {field: severity, op: equalz, value: x}\n"
    problems = _problems(_draft(when=when))
    assert [(p.box, p.line, p.path) for p in problems] == [("when", 2, "when.all[0].value"),
                                                           ("when", 3, "when.all[1].op")]  # fmt: skip
    assert "equalz" in problems[1].message


def test_two_mistakes_in_one_test_are_both_reported_each_on_its_line() -> None:
    when = "field: colour\nop: regex\nvalue: '(unclosed'\n"
    problems = _problems(_draft(when=when))
    assert [(p.line, p.path) for p in problems] == [(1, "when.field"), (3, "when.value")]
    assert "unknown field 'colour'" in problems[0].message and "regular expression" in problems[1].message


def test_a_rule_that_sets_nothing_is_refused() -> None:
    [problem] = _problems(_draft(sets=""))
    assert problem.box == "set" and "sets" in problem.message


def test_an_assignee_is_stored_lower_case_as_the_file_import_does() -> None:
    found, _ = candidate(_draft(sets="assignee: Ann@Example.COM\n"), LIVE)
    assert found is not None and found.spec.actions["assignee"] == "ann@example.com"


def test_editing_a_rule_deleted_meanwhile_says_so() -> None:
    [problem] = _problems(_draft(rule_id=99))
    assert "deleted meanwhile" in problem.message


def test_a_trial_shows_the_trace_every_check_and_the_incident_fields() -> None:
    found, _ = candidate(_draft(sets="category: database\nassignee: dba@example.com\n", stop=True), LIVE)
    assert found is not None
    result = trial(found.book, DB_EVENT, NOON)
    assert [step.rule for step in result.decision.trace] == ["DB"]
    assert result.decision.trace[0].sets == {"category": "database", "assignee": "dba@example.com"}
    assert [(c.rule, c.matched) for c in result.checks] == [("DB", True), ("Default", True)]
    fields = dict(result.incident)
    assert (fields["category"], fields["assignee"], fields["title"]) == ("database", "dba@example.com", DB_EVENT.title)
    assert fields["opens an incident"] == "yes"


def test_a_suppressing_rule_shows_no_incident_opens() -> None:
    found, _ = candidate(_draft(sets="suppress: true\n"), LIVE)
    assert found is not None
    assert dict(trial(found.book, DB_EVENT, NOON).incident)["opens an incident"].startswith("no: suppressed")


def test_preview_renders_title_and_dedup_key_templates_on_the_event() -> None:
    sets = "title: '[{{ labels.env|upper }}] {{ title }}'\ndedup_key: '{{ labels.team }}-{{ labels.missing.x }}'\n"
    found, _ = candidate(_draft(sets=sets), LIVE)
    assert found is not None
    title, dedup = preview(found.spec, DB_EVENT, NOON, {})
    assert (title.key, title.text, title.error) == ("title", "[PROD] Disk full on db1", None)
    assert dedup.key == "dedup_key" and dedup.text is None and "failed" in str(dedup.error)


def test_conditions_and_actions_are_summarised_on_one_line() -> None:
    when = {"all": [{"field": "severity", "op": "in", "value": ["critical"]}, {"not": {"field": "labels.env"}}]}
    assert describe_condition(when) == "all(severity in ['critical']; not(labels.env equals None))"
    assert describe_condition(ALWAYS) == "always"
    assert describe_actions({"category": "db", "tags": ["a", "b"]}) == "category=db; tags=a, b"
