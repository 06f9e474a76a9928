"""`switchboard review show`: one post-incident review as its page shows it, and `switchboard review follow-up`: its
follow-up actions added, taken out and filed as problems through the same hub actions as the page, for chat-ops and
scripts, done `--as` an active agent or admin (hub/acting_cli.py), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import accounts, audit, reviews
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident, MajorIncident, Problem, ReviewAction
from tests.docs import fenced, run_as_printed
from tests.hub.majors import ANN, MAIL, declared, opened, staff
from tests.web.both_databases import runner_on_the_same_database, settings_on_either_database  # noqa: F401

DETECTED = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def show(runner: CliRunner, ref: str, code: int = 0) -> str:
    result = runner.invoke(main, ["review", "show", ref])
    assert result.exit_code == code, result.output
    return result.output


def reviewed(intake: Intake) -> int:
    """A major incident detected at DETECTED, declared 5 minutes later and resolved 65 minutes after detection,
    whose review Ann started."""
    number = declared(intake, resolved=True)
    with intake.db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == number).values(
            first_seen=DETECTED, resolved_at=DETECTED + timedelta(minutes=65)))  # fmt: skip
        session.execute(update(MajorIncident).where(MajorIncident.incident_id == number).values(
            declared_at=DETECTED + timedelta(minutes=5)))  # fmt: skip
    reviews.start(intake.db, number, ANN)
    return number


def test_review_show_prints_the_state_coordinator_texts_and_key_times(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    reviews.save(intake.db, number, {"summary": "Payroll stopped.\nThe disk was full."}, ANN)
    lines = show(runner, f"inc-{number}").splitlines()
    assert lines[:8] == [
        f"INC-{number} Payroll is down", "Review: draft, started by ann@example.com, last saved by ann@example.com",
        "Coordinator: ann@example.com", "", "Summary:", "  Payroll stopped.", "  The disk was full.", "",
    ]  # fmt: skip
    assert lines[8:10] == ["Customer impact:", "  —"]
    times = lines[lines.index("Key times:") + 1 : lines.index("Follow-up actions:") - 1]
    assert times[:-1] == [
        "  Detected          2025-03-04 09:00 UTC",
        "  Declared major    2025-03-04 09:05 UTC  (5 min after detected)",
        "  Acknowledged      —",
        "  Resolved          2025-03-04 10:05 UTC  (1 h 05 min after detected)",
    ]
    assert times[-1].startswith("  Time as major     ")  # counted from the timeline, as hub/reviews.py's tests say


def test_review_show_lists_follow_ups_with_their_problems_and_states(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    filed = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN, owner="dba@example.com")
    kept = reviews.add_action(intake.db, number, "Rotate the logs", ANN)
    problem = reviews.file_problem(intake.db, number, filed, ANN)
    lines = show(runner, f"INC-{number}").splitlines()
    assert lines[lines.index("Follow-up actions:") + 1 :] == [
        f"  {filed:>4}  Alert on disk at 80% (owner dba@example.com): PRB-{problem} new",
        f"  {kept:>4}  Rotate the logs: not filed",
    ]


def test_review_show_of_a_published_review_says_who_published_it(runner: CliRunner, intake: Intake) -> None:
    number = reviewed(intake)
    reviews.save(intake.db, number, {"summary": "Payroll stopped."}, ANN)
    reviews.publish(intake.db, number, ANN, MAIL)
    assert show(runner, f"INC-{number}").splitlines()[1].startswith("Review: published by ann@example.com 20")


def test_review_show_of_an_incident_without_a_review_says_how_to_start_one(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = show(runner, f"INC-{number}", code=1)
    assert f"INC-{number} has no review yet: once the major incident is resolved, start it from its page" in said


def test_review_show_of_no_incident_says_so(runner: CliRunner) -> None:
    assert "there is no incident INC-99" in show(runner, "INC-99", code=1)


def follow_up(runner: CliRunner, *args: str, code: int = 0, who: str | None = "ann@example.com") -> str:
    """`switchboard review follow-up ARGS`, done `--as` Ann unless `who` names someone else (None: no `--as`)."""
    acting = ["--as", who] if who is not None else []
    result = runner.invoke(main, ["review", "follow-up", *args, *acting])
    assert result.exit_code == code, result.output
    return result.output


def actions(db: Database, number: int) -> list[tuple[str, str | None, str, int | None]]:
    """The review's follow-up actions: text, owner, who added it and the problem it was filed as."""
    with db.read() as session:
        review = reviews.of_incident(session, number)
        assert review is not None
        return [(a.text, a.owner, a.created_by, a.problem_id) for a in review.actions]


def test_a_follow_up_added_on_the_command_line_is_whoevers_acts_with_its_owner(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = reviewed(intake)
    said = follow_up(runner, "add", f"inc-{number}", " Alert on disk at 80% ", "--owner", "dba@example.com")
    with db.read() as session:
        action_id = session.scalars(select(ReviewAction.id)).one()
    assert said == f"INC-{number} has follow-up action {action_id}: Alert on disk at 80%\n"
    assert actions(db, number) == [("Alert on disk at 80%", "dba@example.com", "ann@example.com", None)]


def test_a_follow_up_added_as_someone_is_theirs(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = reviewed(intake)
    follow_up(runner, "add", f"INC-{number}", "Rotate the logs", who="Bob@Example.com")
    assert actions(db, number) == [("Rotate the logs", None, "bob@example.com", None)]


@pytest.mark.parametrize("command", [["add", "Rotate the logs"], ["remove", "1"], ["file", "1"]])
def test_each_follow_up_command_without_as_says_to_give_it(
    runner: CliRunner, intake: Intake, db: Database, command: list[str]
) -> None:
    number = reviewed(intake)
    reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN)
    said = follow_up(runner, command[0], f"INC-{number}", *command[1:], code=2, who=None)
    assert "Missing option '--as'" in said
    assert actions(db, number) == [("Alert on disk at 80%", None, "ann@example.com", None)]


def test_a_viewer_may_not_add_a_follow_up(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = reviewed(intake)
    said = follow_up(runner, "add", f"INC-{number}", "Rotate the logs", code=1, who="vic@example.com")
    assert "--as vic@example.com: that user is a viewer, who only reads incidents; act as an agent or admin" in said
    assert actions(db, number) == []


def test_someone_deactivated_after_the_first_check_files_no_follow_up(
    runner: CliRunner, intake: Intake, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = reviewed(intake)
    action = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN)
    file_problem = reviews.file_problem

    def deactivated_first(guarded: Database, *args: Any, **kwargs: Any) -> int:
        with db.transaction() as session:  # another admin, between `--as`'s check and the action
            accounts.change_user(session, "bob@example.com", active=False)
        return file_problem(guarded, *args, **kwargs)

    monkeypatch.setattr(reviews, "file_problem", deactivated_first)
    said = follow_up(runner, "file", f"INC-{number}", str(action), code=1, who="bob@example.com")
    assert "--as bob@example.com: that user is deactivated; act as an active agent or admin" in said
    assert actions(db, number)[0][3] is None


def test_a_follow_up_removed_on_the_command_line_leaves_the_review(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = reviewed(intake)
    gone = reviews.add_action(intake.db, number, "Rotate the logs", ANN)
    reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN)
    said = follow_up(runner, "remove", f"INC-{number}", str(gone))
    assert said == f"INC-{number} has follow-up action {gone} taken out of its review\n"
    assert [text for text, *_ in actions(db, number)] == ["Alert on disk at 80%"]


def test_a_follow_up_filed_on_the_command_line_is_a_problem_audited_as_whoever_acts(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = reviewed(intake)
    action = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN, owner="dba@example.com")
    said = follow_up(runner, "file", f"INC-{number}", str(action))
    with db.read() as session:
        problem = session.scalars(select(Problem)).one()
        [record] = audit.recent(session, action="problem.create")
    assert said == f"INC-{number} has follow-up action {action} tracked as {problem.ref}\n"
    assert (problem.title, problem.owner, problem.created_by) == ("Alert on disk at 80%", "dba@example.com",
                                                                  "ann@example.com")  # fmt: skip
    assert (record.actor, record.target) == ("ann@example.com", problem.ref)
    assert record.detail == {"incidents": 0, "review": f"INC-{number}"}
    assert actions(db, number)[0][3] == problem.id


def test_a_follow_up_of_a_published_review_is_filed_but_not_added(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = reviewed(intake)
    action = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN)
    reviews.save(intake.db, number, {"summary": "Payroll stopped."}, ANN)
    reviews.publish(intake.db, number, ANN, MAIL)
    refused = follow_up(runner, "add", f"INC-{number}", "Rotate the logs", code=1)
    assert f"the review of INC-{number} is published: it is the record now" in refused
    assert "tracked as PRB-" in follow_up(runner, "file", f"INC-{number}", str(action))


def test_a_follow_up_filed_as_a_problem_is_not_removed_and_the_refusal_says_what_to_do(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = reviewed(intake)
    action = reviews.add_action(intake.db, number, "Alert on disk at 80%", ANN)
    problem = reviews.file_problem(intake.db, number, action, ANN)
    refused = follow_up(runner, "remove", f"INC-{number}", str(action), code=1)
    assert f"that action is tracked as PRB-{problem}; close the problem if it is not to be done" in refused
    assert len(actions(db, number)) == 1


@pytest.mark.parametrize("command", ["remove", "file"])
def test_a_follow_up_the_review_does_not_have_says_where_the_ids_are(
    runner: CliRunner, intake: Intake, command: str
) -> None:
    number = reviewed(intake)
    refused = follow_up(runner, command, f"INC-{number}", "77", code=1)
    assert (
        f"the review of INC-{number} has no follow-up action 77; `switchboard review show INC-{number}` lists them "
        "with their ids" in refused
    )


def test_a_follow_up_of_an_incident_without_a_review_says_how_to_start_one(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    refused = follow_up(runner, "add", f"INC-{number}", "Rotate the logs", code=1)
    assert f"INC-{number} has no review; start it from the incident's page once it is resolved" in refused


def test_a_follow_up_of_several_lines_is_refused(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = reviewed(intake)
    assert "one line" in follow_up(runner, "add", f"INC-{number}", "Rotate\nthe logs", code=1)
    assert actions(db, number) == []


@pytest.mark.parametrize(
    "command", [["review", "follow-up"], ["review", "follow-up", "add"], ["review", "follow-up", "remove"],
                ["review", "follow-up", "file"]],
)  # fmt: skip
def test_every_follow_up_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and "switchboard review" in result.output


def test_the_documented_follow_up_commands_run_as_printed(
    intake: Intake, db: Database, settings: Settings, tmp_path: Path
) -> None:
    number = reviewed(intake)
    assert number == 1  # the document's INC-1
    [commands] = fenced("docs/major-incidents.md", "Follow-up actions from the command line", "sh")
    printed = run_as_printed(commands, settings, tmp_path).splitlines()
    assert printed == [
        "INC-1 has follow-up action 1: Alert on disk at 80%",
        "INC-1 has follow-up action 2: Rotate the logs",
        "INC-1 has follow-up action 2 taken out of its review",
        "INC-1 has follow-up action 1 tracked as PRB-1",
    ]
    assert actions(db, number) == [("Alert on disk at 80%", "ann@example.com", "ann@example.com", 1)]
