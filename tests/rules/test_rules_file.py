"""Rules as code: deterministic export, validating import with line numbers, and `rules test` for CI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.domain import RuleSpec
from rules import rules_file
from rules.errors import RuleError
from tests.rules import doubling_aliases

SPECS = [
    RuleSpec(id=1, name="Critical to on-call", field="severity", op="equals", value="critical",
             set_category="outage", set_assignee="oncall@example.com", stop=True),
    RuleSpec(id=2, name="Everything", field="source", op="exists", set_category="general", set_assignee="service-desk"),
]  # fmt: skip


def test_export_then_parse_gives_the_same_rules_and_the_same_bytes() -> None:
    text = rules_file.export(SPECS)
    again = rules_file.parse(text)
    assert [(s.name, s.condition(), s.effects(), s.stop) for s in again] == [
        (s.name, s.condition(), s.effects(), s.stop) for s in SPECS
    ]
    assert rules_file.export(again) == text


def test_export_holds_no_ids_versions_or_timestamps() -> None:
    text = rules_file.export(SPECS)
    assert "id:" not in text and "version" not in text and "20" not in text


def test_every_problem_is_reported_with_its_line() -> None:
    text = """rules:
  - name: fine
    when: {field: severity, value: critical}
    set: {category: outage}
  - name: bad regex
    when: {field: title, op: regex, value: "("}
    set: {category: x}
  - name: unknown field
    when: {field: colour, value: red}
    set: {category: x}
"""
    with pytest.raises(RuleError) as problems:
        rules_file.parse(text)
    message = str(problems.value)
    assert "line 6: rules[1].when.value (rule 'bad regex'): invalid regular expression" in message
    assert "line 9: rules[2].when.field (rule 'unknown field'): unknown field 'colour'" in message


def test_a_rule_wrong_in_several_places_has_each_mistake_named_with_its_line() -> None:
    text = """\
rules:
  - name: two wrong tests and a wrong action
    when:
      all:
        - {field: colour, value: red}
        - {field: title, op: resembles, value: disk}
    set: {priority: P9}
"""
    with pytest.raises(RuleError) as problems:
        rules_file.parse(text)
    message = str(problems.value)
    assert "rules[0].when.all[0].field" in message and "unknown field 'colour'" in message
    assert "rules[0].when.all[1].op" in message and "unknown operator 'resembles'" in message
    assert "line 7: rules[0].set (rule" in message and "unknown action(s) priority" in message


def test_malformed_yaml_is_refused() -> None:
    with pytest.raises(RuleError, match="not valid YAML"):
        rules_file.parse("rules: [\n")


def test_aliases_that_stand_for_millions_of_conditions_are_refused_at_once() -> None:
    """727 bytes standing for 2**25 conditions kept validation busy for minutes ("billion laughs"); refused, it
    takes milliseconds. Measured in this process's CPU time, which a busy machine does not stretch (wall time once
    passed a second here while the CI's other processes held both cores)."""
    started = time.process_time()
    with pytest.raises(RuleError, match="stands for more than 50,000 values"):
        rules_file.parse(f"rules:\n- name: r\n  when: {doubling_aliases(25)}\n  set: {{category: c}}\n")
    assert time.process_time() - started < 1


def test_a_few_aliases_are_still_read() -> None:
    [rule] = rules_file.parse(f"rules:\n- name: r\n  when: {doubling_aliases(3)}\n  set: {{category: c}}\n")
    assert rule.name == "r"


def test_an_alias_to_itself_is_refused_with_its_line() -> None:
    with pytest.raises(RuleError, match="line 3: an alias refers to the node it is in"):
        rules_file.parse("rules:\n- name: r\n  when: &w {all: [*w]}\n  set: {category: c}\n")


def test_cli_import_replaces_all_rules_and_a_bad_file_changes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text(rules_file.export(SPECS))
    assert runner.invoke(main, ["rules", "import", str(good)]).exit_code == 0
    exported = runner.invoke(main, ["rules", "export"]).output
    assert exported == good.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    when: {field: nope, value: 1}\n    set: {category: c}\n")
    result = runner.invoke(main, ["rules", "import", str(bad)])
    assert result.exit_code == 1 and "line 3: rules[0].when.field" in result.output
    assert "Nothing was changed" in result.output
    assert runner.invoke(main, ["rules", "export"]).output == exported


def test_cli_rules_test_prints_the_trace_and_fails_on_a_wrong_expectation(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(rules_file.export(SPECS))
    event = '{"title": "Disk full", "severity": "critical"}'
    ok = runner.invoke(main, ["rules", "test", "--rules", str(path), "--expect", "category=outage"], input=event)
    assert ok.exit_code == 0, ok.output
    assert "MATCH  Critical to on-call  -> category=outage, assignee=oncall@example.com" in ok.output
    wrong = runner.invoke(main, ["rules", "test", "--rules", str(path), "--expect", "assignee=me"], input=event)
    assert wrong.exit_code == 1 and "expected assignee=me, got oncall@example.com" in wrong.output


NESTED = """timezone: Europe/Berlin
priority_matrix:
- [1, 2]
- [2, 3]
rules:
- name: Database pages to the DBA rota
  when:
    all:
    - field: severity
      op: in
      value:
      - critical
      - high
    - any:
      - field: labels.team
        op: equals
        value: db
      - not:
          field: subject
          op: regex
          value: test
  set:
    category: database
    tags:
    - db
    impact: 1
    urgency: 2
    group: dba
    strategy: round_robin
    dedup_key: '{{ labels.alertname }}'
  stop: true
  enabled: true
- name: Everything else
  set:
    assignee: service-desk
  stop: false
  enabled: true
"""


def test_nested_rules_and_settings_round_trip_to_the_same_bytes() -> None:
    parsed = rules_file.parse_file(NESTED)
    assert parsed.settings == {"timezone": "Europe/Berlin", "priority_matrix": [[1, 2], [2, 3]]}
    assert rules_file.export(parsed.rules, parsed.settings) == NESTED


def test_the_same_rules_written_in_another_key_order_export_to_the_same_bytes() -> None:
    shuffled = """rules:
- enabled: true
  stop: false
  set: {assignee: service-desk}
  name: Everything else
- set: {tags: [db], category: database, strategy: round_robin, group: dba, urgency: 2, impact: 1,
        dedup_key: '{{ labels.alertname }}'}
  stop: true
  name: Database pages to the DBA rota
  when:
    all:
    - {value: [critical, high], op: in, field: severity}
    - any:
      - {op: equals, value: db, field: labels.team}
      - not: {value: test, field: subject, op: regex}
priority_matrix: [[1, 2], [2, 3]]
timezone: Europe/Berlin
"""
    parsed = rules_file.parse_file(shuffled)
    reordered = [parsed.rules[1], parsed.rules[0]]
    assert rules_file.export(reordered, parsed.settings) == NESTED


def test_a_problem_deep_in_a_condition_is_reported_on_its_own_line() -> None:
    broken = NESTED.replace("field: labels.team", "field: label.team")
    with pytest.raises(RuleError, match=r"line 15: rules\[0\]\.when\.all\[1\]\.any\[0\]\.field .*unknown field"):
        rules_file.parse(broken)


def test_a_bad_template_is_reported_with_its_line() -> None:
    broken = NESTED.replace("'{{ labels.alertname }}'", "'{{ labels.alertname '")
    with pytest.raises(RuleError, match=r"line 30: rules\[0\]\.set\.dedup_key .*bad template"):
        rules_file.parse(broken)


def test_a_bad_matrix_cell_is_reported_with_its_line() -> None:
    with pytest.raises(RuleError, match=r"line 4: priority_matrix\[1\]\[1\]: a priority is a whole number"):
        rules_file.parse(NESTED.replace("- [2, 3]", "- [2, 7]"))


def test_an_impact_outside_the_files_own_matrix_is_refused() -> None:
    with pytest.raises(RuleError, match=r"rules\[0\]\.set\.impact .*from 1 to 2"):
        rules_file.parse(NESTED.replace("impact: 1", "impact: 3"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules:\n- name: x\n  set: {category: c}\n  stop: maybe\n", r"line 4: rules\[0\]\.stop .*true or false"),
        ("rules:\n- name: x\n  set: {category: c}\n  colour: red\n", r"line 4: rules\[0\]\.colour .*unknown key"),
        ("rules:\n- name: x\n", r"line 2: rules\[0\]\.set .*must be a mapping"),
        ("rulez: []\n", "unknown key"),
        ("- just a list\n", "line 1: the file must be a mapping"),
    ],
)
def test_malformed_files_are_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        rules_file.parse(text)


def test_the_readme_example_is_a_valid_rules_file() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("## Routing rules", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    parsed = rules_file.parse_file(example)
    assert [r.name for r in parsed.rules][-1] == "Default: everything goes to the service desk"
