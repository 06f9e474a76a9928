"""`switchboard incident note|reply --spent`, `time-correct`, `time-take-back`, and the time entries `show` lists,
run as an admin on the box would against a fresh migrated home: the incident page's time card, through the same
hub functions, leaving the same entries, totals and timeline lines."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import incident_notes
from hub.db import Database
from hub.intake import Intake
from hub.models import TimeEntry
from hub.time_spent import Spent
from tests.hub.commands import refused, run
from tests.hub.majors import ANN, BOB, opened, staff
from tests.hub.test_incident_actions_cli import emailed
from tests.hub.test_incident_cli import incident, timeline

AS_ANN = ("--as", "ann@example.com")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """Ann and Bob agents, Carol an admin, Vic a viewer."""
    staff(db)


def entries(db: Database, number: int) -> list[tuple[str, int, str | None]]:
    with db.read() as session:
        rows = session.scalars(select(TimeEntry).where(TimeEntry.incident_id == number).order_by(TimeEntry.id))
        return [(row.who, row.minutes, row.what) for row in rows]


def logged(db: Database, number: int, minutes: int, by: str = "ann", what: str | None = None) -> int:
    """A time entry logged on the page by Ann (or Bob); its id."""
    incident_notes.log_time(db, number, Spent(minutes, what), {"ann": ANN, "bob": BOB}[by])
    with db.read() as session:
        return session.scalars(select(TimeEntry.id).order_by(TimeEntry.id.desc())).first() or 0


# -- with a note or a reply -----------------------------------------------------------------------------------


def test_a_note_with_spent_logs_the_time_in_its_entry(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "note", f"INC-{number}", "Rebooted the spooler", "--spent", "25m", *AS_ANN)
    assert said == f"INC-{number}: note added (25 min spent)\n"
    assert entries(db, number) == [("ann@example.com", 25, None)] and incident(db, number).minutes_spent == 25
    assert timeline(db, number, "note") == ["Note by ann@example.com (25 min spent)"]


def test_a_reply_with_spent_logs_the_time_in_its_entry(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = emailed(intake)
    said = run(runner, "incident", "reply", f"INC-{number}", "On its way", "--spent", "1:30", *AS_ANN)
    assert said == f"INC-{number}: reply queued to rita@example.org (1 h 30 min spent)\n"
    assert entries(db, number) == [("ann@example.com", 90, None)]
    assert timeline(db, number, "reply") == ["Reply by ann@example.com to rita@example.org (1 h 30 min spent)"]


def test_spent_that_is_no_time_names_the_option_and_writes_nothing(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "note", f"INC-{number}", "hi", "--spent", "soon", *AS_ANN, code=2)
    assert "'--spent'" in said and "write minutes (25), hours (1.5h), or both (1h 30m)" in said
    assert timeline(db, number, "note") == []


def test_spent_past_the_pages_limit_is_refused_as_the_page_refuses_it(runner: CliRunner, intake: Intake) -> None:
    number = emailed(intake)
    said = refused(runner, "incident", "reply", f"INC-{number}", "hi", "--spent", "13h", *AS_ANN, code=2)
    assert "time spent is logged from 1 minute to 12 hours at a time, not 13h" in said


# -- show -----------------------------------------------------------------------------------------------------


def test_show_lists_the_time_entries_with_their_numbers_and_the_total(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    first, second = logged(db, number, 60, what="phone call"), logged(db, number, 5, by="bob")
    shown = run(runner, "incident", "show", f"INC-{number}")
    lines = shown[shown.index("time spent: 1 h 5 min\n") :].splitlines()
    assert lines[1].startswith(f"  #{first:<5} ") and lines[1].endswith("  ann@example.com  1 h: phone call")
    assert lines[2].startswith(f"  #{second:<5} ") and lines[2].endswith("  bob@example.com  5 min")


def test_show_of_an_incident_with_no_time_has_no_time_lines(runner: CliRunner, intake: Intake) -> None:
    assert "time spent" not in run(runner, "incident", "show", f"INC-{opened(intake)}")


# -- correct --------------------------------------------------------------------------------------------------


def test_time_correct_changes_the_minutes_and_the_total(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 3, what="phone call")
    said = run(runner, "incident", "time-correct", f"INC-{number}", f"#{entry}", "30m", *AS_ANN)
    assert said == f"INC-{number}: time entry #{entry} is corrected to 30 min\n"
    assert entries(db, number) == [("ann@example.com", 30, "phone call")] and incident(db, number).minutes_spent == 30
    assert timeline(db, number, "time")[-1] == "3 min spent by ann@example.com corrected to 30 min by ann@example.com"


def test_time_correct_with_only_a_note_keeps_the_minutes(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, what="phone call")
    run(runner, "incident", "time-correct", f"INC-{number}", str(entry), "--note", "desk visit", *AS_ANN)
    assert entries(db, number) == [("ann@example.com", 20, "desk visit")]


def test_time_correct_with_an_empty_note_clears_it(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, what="phone call")
    run(runner, "incident", "time-correct", f"INC-{number}", str(entry), "--note", "", *AS_ANN)
    assert entries(db, number) == [("ann@example.com", 20, None)]


def test_time_correct_to_what_it_says_already_says_so(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20)
    said = run(runner, "incident", "time-correct", f"INC-{number}", str(entry), "20", *AS_ANN)
    assert said == f"INC-{number}: time entry #{entry} already said so\n"
    assert len(timeline(db, number, "time")) == 1


def test_time_correct_with_nothing_to_correct_says_what_to_give(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    entry = logged(db, number, 20)
    said = refused(runner, "incident", "time-correct", f"INC-{number}", str(entry), *AS_ANN, code=2)
    assert "say what to correct: the time, what it went on, or both: MINUTES, --note TEXT, or both" in said


def test_an_agent_cannot_correct_time_a_colleague_logged(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, by="bob")
    said = refused(runner, "incident", "time-correct", f"INC-{number}", str(entry), "2h", *AS_ANN)
    assert "that time was logged by bob@example.com; only they or an admin can correct it" in said
    assert entries(db, number) == [("bob@example.com", 20, None)]


def test_an_admin_corrects_time_a_colleague_logged(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, by="bob")
    run(runner, "incident", "time-correct", f"INC-{number}", str(entry), "2h", "--as", "carol@example.com")
    assert entries(db, number) == [("bob@example.com", 120, None)]


def test_an_entry_that_is_not_a_number_says_where_they_are_listed(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "time-correct", f"INC-{number}", "last", "5m", *AS_ANN, code=2)
    assert "'last' is not a time entry's number; `switchboard incident show REF` lists them, like #12" in said


def test_an_entry_of_another_incident_is_not_found(runner: CliRunner, intake: Intake, db: Database) -> None:
    number, other = opened(intake), opened(intake, "Mail is slow")
    entry = logged(db, other, 20)
    said = refused(runner, "incident", "time-correct", f"INC-{number}", str(entry), "5m", *AS_ANN)
    assert f"there is no time entry #{entry} on this incident" in said


# -- take back ------------------------------------------------------------------------------------------------


def test_time_take_back_removes_it_from_the_total(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    logged(db, number, 10)
    entry = logged(db, number, 45)
    said = run(runner, "incident", "time-take-back", f"INC-{number}", str(entry), *AS_ANN)
    assert said == f"INC-{number}: time entry #{entry} is taken back\n"
    assert entries(db, number) == [("ann@example.com", 10, None)] and incident(db, number).minutes_spent == 10
    assert timeline(db, number, "time")[-1] == "45 min spent by ann@example.com taken back by ann@example.com"


def test_an_agent_cannot_take_back_time_a_colleague_logged(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, by="bob")
    said = refused(runner, "incident", "time-take-back", f"INC-{number}", str(entry), *AS_ANN)
    assert "that time was logged by bob@example.com; only they or an admin can take it back" in said


def test_an_admin_takes_back_time_a_colleague_logged(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    entry = logged(db, number, 20, by="bob")
    run(runner, "incident", "time-take-back", f"INC-{number}", str(entry), "--as", "carol@example.com")
    assert entries(db, number) == [] and incident(db, number).minutes_spent == 0
