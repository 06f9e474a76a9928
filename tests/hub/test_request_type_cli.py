"""`switchboard request-type`: the request catalogue from a terminal, with the checks the pages and API make."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from hub import groups
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from hub.models import AuditEntry, utcnow
from rules import compile_rule, decide, rules_file
from tests.docs import fenced, run_as_printed
from tests.hub.commands import run
from tests.hub.majors import RAW
from tests.hub.test_cli import database
from tests.hub.test_request_type_report import _desk
from tests.staff import agents


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


def test_steps_and_no_steps_together_are_refused_saying_to_give_one(runner: CliRunner) -> None:
    runner.invoke(main, ["request-type", "add", "Fax line", "--summary", "A fax"])
    refused = runner.invoke(main, ["request-type", "set", "Fax line", "--step", "Plug it in", "--no-steps"])
    assert refused.exit_code == 2 and "give --step lines or --no-steps, not both" in refused.output


def test_a_retired_type_is_left_out_of_the_active_list_until_restored(runner: CliRunner) -> None:
    runner.invoke(main, ["request-type", "add", "Fax line", "--summary", "A fax"])
    assert runner.invoke(main, ["request-type", "retire", "Fax line"]).exit_code == 0
    assert "Fax line" not in runner.invoke(main, ["request-type", "list", "--active"]).output
    assert runner.invoke(main, ["request-type", "restore", "Fax line"]).exit_code == 0
    assert "Fax line (active)" in runner.invoke(main, ["request-type", "list", "--active"]).output


def test_retiring_a_retired_type_says_so_and_audits_nothing(runner: CliRunner, tmp_path: Path) -> None:
    run(runner, "request-type", "add", "VPN access", "--summary", "Remote access")
    run(runner, "request-type", "retire", "VPN access")
    assert "VPN access is already retired" in run(runner, "request-type", "retire", "VPN access")
    with database(tmp_path).read() as session:
        assert list(session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("request_type.r%")))) == [
            "request_type.retire"
        ]


def test_set_replaces_the_questions_and_clears_the_category(runner: CliRunner) -> None:
    runner.invoke(main, ["request-type", "add", "VPN", "--summary", "Remote access", "--category", "network",
                         "--question", "Why"])  # fmt: skip
    changed = runner.invoke(main, ["request-type", "set", "VPN", "--category", "", "--question", "Until when? *"])
    assert changed.exit_code == 0, changed.output
    assert "category -," in changed.output and "questions: Until when? *" in changed.output


def test_setting_a_type_that_does_not_exist_says_how_to_list_them(runner: CliRunner) -> None:
    missing = runner.invoke(main, ["request-type", "set", "Nothing", "--summary", "x"])
    assert missing.exit_code == 1 and "request-type list" in missing.output


def test_incident_list_finds_only_the_requests_of_a_request_type(runner: CliRunner, intake: Intake) -> None:
    """The intake keeps the active request type an event names on its incident; the list filters by its name."""
    run(runner, "request-type", "add", "VPN access", "--summary", "Remote access")
    intake.record(RAW, InboundEvent(source="web", title="VPN for Sam", kind="request", request_type="VPN access"))
    intake.record(RAW, InboundEvent(source="web", title="A mouse", kind="request"))
    listed = run(runner, "incident", "list", "--request-type", "VPN access")
    assert "VPN for Sam" in listed and "A mouse" not in listed
    assert "no incidents match" in run(runner, "incident", "list", "--request-type", "Fax line")


def test_incident_list_of_a_request_type_there_is_not_says_so(runner: CliRunner) -> None:
    run(runner, "request-type", "add", "VPN access", "--summary", "Remote access")
    assert run(runner, "incident", "list", "--request-type", "VPN access") == "no incidents match\n"
    assert "there is no request type 'vpn access'; `switchboard request-type list`" in run(
        runner, "incident", "list", "--request-type", "vpn access"
    )


def test_the_documented_catalogue_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:
        groups.save_group(session, "hardware", agents(session, "sam@example.com"))
    [block] = fenced("docs/requests.md", "Setting up the catalogue", "sh")
    out = run_as_printed(block, settings, tmp_path)
    assert "New laptop (active)" in out and "VPN access (retired)" in out and "questions: Until when? *" in out
    assert out.endswith("no incidents match\n")


def test_the_documented_rule_tests_the_request_type() -> None:
    [block] = fenced("docs/requests.md", "Routing", "yaml")
    [rule] = [compile_rule(spec) for spec in rules_file.parse_file(block).rules]
    asked = InboundEvent(source="web", title="A laptop", kind="request", request_type="New laptop")
    assert decide(asked, [rule]).assignee == "dev-desk"


def test_the_report_gives_each_type_its_counts_and_times(runner: CliRunner, db: Database) -> None:
    _desk(db, utcnow())
    lines = run(runner, "request-type", "report").splitlines()
    assert lines[0].split() == ["request", "type", "asked", "open", "resolved", "median", "p90", "attainment"]
    assert lines[1].split() == ["New", "laptop", "3", "1", "2", "2", "h", "00", "min", "10", "h", "00", "min", "33%"]


def test_the_report_as_json_has_times_in_minutes(runner: CliRunner, db: Database) -> None:
    _desk(db, utcnow())
    [laptop, *_] = json.loads(run(runner, "request-type", "report", "--days", "7", "--json"))
    assert laptop == {"request_type": "New laptop", "asked": 3, "open": 1, "resolved": 2, "median_minutes": 120,
                      "p90_minutes": 600, "resolution_met": 1, "resolution_breached": 2,
                      "attainment": 0.3333}  # fmt: skip


def test_the_report_with_nothing_asked_says_so(runner: CliRunner) -> None:
    assert run(runner, "request-type", "report", "--days", "7") == "no service requests asked in the last 7 days\n"


def test_the_documented_report_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    _desk(db, utcnow())
    [block] = fenced("docs/requests.md", "How long requests take", "sh")
    out = run_as_printed(block, settings, tmp_path)
    assert "New laptop" in out and '"median_minutes": 120' in out
