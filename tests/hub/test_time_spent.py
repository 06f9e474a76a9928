"""Time spent on incidents: what people type, the entries and each incident's total, and the report's sums; on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import incident_notes, time_spent
from hub.agent_action import Actor, Mail, TriageError
from hub.cli import main
from hub.db import Database
from hub.errors import BadInput
from hub.models import Incident, TimeEntry, TimelineEntry, utcnow
from hub.time_spent import Correction, Spent

ANN, BOB = Actor("ann@example.com"), Actor("bob@example.com")
MAIL = Mail(desk_address="helpdesk@example.com", base_url="https://desk.example.com")


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("25", 25), ("25m", 25), ("25 min", 25), ("1h", 60), ("1.5h", 90), ("1h 30m", 90), ("1h30m", 90),
     ("2 hours", 120), ("1:30", 90), (" 45M ", 45), ("12h", 720)],
)  # fmt: skip
def test_what_people_type_becomes_minutes(typed: str, minutes: int) -> None:
    assert time_spent.parse_spent(typed) == minutes


@pytest.mark.parametrize("typed", ["", "soon", "1x", "-5", "1:75", "h", "m"])
def test_what_is_no_time_is_refused_with_examples(typed: str) -> None:
    with pytest.raises(BadInput, match=r"write minutes \(25\), hours \(1.5h\), or both"):
        time_spent.parse_spent(typed)


@pytest.mark.parametrize("typed", ["0", "13h", "90h"])
def test_nothing_and_more_than_twelve_hours_at_once_are_refused(typed: str) -> None:
    with pytest.raises(BadInput, match="from 1 minute to 12 hours at a time"):
        time_spent.parse_spent(typed)


@pytest.mark.parametrize(("minutes", "said"), [(0, "0 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min")])
def test_time_is_described_in_hours_and_minutes(minutes: int, said: str) -> None:
    assert time_spent.describe(minutes) == said


def incident(database: Database, category: str | None = None, service: str | None = None) -> int:
    with database.transaction() as session:
        row = Incident(title="Printer jams", source="desk", category=category, service=service)
        session.add(row)
        session.flush()
        return row.id


def total(database: Database, incident_id: int) -> int:
    with database.read() as session:
        found = session.get(Incident, incident_id)
        assert found is not None
        return found.minutes_spent


def test_logged_time_adds_to_the_incidents_total_and_its_timeline(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(25, "a call"), ANN)
    incident_notes.log_time(database, number, Spent(60), BOB)
    assert total(database, number) == 85
    with database.read() as session:
        summaries = list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "time")))
        assert [e.minutes for e in time_spent.entries(session, number)] == [25, 60]
    assert summaries == ["25 min spent by ann@example.com: a call", "1 h spent by bob@example.com"]


def test_time_logged_with_a_note_is_one_entry_named_in_the_note(database: Database) -> None:
    number = incident(database)
    incident_notes.add_note(database, number, "Replaced the drum.", ANN, MAIL, Spent(40))
    assert total(database, number) == 40
    with database.read() as session:
        note = session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "note")).one()
    assert note.summary == "Note by ann@example.com (40 min spent)" and note.data["minutes"] == 40


def test_people_take_back_their_own_time_and_the_total_follows(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(90), ANN)
    with database.read() as session:
        [entry] = time_spent.entries(session, number)
    incident_notes.take_back_time(database, number, entry.id, ANN)
    assert total(database, number) == 0
    with database.read() as session:
        assert time_spent.entries(session, number) == []
        last = session.scalars(select(TimelineEntry.summary).order_by(TimelineEntry.id.desc())).first()
    assert last == "1 h 30 min spent by ann@example.com taken back by ann@example.com"


def test_only_an_admin_takes_back_someone_elses_time(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(30), ANN)
    with database.read() as session:
        [entry] = time_spent.entries(session, number)
    with pytest.raises(TriageError, match=r"logged by ann@example\.com; only they or an admin"):
        incident_notes.take_back_time(database, number, entry.id, BOB)
    incident_notes.take_back_time(database, number, entry.id, BOB, anyones=True)
    assert total(database, number) == 0


def test_an_entry_of_another_incident_cannot_be_taken_back_through_this_one(database: Database) -> None:
    first, second = incident(database), incident(database)
    incident_notes.log_time(database, first, Spent(30), ANN)
    with database.read() as session:
        [entry] = time_spent.entries(session, first)
    with pytest.raises(TriageError, match=f"no time entry #{entry.id} on this incident"):
        incident_notes.take_back_time(database, second, entry.id, ANN)
    assert total(database, first) == 30


def test_the_report_sums_time_by_person_category_and_service(database: Database) -> None:
    printers = incident(database, category="hardware", service="printing")
    mail = incident(database, category="software", service="mail")
    incident_notes.log_time(database, printers, Spent(30), ANN)
    incident_notes.log_time(database, printers, Spent(15), BOB)
    incident_notes.log_time(database, mail, Spent(60), ANN)
    now = utcnow()
    with database.read() as session:
        by_who = time_spent.totals(session, "who", now - timedelta(days=1), now + timedelta(minutes=1))
        by_category = time_spent.totals(session, "category", now - timedelta(days=1), now + timedelta(minutes=1))
        before = time_spent.totals(session, "who", now - timedelta(days=2), now - timedelta(days=1))
    assert [(t.key, t.minutes, t.incidents, t.entries) for t in by_who] == [
        ("ann@example.com", 90, 2, 2), ("bob@example.com", 15, 1, 1)]  # fmt: skip
    assert [(t.key, t.minutes) for t in by_category] == [("software", 60), ("hardware", 45)]
    assert before == []


def test_a_spent_of_nothing_or_too_much_is_refused() -> None:
    with pytest.raises(BadInput):
        Spent(0)
    with pytest.raises(BadInput):
        Spent(time_spent.MOST_MINUTES + 1)
    with pytest.raises(BadInput, match="under 500 characters"):
        Spent(5, "x" * 501)


def test_the_time_report_command_prints_totals_and_csv(runner: CliRunner, tmp_path: Path) -> None:
    home = Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")
    try:
        number = incident(home, category="hardware")
        incident_notes.log_time(home, number, Spent(90), ANN)
        incident_notes.log_time(home, number, Spent(15), BOB)
    finally:
        home.dispose()
    table = runner.invoke(main, ["time", "report", "--days", "7"])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines() == [
        "ann@example.com    1 h 30 min  1 incident",
        "bob@example.com        15 min  1 incident",
        "total              1 h 45 min",
    ]
    as_csv = runner.invoke(main, ["time", "report", "--by", "category", "--csv"])
    assert as_csv.output.splitlines() == ["name,minutes,incidents,entries", "hardware,105,1,2"]


def test_the_time_report_command_of_one_kind_sums_time_on_that_kind_only(runner: CliRunner, tmp_path: Path) -> None:
    home = Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")
    try:
        broken, wanted = incident(home), incident(home)
        with home.transaction() as session:
            session.execute(update(Incident).where(Incident.id == wanted).values(kind="request"))
        incident_notes.log_time(home, broken, Spent(90), ANN)
        incident_notes.log_time(home, wanted, Spent(15), BOB)
    finally:
        home.dispose()
    report = runner.invoke(main, ["time", "report", "--kind", "request", "--csv"])
    assert report.output.splitlines() == ["name,minutes,incidents,entries", "bob@example.com,15,1,1"]


def test_the_time_report_command_refuses_a_kind_there_is_not(runner: CliRunner) -> None:
    report = runner.invoke(main, ["time", "report", "--kind", "task"])
    assert report.exit_code == 2 and "'task' is not one of 'incident', 'request'" in report.output


def test_the_time_report_command_says_when_nothing_was_logged(runner: CliRunner) -> None:
    assert runner.invoke(main, ["time", "report"]).output == "no time logged in the last 30 days\n"


def only_entry(database: Database, incident_id: int) -> int:
    with database.read() as session:
        [entry] = time_spent.entries(session, incident_id)
    return entry.id


def test_people_correct_their_own_time_and_the_total_follows(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(3, "a call"), ANN)
    incident_notes.log_time(database, number, Spent(10), BOB)
    with database.read() as session:
        typo = time_spent.entries(session, number)[0].id
    assert incident_notes.correct_time(database, number, typo, Correction(minutes=30), ANN)
    assert total(database, number) == 40
    with database.read() as session:
        corrected = time_spent.entries(session, number)[0]
    assert (corrected.minutes, corrected.what) == (30, "a call")


def test_a_correction_of_what_the_time_went_on_keeps_its_minutes(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(25, "a call"), ANN)
    incident_notes.correct_time(database, number, only_entry(database, number), Correction(what="a visit"), ANN)
    with database.read() as session:
        [entry] = time_spent.entries(session, number)
    assert (entry.minutes, entry.what) == (25, "a visit") and total(database, number) == 25


def test_a_correction_writes_what_the_entry_said_before_on_the_timeline(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(25, "a call"), ANN)
    entry_id = only_entry(database, number)
    incident_notes.correct_time(database, number, entry_id, Correction(minutes=30, what=""), BOB, anyones=True)
    with database.read() as session:
        last = session.scalars(select(TimelineEntry).order_by(TimelineEntry.id.desc())).first()
    assert last is not None and last.kind == "time"
    assert (
        last.summary
        == "25 min spent by ann@example.com corrected to 30 min by bob@example.com (what it went on cleared)"
    )
    assert last.data == {
        "by": "bob@example.com", "who": "ann@example.com", "time_entry": entry_id, "minutes": 5,
        "before": {"minutes": 25, "what": "a call"}, "after": {"minutes": 30, "what": None},
    }  # fmt: skip


def test_a_correction_to_what_the_entry_already_says_changes_nothing(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(25, "a call"), ANN)
    assert not incident_notes.correct_time(
        database, number, only_entry(database, number), Correction(25, "a call"), ANN
    )
    with database.read() as session:
        summaries = list(session.scalars(select(TimelineEntry.summary).where(TimelineEntry.kind == "time")))
    assert summaries == ["25 min spent by ann@example.com: a call"]


def test_only_an_admin_corrects_someone_elses_time(database: Database) -> None:
    number = incident(database)
    incident_notes.log_time(database, number, Spent(30), ANN)
    entry_id = only_entry(database, number)
    with pytest.raises(TriageError, match=r"logged by ann@example\.com; only they or an admin can correct it"):
        incident_notes.correct_time(database, number, entry_id, Correction(minutes=45), BOB)
    assert total(database, number) == 30
    incident_notes.correct_time(database, number, entry_id, Correction(minutes=45), BOB, anyones=True)
    assert total(database, number) == 45


def test_an_entry_of_another_incident_cannot_be_corrected_through_this_one(database: Database) -> None:
    first, second = incident(database), incident(database)
    incident_notes.log_time(database, first, Spent(30), ANN)
    entry_id = only_entry(database, first)
    with pytest.raises(TriageError, match=f"no time entry #{entry_id} on this incident"):
        incident_notes.correct_time(database, second, entry_id, Correction(minutes=5), ANN)
    assert total(database, first) == 30 and total(database, second) == 0


@pytest.mark.parametrize("minutes", [0, -5, time_spent.MOST_MINUTES + 1])
def test_a_correction_to_nothing_or_too_much_is_refused(minutes: int) -> None:
    with pytest.raises(BadInput, match="from 1 minute to 12 hours at a time"):
        Correction(minutes=minutes)


def test_a_correction_must_correct_something() -> None:
    with pytest.raises(BadInput, match="say what to correct"):
        Correction()
    with pytest.raises(BadInput, match="under 500 characters"):
        Correction(what="x" * 501)


def test_the_report_counts_the_corrected_time_in_the_week_it_was_logged(database: Database) -> None:
    number = incident(database, category="hardware")
    incident_notes.log_time(database, number, Spent(3), ANN)
    entry_id = only_entry(database, number)
    with database.transaction() as session:  # logged last week
        session.execute(update(TimeEntry).values(at=utcnow() - timedelta(days=8)))
    incident_notes.correct_time(database, number, entry_id, Correction(minutes=30), ANN)
    now = utcnow()
    with database.read() as session:
        last_week = time_spent.totals(session, "category", now - timedelta(days=14), now - timedelta(days=7))
        this_week = time_spent.totals(session, "category", now - timedelta(days=7), now + timedelta(minutes=1))
    assert [(t.key, t.minutes, t.entries) for t in last_week] == [("hardware", 30, 1)]
    assert this_week == []
