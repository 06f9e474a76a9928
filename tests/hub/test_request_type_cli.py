"""`switchboard request-type`: the request catalogue from a terminal, with the checks the pages and API make."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def test_a_request_type_added_with_questions_is_listed_with_them(runner: CliRunner) -> None:
    added = runner.invoke(main, ["request-type", "add", "New laptop", "--summary", "A laptop for a new starter",
                                 "--category", "hardware", "--question", "Model [choice: Standard, Developer] *",
                                 "--question", "Cost centre"])  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["request-type", "list"]).output
    assert "New laptop (active): A laptop for a new starter" in listed
    assert "questions: Model [choice: Standard, Developer] *; Cost centre" in listed


def test_a_question_that_cannot_be_asked_is_refused_saying_why(runner: CliRunner) -> None:
    refused = runner.invoke(main, ["request-type", "add", "VPN", "--summary", "Remote access",
                                   "--question", "Which? [choice: One]"])  # fmt: skip
    assert refused.exit_code == 1 and "2 to 30 choices" in refused.output


def test_a_retired_type_is_left_out_of_the_active_list_until_restored(runner: CliRunner) -> None:
    runner.invoke(main, ["request-type", "add", "Fax line", "--summary", "A fax"])
    assert runner.invoke(main, ["request-type", "retire", "Fax line"]).exit_code == 0
    assert "Fax line" not in runner.invoke(main, ["request-type", "list", "--active"]).output
    assert runner.invoke(main, ["request-type", "restore", "Fax line"]).exit_code == 0
    assert "Fax line (active)" in runner.invoke(main, ["request-type", "list", "--active"]).output


def test_set_replaces_the_questions_and_clears_the_category(runner: CliRunner) -> None:
    runner.invoke(main, ["request-type", "add", "VPN", "--summary", "Remote access", "--category", "network",
                         "--question", "Why"])  # fmt: skip
    changed = runner.invoke(main, ["request-type", "set", "VPN", "--category", "", "--question", "Until when? *"])
    assert changed.exit_code == 0, changed.output
    assert "category -," in changed.output and "questions: Until when? *" in changed.output


def test_setting_a_type_that_does_not_exist_says_how_to_list_them(runner: CliRunner) -> None:
    missing = runner.invoke(main, ["request-type", "set", "Nothing", "--summary", "x"])
    assert missing.exit_code == 1 and "request-type list" in missing.output
