"""Rules as code: deterministic export, validating import with line numbers, and `rules test` for CI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.domain import RuleSpec
from rules import rules_file
from rules.errors import RuleError

SPECS = [
    RuleSpec(id=1, name="Critical to on-call", field="severity", op="equals", value="critical",
             set_category="outage", set_assignee="oncall@example.com", stop=True),
    RuleSpec(id=2, name="Everything", field="source", op="exists", set_category="general", set_assignee="service-desk"),
]  # fmt: skip


def test_export_then_parse_gives_the_same_rules_and_the_same_bytes() -> None:
    text = rules_file.export(SPECS)
    again = rules_file.parse(text)
    assert [(s.name, s.field, s.op, s.value, s.set_category, s.set_assignee, s.stop) for s in again] == [
        (s.name, s.field, s.op, s.value, s.set_category, s.set_assignee, s.stop) for s in SPECS
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
    assert "line 5: rule 'bad regex': invalid regular expression" in message
    assert "line 8: rule 'unknown field': unknown field 'colour'" in message


def test_malformed_yaml_is_refused() -> None:
    with pytest.raises(RuleError, match="not valid YAML"):
        rules_file.parse("rules: [\n")


def test_cli_import_replaces_all_rules_and_a_bad_file_changes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "rules.yaml"
    good.write_text(rules_file.export(SPECS))
    assert runner.invoke(main, ["rules", "import", str(good)]).exit_code == 0
    exported = runner.invoke(main, ["rules", "export"]).output
    assert exported == good.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    when: {field: nope, value: 1}\n    set: {category: c}\n")
    result = runner.invoke(main, ["rules", "import", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.output and "Nothing was changed" in result.output
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
