"""`switchboard incident approval ask|list|decide|withdraw|remind`, run as an admin on the box would: the same hub
functions as the pages, with agents asking `--as` themselves and the approver deciding `--as` themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub import accounts
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.hub.majors import mailed, opened, staff
from tests.hub.test_incident_cli import timeline

ANN = ("--as", "ann@example.com")
VIC = ("--as", "vic@example.com")  # a viewer: a manager who approves


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def test_an_agent_asks_and_the_approver_is_mailed(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com",
               "--note", "Within budget?", *ANN)  # fmt: skip
    assert said == f"approval 1 on INC-{number} asked of vic@example.com: they were mailed a link to decide\n"
    assert timeline(db, number, "approval") == ["Approval asked of vic@example.com by ann@example.com: Within budget?"]
    assert "vic@example.com" in mailed(db, number, "approval_asked")


def test_a_viewer_decides_their_own_approval_and_the_list_shows_it(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com", *ANN)
    said = run(runner, "incident", "approval", "decide", "1", "approve", "--comment", "Go ahead", *VIC)
    assert said == f"approval 1 on INC-{number} is approved now\n"
    listed = run(runner, "incident", "approval", "list", f"INC-{number}")
    assert listed.startswith("1     approved   vic@example.com") and listed.rstrip().endswith("comment: Go ahead")


def test_listing_the_approvals_of_an_incident_there_is_not_says_so(runner: CliRunner) -> None:
    assert "there is no incident INC-99" in refused(runner, "incident", "approval", "list", "INC-99")


def test_someone_else_cannot_decide_and_a_deactivated_approver_is_refused(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com", *ANN)
    assert "only they decide it" in refused(runner, "incident", "approval", "decide", "1", "approve", *ANN)
    with db.transaction() as session:
        accounts.change_user(session, "vic@example.com", active=False)
    assert "no active user" in refused(runner, "incident", "approval", "decide", "1", "approve", *VIC)


def test_a_viewer_cannot_ask_and_an_agent_withdraws(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    assert "only reads incidents" in refused(runner, "incident", "approval", "ask", f"INC-{number}", "--approver",
                                             "bob@example.com", *VIC)  # fmt: skip
    run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com", *ANN)
    assert run(runner, "incident", "approval", "withdraw", "1", *ANN) == f"approval 1 on INC-{number} is withdrawn\n"
    assert "withdrawn already" in refused(runner, "incident", "approval", "withdraw", "1", *ANN)


def test_an_agent_reminds_the_approver_now(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com", *ANN)
    said = run(runner, "incident", "approval", "remind", "1", *ANN)
    assert said == f"approval 1 on INC-{number}: vic@example.com was mailed a reminder\n"
    assert mailed(db, number, "approval_reminder") == ["vic@example.com"]
    assert timeline(db, number, "approval")[-1].startswith("Reminder sent to vic@example.com: approval 1 has waited")


def test_reminding_is_refused_to_a_viewer_and_for_an_approver_no_longer_active(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    run(runner, "incident", "approval", "ask", f"INC-{number}", "--approver", "vic@example.com", *ANN)
    assert "only reads incidents" in refused(runner, "incident", "approval", "remind", "1", *VIC)
    with db.transaction() as session:
        accounts.change_user(session, "vic@example.com", active=False)
    assert "no longer active; withdraw approval 1" in refused(runner, "incident", "approval", "remind", "1", *ANN)
    assert mailed(db, number, "approval_reminder") == []


def test_the_list_can_keep_only_incidents_awaiting_approval(runner: CliRunner, intake: Intake) -> None:
    waiting, other = opened(intake), opened(intake, "Disk full on db2")
    run(runner, "incident", "approval", "ask", f"INC-{waiting}", "--approver", "vic@example.com", *ANN)
    listed = run(runner, "incident", "list", "--approval", "pending")
    assert f"INC-{waiting} " in listed and f"INC-{other} " not in listed


def test_the_documented_commands_run_as_printed(
    intake: Intake, db: Database, settings: Settings, tmp_path: Path
) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="boss@example.com", password="correct horse battery", role="viewer")
    number = opened(intake, "A laptop for Carol")
    assert number == 1, "the document names INC-1"
    [commands] = fenced("docs/approvals.md", "From the command line", "sh")
    printed = run_as_printed(commands, settings, tmp_path).splitlines()
    assert printed[0] == "approval 1 on INC-1 asked of boss@example.com: they were mailed a link to decide"
    assert printed[1].startswith("INC-1 ") and printed[1].endswith("A laptop for Carol")
    assert printed[2] == "approval 1 on INC-1 is approved now"
    assert printed[3].startswith("1     approved   boss@example.com") and printed[3].endswith(
        "note: Within budget?  comment: Go ahead"
    )


def test_the_documented_reminder_runs_as_printed(
    runner: CliRunner, intake: Intake, db: Database, settings: Settings, tmp_path: Path
) -> None:
    number = opened(intake)
    assert number == 1, "the document names approval 1"
    run(runner, "incident", "approval", "ask", "INC-1", "--approver", "vic@example.com", *ANN)
    [command] = fenced("docs/approvals.md", "Reminders", "sh")
    printed = run_as_printed(command, settings, tmp_path)
    assert printed == "approval 1 on INC-1: vic@example.com was mailed a reminder\n"
    assert mailed(db, number, "approval_reminder") == ["vic@example.com"]
