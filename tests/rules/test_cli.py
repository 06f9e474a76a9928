"""`switchboard rules ...` and `switchboard group ...` against a real, migrated SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub import audit
from hub.cli import main
from hub.db import Database
from tests.rules.test_rules_file import NESTED
from tests.staff import hire

EVENT = json.dumps({"title": "Disk full", "severity": "critical", "labels": {"team": "db", "alertname": "DiskFull"}})


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> str:
    result = runner.invoke(main, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def nested(runner: CliRunner, tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(NESTED)
    invoke(runner, "rules", "import", str(path))
    return path


def test_every_rules_command_has_help(runner: CliRunner) -> None:
    for command in ("list", "add", "remove", "disable", "enable", "export", "import", "versions", "diff", "restore",
                    "test"):  # fmt: skip
        assert "Usage:" in invoke(runner, "rules", command, "--help")


def test_import_then_export_gives_the_file_back_byte_for_byte(runner: CliRunner, nested: Path) -> None:
    assert invoke(runner, "rules", "export") == nested.read_text()


def test_each_save_makes_a_version_with_author_and_summary(
    runner: CliRunner, nested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_AUTHOR", "ann@example.com")
    invoke(runner, "rules", "disable", "2")
    lines = invoke(runner, "rules", "versions").splitlines()
    assert [line.split()[0] for line in lines] == ["1", "2", "3"]
    assert "the rules before the first recorded change" in lines[0]
    assert "imported rules.yaml" in lines[1]
    assert "ann@example.com  disabled rule 'Everything else'" in lines[2] and "(+1 -1)" in lines[2]


def test_a_save_that_changes_nothing_makes_no_version(runner: CliRunner, nested: Path) -> None:
    invoke(runner, "rules", "enable", "2")  # already enabled
    assert len(invoke(runner, "rules", "versions").splitlines()) == 2


def test_diff_between_versions_is_a_unified_diff_of_the_export(runner: CliRunner, nested: Path) -> None:
    invoke(runner, "rules", "disable", "2")
    diff = invoke(runner, "rules", "diff", "2", "3")
    assert diff.startswith("--- version 2\n+++ version 3\n")
    assert "-  enabled: true\n+  enabled: false\n" in diff


def test_restore_brings_back_an_old_version_as_a_new_one(runner: CliRunner, nested: Path) -> None:
    before = invoke(runner, "rules", "export")
    invoke(runner, "rules", "remove", "1")
    assert "DBA rota" not in invoke(runner, "rules", "export")
    assert "restored version 2: 2 rule(s)" in invoke(runner, "rules", "restore", "2")
    assert invoke(runner, "rules", "export") == before
    assert "restored version 2" in invoke(runner, "rules", "versions").splitlines()[-1]


def test_restore_of_a_version_that_does_not_exist_says_how_to_find_one(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "restore", "42"])
    assert result.exit_code == 1 and "switchboard rules versions" in result.output


def test_a_malformed_import_changes_nothing_and_makes_no_version(
    runner: CliRunner, nested: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(NESTED.replace("strategy: round_robin", "strategy: lottery"))
    result = runner.invoke(main, ["rules", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 29: rules[0].set.strategy (rule 'Database pages to the DBA rota'): unknown strategy" in result.output
    assert invoke(runner, "rules", "export") == nested.read_text()
    assert len(invoke(runner, "rules", "versions").splitlines()) == 2


def test_rules_test_prints_the_conditions_that_matched(runner: CliRunner, nested: Path) -> None:
    output = invoke(runner, "rules", "test", input=EVENT)
    assert "MATCH  Database pages to the DBA rota  -> category=database, tags=db, impact=1, urgency=2" in output
    assert "because severity in [critical, high] (got 'critical')" in output
    assert "because labels.team equals 'db' (got 'db')" in output


def test_rules_test_expectations_on_new_fields_pass(runner: CliRunner, nested: Path) -> None:
    invoke(runner, "rules", "test", "--expect", "priority=P2", "--expect", "dedup_key=DiskFull",
           "--expect", "tags=db", "--expect", "suppressed=false", input=EVENT)  # fmt: skip


def test_rules_test_exits_1_naming_each_failed_expectation(runner: CliRunner, nested: Path) -> None:
    result = runner.invoke(
        main, ["rules", "test", "--expect", "category=network", "--expect", "colour=red"], input=EVENT
    )
    assert result.exit_code == 1
    assert "expected category=network, got database" in result.output
    assert "unknown field 'colour' in --expect" in result.output


@pytest.mark.parametrize(("given", "says"), [("{title", "Expecting property name"), ("[" * 100_000, "too deeply")])
def test_rules_test_names_what_is_wrong_with_its_input(runner: CliRunner, given: str, says: str) -> None:
    result = runner.invoke(main, ["rules", "test"], input=given)
    assert result.exit_code == 1 and says in result.output and "Traceback" not in result.output


def test_rules_test_gives_mail_to_a_desk_its_category_over_the_catch_all_as_the_intake_does(runner: CliRunner) -> None:
    invoke(runner, "desk", "add", "it@example.com", "--category", "hardware")
    event = json.dumps({"title": "Laptop broken", "desk_address": "it@example.com"})
    output = invoke(runner, "rules", "test", "--expect", "category=hardware", input=event)
    assert "MATCH  desk it@example.com  -> category=hardware" in output and "1 matched" in output


def test_rules_test_with_all_explains_the_rules_that_did_not_match(runner: CliRunner, nested: Path) -> None:
    event = json.dumps({"title": "test run", "severity": "info"})
    output = invoke(runner, "rules", "test", "--all", input=event)
    assert "       Database pages to the DBA rota: severity in [critical, high] (got 'info')" in output


def test_rules_test_assigns_within_a_stored_group(runner: CliRunner, nested: Path) -> None:
    hire(runner, "ann@example.com", "bob@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com")
    invoke(runner, "rules", "test", "--expect", "assignee=ann@example.com", input=EVENT)


def test_rules_add_makes_a_nested_rule_with_new_actions(runner: CliRunner) -> None:
    invoke(runner, "rules", "add", "--name", "Weekend", "--field", "severity", "--op", "in", "--value", "info,warning",
           "--tag", "quiet", "--impact", "3", "--urgency", "3", "--channel", "chat")  # fmt: skip
    exported = invoke(runner, "rules", "export")
    assert (
        "value:\n    - info\n    - warning\n" in exported
        and "impact: 3" in exported
        and "channels:\n    - chat" in exported
    )


def test_rules_add_refuses_a_bad_template_before_saving(runner: CliRunner) -> None:
    result = runner.invoke(main, ["rules", "add", "--name", "t", "--title", "{{ oops", "--category", "c"])
    assert result.exit_code == 2 and "set.title: bad template" in result.output


def test_groups_are_listed_with_their_members_in_order(runner: CliRunner) -> None:
    hire(runner, "ann@example.com", "bob@example.com")
    invoke(runner, "group", "set", "dba", "--member", "Bob@Example.com", "--member", "ann@example.com")
    assert invoke(runner, "group", "list") == "dba: bob@example.com, ann@example.com\n"


def test_a_member_deactivated_since_is_listed_marked(runner: CliRunner) -> None:
    hire(runner, "ann@example.com", "bob@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com")
    invoke(runner, "user", "set", "bob@example.com", "--disable")
    assert invoke(runner, "group", "list") == "dba: ann@example.com, bob@example.com (cannot be paged)\n"


def test_every_group_command_has_help(runner: CliRunner) -> None:
    for command in ("set", "add-member", "remove-member", "list", "remove"):
        assert "Usage:" in invoke(runner, "group", command, "--help")


def test_add_member_puts_one_person_last_in_the_rota_audited_as_the_clis(runner: CliRunner, db: Database) -> None:
    hire(runner, "ann@example.com", "bob@example.com", "dan@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com")
    said = invoke(runner, "group", "add-member", "dba", "Dan@Example.com")
    assert said == "dba: ann@example.com, bob@example.com, dan@example.com\n"
    with db.read() as session:
        [entry] = audit.recent(session, action="group.member.add")
    members = ["ann@example.com", "bob@example.com", "dan@example.com"]
    assert (entry.actor, entry.target, entry.detail) == ("cli", "dba", {"member": "dan@example.com",
                                                                        "members": members})  # fmt: skip


def test_add_member_refuses_someone_who_could_not_answer_a_page_and_changes_nothing(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com")
    result = runner.invoke(main, ["group", "add-member", "dba", "dan@example.com"])
    assert result.exit_code == 1
    assert result.output == ("Error: no one here has the address dan@example.com; an admin adds them on the Users "
                             "page (or `switchboard user create`) first\n")  # fmt: skip
    assert invoke(runner, "group", "list") == "dba: ann@example.com\n"


def test_add_member_refuses_a_member_the_group_has_already(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com")
    result = runner.invoke(main, ["group", "add-member", "dba", "ann@example.com"])
    assert result.exit_code == 1 and result.output == "Error: ann@example.com is in dba already\n"


def test_add_member_to_a_group_not_made_yet_says_to_make_it(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    result = runner.invoke(main, ["group", "add-member", "dba", "ann@example.com"])
    assert result.exit_code == 1
    assert result.output == "Error: there is no group 'dba'; make it first with its members\n"


def test_remove_member_takes_one_out_the_others_keeping_their_order_audited(runner: CliRunner, db: Database) -> None:
    hire(runner, "ann@example.com", "bob@example.com", "cy@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com", "--member",
           "cy@example.com")  # fmt: skip
    assert (
        invoke(runner, "group", "remove-member", "dba", "BOB@example.com") == "dba: ann@example.com, cy@example.com\n"
    )
    with db.read() as session:
        [entry] = audit.recent(session, action="group.member.remove")
    members = ["ann@example.com", "cy@example.com"]
    assert (entry.actor, entry.target, entry.detail) == ("cli", "dba", {"member": "bob@example.com",
                                                                        "members": members})  # fmt: skip


def test_remove_member_takes_out_someone_deactivated_since_they_joined(runner: CliRunner) -> None:
    hire(runner, "ann@example.com", "bob@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com")
    invoke(runner, "user", "set", "bob@example.com", "--disable")
    assert invoke(runner, "group", "remove-member", "dba", "bob@example.com") == "dba: ann@example.com\n"
    assert invoke(runner, "group", "remove-member", "dba", "ann@example.com") == "dba: no members\n"


def test_remove_member_of_someone_not_in_the_group_changes_nothing_and_says_where_to_look(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    invoke(runner, "group", "set", "dba", "--member", "ann@example.com")
    result = runner.invoke(main, ["group", "remove-member", "dba", "bob@example.com"])
    assert result.exit_code == 1 and result.output == (
        "Error: bob@example.com is not in dba; the Groups page and `switchboard group list` show its members\n"
    )
    assert invoke(runner, "group", "list") == "dba: ann@example.com\n"


def test_a_rule_assigning_to_someone_with_no_account_is_refused(runner: CliRunner) -> None:
    made = runner.invoke(main, ["rules", "add", "--name", "crit", "--field", "severity", "--value", "critical",
                                "--assign", "ghost@example.com"])  # fmt: skip
    assert made.exit_code == 1 and "--assign ghost@example.com: no active user has that address" in made.output
