"""`switchboard incident acknowledge|wait|resume|close|merge|category|service|ci|title|watch|unwatch|public-note|
problem|reply|time`, run as an admin on the box would against a fresh migrated home: the incident page's actions,
through the same hub functions, leaving the same timeline, outbox and time entries. Correcting time is
tests/hub/test_incident_time_cli.py's; `--as` checked inside the action's transaction,
tests/hub/test_acting_cli.py's."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import catalogue, cis, problems, recipients, triage
from hub.attachments import AttachmentStore
from hub.cis import CiFields
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from hub.models import Attachment, OutboxMessage, TimeEntry
from tests.hub.commands import refused, run
from tests.hub.majors import CAROL, MAIL, RAW, mailed, opened, staff
from tests.hub.test_incident_cli import incident, timeline

ANN = ("--as", "ann@example.com")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """The major-incident tests' desk: Ann and Bob agents, Carol an admin, Vic a viewer."""
    staff(db)


def emailed(intake: Intake, title: str = "Printer jams") -> int:
    """An incident a requester mailed in, so there is someone to reply to."""
    event = InboundEvent(source="email", title=title, requester="rita@example.org", message_id=f"<{title}@x>")
    outcome = intake.record(RAW, event)
    assert outcome.incident_id is not None
    return outcome.incident_id


# -- status ---------------------------------------------------------------------------------------------------


def test_acknowledge_marks_it_acknowledged_on_the_timeline(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    assert run(runner, "incident", "acknowledge", f"INC-{number}", *ANN) == f"INC-{number} is acknowledged now\n"
    found = incident(db, number)
    assert found.status == "acknowledged" and found.acknowledged_at is not None
    assert timeline(db, number, "acknowledged") == ["Acknowledged by ann@example.com"]


def test_acknowledging_twice_names_the_status_it_may_start_from(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    run(runner, "incident", "acknowledge", f"INC-{number}", *ANN)
    said = refused(runner, "incident", "acknowledge", f"INC-{number}", *ANN)
    assert f"INC-{number} is acknowledged; only open incidents can be acknowledged" in said


def test_wait_sets_it_waiting_on_the_requester_and_resume_ends_it(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    assert run(runner, "incident", "wait", f"INC-{number}", *ANN) == f"INC-{number} is waiting now\n"
    assert incident(db, number).status == "waiting"
    assert run(runner, "incident", "resume", f"INC-{number}", *ANN) == f"INC-{number} is open now\n"
    assert incident(db, number).status == "open"


def test_waiting_on_a_resolved_incident_names_the_statuses_it_may_start_from(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    triage.change_status(intake.db, number, "resolve", CAROL, MAIL)
    said = refused(runner, "incident", "wait", f"INC-{number}", *ANN)
    assert f"INC-{number} is resolved; only open or acknowledged incidents can be set waiting" in said


def test_close_closes_a_resolved_incident(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    triage.change_status(db, number, "resolve", CAROL, MAIL)
    assert run(runner, "incident", "close", f"INC-{number}", *ANN) == f"INC-{number} is closed now\n"
    assert incident(db, number).status == "closed"
    assert timeline(db, number, "closed") == ["Closed by ann@example.com"]


def test_closing_an_open_incident_says_it_must_be_resolved_first(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "close", f"INC-{number}", *ANN)
    assert f"INC-{number} is open; only resolved incidents can be closed: resolve it first" in said


# -- fields ---------------------------------------------------------------------------------------------------


def test_merge_closes_the_duplicate_into_the_other(runner: CliRunner, intake: Intake, db: Database) -> None:
    kept, duplicate = opened(intake, "Payroll is down"), opened(intake, "Payroll down again")
    said = run(runner, "incident", "merge", f"INC-{duplicate}", "--into", f"inc-{kept}", *ANN)
    assert said == f"INC-{duplicate} is merged into INC-{kept}\n"
    found = incident(db, duplicate)
    assert (found.status, found.merged_into_id) == ("closed", kept) and incident(db, kept).occurrences == 2
    assert timeline(db, duplicate, "merged") == [f"Merged into INC-{kept} by ann@example.com"]
    assert timeline(db, kept, "merged") == [f"INC-{duplicate} merged into this by ann@example.com"]


def test_reopening_a_merged_incident_is_refused_naming_the_one_to_reopen(runner: CliRunner, intake: Intake) -> None:
    kept, duplicate = opened(intake, "Payroll is down"), opened(intake, "Payroll down again")
    run(runner, "incident", "merge", f"INC-{duplicate}", "--into", f"INC-{kept}", *ANN)
    said = refused(runner, "incident", "reopen", f"INC-{duplicate}", *ANN)
    assert f"INC-{duplicate} was merged into INC-{kept}: reopen INC-{kept} instead" in said


def test_merge_into_something_not_a_reference_names_the_option(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "merge", f"INC-{number}", "--into", "PRB-1", *ANN, code=2)
    assert "'--into'" in said and "is not an incident reference like INC-7" in said


def test_merging_an_incident_into_itself_is_refused(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "merge", f"INC-{number}", "--into", f"INC-{number}", *ANN)
    assert "an incident cannot be merged into itself" in said


def test_category_sets_it_and_says_so_when_it_already_was(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    assert run(runner, "incident", "category", f"INC-{number}", "hardware", *ANN) == (
        f"INC-{number} is in category hardware now\n"
    )
    assert incident(db, number).category == "hardware"
    assert timeline(db, number, "categorised") == ["Category general → hardware by ann@example.com"]
    assert run(runner, "incident", "category", f"INC-{number}", "hardware", *ANN) == (
        f"INC-{number} was already in category hardware\n"
    )


def test_an_empty_category_clears_it(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    triage.categorise(db, number, CAROL, category="hardware")
    assert run(runner, "incident", "category", f"INC-{number}", "", *ANN) == f"INC-{number} is in no category now\n"
    assert incident(db, number).category is None


def test_service_corrects_it_on_the_timeline_and_none_takes_it_off(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    said = run(runner, "incident", "service", f"INC-{number}", "payroll", *ANN)
    assert said == f"INC-{number} is on service payroll now\n" and incident(db, number).service == "payroll"
    assert run(runner, "incident", "service", f"INC-{number}", "--none", *ANN) == f"INC-{number} is on no service now\n"
    assert timeline(db, number, "categorised")[-1] == "Service payroll → — by ann@example.com"


def test_service_wants_a_name_or_none_not_both(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    for args in ([], ["payroll", "--none"]):
        assert runner.invoke(main, ["incident", "service", f"INC-{number}", *args, *ANN]).exit_code == 2


def test_ci_names_the_item_and_takes_its_service(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    with db.transaction() as session:
        catalogue.add_service(session, name="payroll")
        cis.create(session, CiFields("db1", "server", service="payroll"))
    said = run(runner, "incident", "ci", f"INC-{number}", "db1", *ANN)
    assert said == f"INC-{number}: CI — → db1, service payroll from it\n"
    found = incident(db, number)
    assert (found.ci.name if found.ci else None, found.service) == ("db1", "payroll")


def test_a_ci_there_is_not_is_refused_saying_why(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "ci", f"INC-{number}", "db9", *ANN)
    assert "db9" in said and incident(db, number).ci_id is None


def test_title_renames_it_keeping_the_old_one_on_the_timeline(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake, "Help!!!")
    assert run(runner, "incident", "title", f"INC-{number}", "Payroll export fails", *ANN) == (
        f"INC-{number} has a new title\n"
    )
    assert incident(db, number).title == "Payroll export fails"
    assert timeline(db, number, "retitled") == ["Title changed by ann@example.com"]


def test_an_empty_title_is_refused_saying_what_to_write(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "title", f"INC-{number}", " ", *ANN)
    assert "the title is empty; write what is wrong in a few words" in said


def test_watch_and_unwatch_add_and_remove_the_as_person(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "watch", f"INC-{number}", *ANN)
    assert said.startswith(f"INC-{number} is watched by ann@example.com: they hear when it is resolved")
    with db.read() as session:
        assert recipients.watchers(session.connection(), number) == ["ann@example.com"]
    assert run(runner, "incident", "watch", f"INC-{number}", *ANN) == (
        f"INC-{number} was already watched by ann@example.com\n"
    )
    assert run(runner, "incident", "unwatch", f"INC-{number}", *ANN) == (
        f"INC-{number} is no longer watched by ann@example.com\n"
    )
    assert timeline(db, number, "watch") == ["Watched by ann@example.com", "No longer watched by ann@example.com"]


def test_public_note_puts_words_for_the_public_on_the_status_page(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    with db.transaction() as session:
        catalogue.add_service(session, name="payroll", public=True)
    triage.categorise(db, number, CAROL, service="payroll")
    said = run(runner, "incident", "public-note", f"INC-{number}", "Payroll is late; a fix is on its way", *ANN)
    assert said == f"INC-{number} has a public status note\n"
    assert incident(db, number).public_note == "Payroll is late; a fix is on its way"
    assert timeline(db, number, "public_note") == ["Public status note set by ann@example.com"]


def test_public_note_on_no_public_service_says_it_is_shown_nowhere_yet(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    said = run(runner, "incident", "public-note", f"INC-{opened(intake)}", "Payroll is late", *ANN)
    assert said.splitlines()[1].startswith("Not shown anywhere yet: it is on no service; only incidents of a public")


def test_public_note_clear_takes_it_down(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    triage.set_public_note(db, number, "Payroll is late", CAROL)
    assert run(runner, "incident", "public-note", f"INC-{number}", "--clear", *ANN) == (
        f"INC-{number} has no public status note now\n"
    )
    assert incident(db, number).public_note is None
    assert timeline(db, number, "public_note")[-1] == "Public status note taken down by ann@example.com"


def test_public_note_saying_what_it_says_already_says_so(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    triage.set_public_note(db, number, "Payroll is late", CAROL)
    said = run(runner, "incident", "public-note", f"INC-{number}", " Payroll is late ", *ANN)
    assert said == f"INC-{number} already says that on the status page\n"


@pytest.mark.parametrize(("args", "told"), [([], "give the note's TEXT, or --clear to take it down"),
                                            (["Late", "--clear"], "give TEXT or --clear, not both")])  # fmt: skip
def test_public_note_takes_text_or_clear(runner: CliRunner, intake: Intake, args: list[str], told: str) -> None:
    number = opened(intake)
    assert told in refused(runner, "incident", "public-note", f"INC-{number}", *args, *ANN, code=2)


def test_problem_makes_it_part_of_the_problem_named(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    problem = problems.create(db, "Payroll job runs out of memory", "carol@example.com")
    said = run(runner, "incident", "problem", f"INC-{number}", f"PRB-{problem}", *ANN)
    assert said == f"INC-{number} is part of PRB-{problem} now\n" and incident(db, number).problem_id == problem
    assert timeline(db, number, "problem") == [
        f"Linked to PRB-{problem}: Payroll job runs out of memory (by ann@example.com)"
    ]


def test_problem_takes_an_open_problems_whole_title(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    problem = problems.create(db, "Payroll job runs out of memory", "carol@example.com")
    run(runner, "incident", "problem", f"INC-{number}", "payroll job runs out of memory", *ANN)
    assert incident(db, number).problem_id == problem


def test_problem_there_is_not_says_so(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "problem", f"INC-{number}", "PRB-9", *ANN)
    assert "there is no problem PRB-9; the Problems page or `switchboard problem list` shows them" in said
    assert incident(db, number).problem_id is None


def test_problem_unlink_takes_it_out(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    problem = problems.create(db, "Payroll job runs out of memory", "carol@example.com", incident_ids=(number,))
    said = run(runner, "incident", "problem", f"INC-{number}", "--unlink", *ANN)
    assert said == f"INC-{number} is no longer part of PRB-{problem}\n" and incident(db, number).problem_id is None
    assert run(runner, "incident", "problem", f"INC-{number}", "--unlink", *ANN) == (
        f"INC-{number} was part of no problem\n"
    )


def test_problem_takes_a_problem_or_unlink(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "problem", f"INC-{number}", *ANN, code=2)
    assert "name the problem (PRB-3, or its title), or --unlink to take REF out of its problem" in said


# -- reply and time -------------------------------------------------------------------------------------------


def test_reply_mails_the_requester_through_the_outbox_and_acknowledges(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = emailed(intake)
    said = run(runner, "incident", "reply", f"INC-{number}", "The toner is on order", *ANN)
    assert said == f"INC-{number}: reply queued to rita@example.org\n"
    assert mailed(db, number, "reply") == ["rita@example.org"]
    assert timeline(db, number, "reply") == ["Reply by ann@example.com to rita@example.org"]
    assert incident(db, number).status == "acknowledged"


def test_reply_attaches_files_to_the_mail_named_safely(
    runner: CliRunner, intake: Intake, db: Database, settings: Settings, tmp_path: Path
) -> None:
    number = emailed(intake)
    quote = tmp_path / "quote: toner.pdf"
    quote.write_bytes(b"%PDF-1.4 the quote")
    said = run(runner, "incident", "reply", f"INC-{number}", "", "--file", str(quote), *ANN)
    assert said == f"INC-{number}: reply queued to rita@example.org with 1 file\n"
    with db.read() as session:
        [file] = session.scalars(select(Attachment).where(Attachment.incident_id == number)).all()
        owed = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
    assert (file.filename, file.content_type, owed.attachment_ids) == ("quote_ toner.pdf", "application/pdf", [file.id])
    assert AttachmentStore.under(settings.home).path(file.sha256).read_bytes() == b"%PDF-1.4 the quote"


def test_reply_with_more_files_than_a_mail_carries_is_refused_and_nothing_sent(
    runner: CliRunner, intake: Intake, db: Database, tmp_path: Path
) -> None:
    number = emailed(intake)
    paths = [tmp_path / f"shot{n}.png" for n in range(6)]
    for path in paths:
        path.write_bytes(b"png")
    said = refused(runner, "incident", "reply", f"INC-{number}", "see", *(a for p in paths for a in ("--file", str(p))),
                   *ANN)  # fmt: skip
    assert "6 files chosen; attach at most 5" in said and mailed(db, number, "reply") == []


def test_reply_to_an_incident_with_no_requester_says_where_it_came_from(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "reply", f"INC-{number}", "hello", *ANN)
    assert f"INC-{number} has no requester to reply to (it came from generic)" in said


def test_an_empty_reply_says_to_write_or_attach(runner: CliRunner, intake: Intake) -> None:
    number = emailed(intake)
    assert "the reply is empty; write something or attach a file" in refused(
        runner, "incident", "reply", f"INC-{number}", "  ", *ANN
    )


def test_time_logs_minutes_with_what_they_went_on(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "time", f"INC-{number}", "1h 30m", "--note", "phone call", *ANN)
    assert said == f"INC-{number} has 1 h 30 min more spent on it\n"
    with db.read() as session:
        [logged] = session.scalars(select(TimeEntry).where(TimeEntry.incident_id == number)).all()
    assert (logged.who, logged.minutes, logged.what) == ("ann@example.com", 90, "phone call")
    assert timeline(db, number, "time") == ["1 h 30 min spent by ann@example.com: phone call"]


def test_time_that_is_no_time_is_a_usage_error_saying_how_to_write_it(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "time", f"INC-{number}", "soon", *ANN, code=2)
    assert "MINUTES" in said and "write minutes (25), hours (1.5h), or both (1h 30m)" in said


# -- who and help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["acknowledge"], ["close"], ["merge", "--into", "INC-1"], ["category", "x"], ["ci", ""], ["title", "x"],
     ["watch"], ["reply", "hi"], ["time", "5"], ["note", "hi", "--spent", "5"], ["time-correct", "1", "5"],
     ["time-take-back", "1"], ["public-note", "Late"], ["problem", "--unlink"]],
)  # fmt: skip
def test_every_new_action_as_a_viewer_is_refused(runner: CliRunner, intake: Intake, args: list[str]) -> None:
    number = opened(intake)
    said = refused(runner, "incident", args[0], f"INC-{number}", *args[1:], "--as", "vic@example.com")
    assert "--as vic@example.com: that user is a viewer, who only reads incidents" in said


@pytest.mark.parametrize("command", ["acknowledge", "wait", "resume", "close", "merge", "category", "service", "ci",
                                     "title", "watch", "unwatch", "reply", "time", "time-correct", "time-take-back",
                                     "public-note", "problem"])  # fmt: skip
def test_every_new_action_has_help_with_an_example_and_needs_as(runner: CliRunner, command: str) -> None:
    shown = run(runner, "incident", command, "--help")
    assert "Usage: main incident" in shown and f"switchboard incident {command} INC-" in shown and "--as" in shown
