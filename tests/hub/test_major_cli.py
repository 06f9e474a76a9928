"""`switchboard incident` and `switchboard review`, run as a person would against a fresh migrated home: the same
hub actions as the incident page, done `--as` an active agent or admin (a review's follow-ups too:
tests/hub/test_review_cli.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import accounts, major_incidents, reviews, triage
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import AuditEntry, Incident, TimelineEntry, utcnow
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.hub.majors import ANN, MAIL, declared, mailed, opened, staff


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def summaries(db: Database, number: int) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(TimelineEntry.incident_id == number,
                                                    TimelineEntry.kind.in_(("major", "stood_down")))  # fmt: skip
        return list(session.scalars(query.order_by(TimelineEntry.id)))


def test_a_major_incident_is_declared_handed_over_and_stood_down_on_the_command_line(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    ref = f"INC-{number}"
    said = run(runner, "incident", "major", ref, "--reason", "Nobody can run payroll",
               "--coordinator", "ann@example.com", "--as", "carol@example.com")  # fmt: skip
    assert said == f"{ref} is a major incident, coordinated by ann@example.com\n"
    assert (
        run(runner, "incident", "coordinator", ref.lower(), "Bob@Example.com", "--as", "ann@example.com")
        == f"{ref} is coordinated by bob@example.com now\n"
    )
    assert (
        run(runner, "incident", "stand-down", ref, "--note", "One printer", "--as", "bob@example.com")
        == f"{ref} is no longer a major incident\n"
    )
    assert summaries(db, number) == [
        "Declared a major incident by carol@example.com: Nobody can run payroll. Coordinator: ann@example.com",
        "Coordination handed over from ann@example.com to bob@example.com by ann@example.com",
        "Stood down as a major incident by bob@example.com: One printer",
    ]
    with db.read() as session:
        audited = list(session.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id)))
    assert audited[-3:] == [("carol@example.com", "incident.major"), ("ann@example.com", "incident.coordinator"),
                            ("bob@example.com", "incident.stand_down")]  # fmt: skip


def test_as_names_who_acts_coordinates_by_default_and_is_not_paged(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake, assignee="bob@example.com")
    said = run(runner, "incident", "major", f"INC-{number}", "--reason", "Payroll down", "--as", "ann@example.com")
    assert said.endswith("coordinated by ann@example.com\n")
    assert summaries(db, number)[0].startswith("Declared a major incident by ann@example.com")
    assert mailed(db, number, "major_declared") == ["bob@example.com"]  # the assignee; Ann acted


@pytest.mark.parametrize(
    "args", [["major", "--reason", "Payroll down", "--coordinator", "ann@example.com"],
             ["coordinator", "bob@example.com"], ["stand-down"]],
)  # fmt: skip
def test_each_major_incident_command_without_as_says_to_give_it(
    runner: CliRunner, intake: Intake, db: Database, args: list[str]
) -> None:
    number = opened(intake)
    said = refused(runner, "incident", args[0], f"INC-{number}", *args[1:], code=2)
    assert "Missing option '--as'" in said
    assert summaries(db, number) == []


def test_a_viewer_may_not_declare_a_major_incident(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "major", f"INC-{number}", "--reason", "Payroll down", "--as", "vic@example.com")
    assert "--as vic@example.com: that user is a viewer, who only reads incidents; act as an agent or admin" in said
    assert summaries(db, number) == []


def test_someone_deactivated_after_the_first_check_does_not_stand_a_major_incident_down(
    runner: CliRunner, intake: Intake, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = declared(intake)
    stand_down = major_incidents.stand_down

    def deactivated_first(guarded: Database, *args: Any, **kwargs: Any) -> None:
        with db.transaction() as session:  # another admin, between `--as`'s check and the action
            accounts.change_user(session, "bob@example.com", active=False)
        stand_down(guarded, *args, **kwargs)

    monkeypatch.setattr(major_incidents, "stand_down", deactivated_first)
    said = refused(runner, "incident", "stand-down", f"INC-{number}", "--as", "bob@example.com")
    assert "--as bob@example.com: that user is deactivated; act as an active agent or admin" in said
    assert summaries(db, number) == ["Declared a major incident by ann@example.com: Nobody can run payroll. "
                                     "Coordinator: ann@example.com"]  # fmt: skip


def test_a_refusal_says_what_to_do_instead(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    args = ("incident", "major", f"INC-{number}", "--reason", "Payroll down", "--as", "ann@example.com")
    run(runner, *args)
    assert "hand it over to change its coordinator" in refused(runner, *args)
    handed = refused(runner, "incident", "coordinator", f"INC-{number}", "vic@example.com", "--as", "ann@example.com")
    assert "vic@example.com is not an active agent or admin" in handed
    missing = refused(runner, "incident", "stand-down", "INC-99", "--as", "ann@example.com")
    assert "there is no incident INC-99" in missing


def test_handing_over_to_the_coordinator_again_says_so(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    run(runner, "incident", "major", f"INC-{number}", "--reason", "Payroll down", "--as", "ann@example.com")
    said = run(runner, "incident", "coordinator", f"INC-{number}", "ann@example.com", "--as", "bob@example.com")
    assert said == f"INC-{number} is coordinated by ann@example.com already\n"


def test_a_reference_that_is_not_one_is_a_usage_error(runner: CliRunner) -> None:
    said = refused(runner, "incident", "stand-down", "7", "--as", "ann@example.com", code=2)
    assert "'7' is not an incident reference like INC-7" in said


def test_review_list_shows_reviews_owed_and_written_and_overdue_picks_the_late(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    numbers = []
    for title in ("Payroll is down", "Mail is down"):
        number = opened(intake, title)
        run(runner, "incident", "major", f"INC-{number}", "--reason", "Everyone", "--as", "ann@example.com")
        triage.change_status(db, number, "resolve", ANN, MAIL)
        numbers.append(number)
    late, recent = numbers
    reviews.start(db, late, ANN)
    long_ago = utcnow() - timedelta(days=9)
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == late).values(resolved_at=long_ago))
    listed = run(runner, "review", "list").splitlines()
    assert [line.split()[:2] for line in listed] == [[f"INC-{recent}", "not_started"], [f"INC-{late}", "draft"]]
    [overdue] = run(runner, "review", "list", "--overdue").splitlines()
    due = long_ago + reviews.DEFAULT_DUE
    assert overdue.startswith(f"INC-{late}    draft       OVERDUE since {due:%Y-%m-%d %H:%M}")
    assert overdue.endswith("ann@example.com          Payroll is down")
    assert run(runner, "review", "list", "--state", "published") == (
        "No reviews match: a major incident owes one once it is resolved\n"
    )


def test_review_list_names_the_states_there_are(runner: CliRunner) -> None:
    said = refused(runner, "review", "list", "--state", "owed", code=2)
    assert "owed: a review is not_started, draft, published" in said


def test_the_documented_commands_run_as_printed(
    runner: CliRunner, settings: Settings, intake: Intake, db: Database, tmp_path: Path
) -> None:
    number = opened(intake)
    [commands] = fenced("docs/major-incidents.md", "From the command line", "sh")
    assert run_as_printed(commands, settings, tmp_path).splitlines() == [
        f"INC-{number} is a major incident, coordinated by ann@example.com",
        f"INC-{number} is coordinated by bob@example.com now",
        f"INC-{number} is no longer a major incident",
    ]
    assert summaries(db, number) == [
        "Declared a major incident by bob@example.com: Nobody can run payroll. Coordinator: ann@example.com",
        "Coordination handed over from ann@example.com to bob@example.com by ann@example.com",
        "Stood down as a major incident by bob@example.com: One printer, not the floor",
    ]


@pytest.mark.parametrize(
    "command", [["incident"], ["incident", "major"], ["incident", "coordinator"], ["incident", "stand-down"],
                ["review"], ["review", "list"], ["review", "show"]],
)  # fmt: skip
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    assert "Usage:" in run(runner, *command, "--help")
