"""`switchboard incident list|show|assign|note|resolve|reopen|priority` and the README's walk, run as an admin on
the box would against a fresh migrated home: the list page's search, and the page's actions through the same hub
functions. The other actions are tests/hub/test_incident_actions_cli.py's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from hub import accounts, groups, problems, triage
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Intake
from hub.models import Incident, OutboxMessage, TimelineEntry
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.hub.majors import CAROL, MAIL, RAW, mailed, opened, staff
from tests.web.helpers import add_incidents


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    """The major-incident tests' desk (Ann and Bob agents, Carol an admin, Vic a viewer), Ann and Bob named."""
    staff(db)
    with db.transaction() as session:
        accounts.set_display_name(session, "ann@example.com", "Ann Lee")
        accounts.set_display_name(session, "bob@example.com", "Bob Stone")


def timeline(db: Database, number: int, kind: str) -> list[str]:
    with db.read() as session:
        query = select(TimelineEntry.summary).where(TimelineEntry.incident_id == number, TimelineEntry.kind == kind)
        return list(session.scalars(query.order_by(TimelineEntry.id)))


def incident(db: Database, number: int) -> Incident:
    with db.read() as session:
        found = session.get(Incident, number)
        assert found is not None
        return found


# -- list -----------------------------------------------------------------------------------------------------


def test_list_shows_the_unresolved_newest_first_with_the_assignee_by_name(runner: CliRunner, intake: Intake) -> None:
    first = opened(intake, "Payroll is down", assignee="ann@example.com")
    second = opened(intake, "VPN drops")
    done = opened(intake, "Printer jams")
    triage.change_status(intake.db, done, "resolve", CAROL, MAIL)
    lines = run(runner, "incident", "list").splitlines()
    assert [line.split()[0] for line in lines] == [f"INC-{second}", f"INC-{first}"]
    assert lines[1].split()[1:3] == ["P1", "open"] and "Ann Lee" in lines[1] and lines[1].endswith("Payroll is down")


def test_list_status_all_and_a_status_name_are_the_list_pages(runner: CliRunner, intake: Intake) -> None:
    kept, done = opened(intake, "Payroll is down"), opened(intake, "Printer jams")
    triage.change_status(intake.db, done, "resolve", CAROL, MAIL)
    assert [line.split()[0] for line in run(runner, "incident", "list", "--status", "all").splitlines()] == [
        f"INC-{done}", f"INC-{kept}"
    ]  # fmt: skip
    assert run(runner, "incident", "list", "--status", "resolved").split()[0] == f"INC-{done}"


def test_list_refuses_a_status_there_is_not_naming_its_own_words_too(runner: CliRunner) -> None:
    said = refused(runner, "incident", "list", "--status", "opened", code=2)
    assert "not 'opened'; or unresolved (the default) or all" in said


def test_list_filters_by_assignee_group_and_unassigned(runner: CliRunner, intake: Intake, db: Database) -> None:
    ann = opened(intake, "Payroll is down", assignee="ann@example.com")
    dba = opened(intake, "Disk full on db1", assignee="dba")
    nobody = opened(intake, "Printer jams")  # the default rule gives it to service-desk, which no group holds
    with db.transaction() as session:
        groups.save_group(session, "dba", ["bob@example.com"])  # with an active member: someone's queue
    for option, number in ((["--assignee", "ANN@example.com"], ann), (["--group", "dba"], dba),
                           (["--unassigned"], nobody)):  # fmt: skip
        listed = run(runner, "incident", "list", *option).splitlines()
        assert [line.split()[0] for line in listed] == [f"INC-{number}"]


def test_list_searches_the_words_as_the_list_page_does(runner: CliRunner, intake: Intake) -> None:
    opened(intake, "Payroll is down")
    printer = opened(intake, "Printer on floor 3 jams")
    assert run(runner, "incident", "list", "--search", "print jam").split()[0] == f"INC-{printer}"
    assert run(runner, "incident", "list", "--search", "toner") == "no incidents match\n"


def test_list_filters_by_priority_and_service(runner: CliRunner, intake: Intake, db: Database) -> None:
    payroll, vpn = opened(intake, "Payroll is down"), opened(intake, "VPN drops")
    triage.set_priority(db, vpn, 3, CAROL)
    triage.categorise(db, payroll, CAROL, service="payroll")
    assert run(runner, "incident", "list", "--priority", "3").split()[0] == f"INC-{vpn}"
    assert run(runner, "incident", "list", "--service", "payroll").split()[0] == f"INC-{payroll}"


def test_list_takes_the_reports_period_as_the_list_does(runner: CliRunner, intake: Intake, db: Database) -> None:
    old, new = opened(intake, "Payroll is down"), opened(intake, "VPN drops")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == old).values(first_seen=datetime(2026, 1, 1, tzinfo=UTC)))
    listed = run(runner, "incident", "list", "--opened-since", "2026-02-01T00:00:00Z").splitlines()
    assert [line.split()[0] for line in listed] == [f"INC-{new}"]


def test_list_takes_no_assignee_and_refuses_it_beside_an_assignee(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    nobody = opened(intake, "Printer jams")
    opened(intake, "Payroll is down", assignee="ann@example.com")
    with db.transaction() as session:
        session.execute(update(Incident).where(Incident.id == nobody).values(assignee=None))
    assert [line.split()[0] for line in run(runner, "incident", "list", "--no-assignee").splitlines()] == [
        f"INC-{nobody}"
    ]  # fmt: skip
    said = refused(runner, "incident", "list", "--no-assignee", "--group", "dba", code=2)
    assert "--no-assignee" in said and "leave out 'assignee'" in said


def test_list_refuses_a_bad_time_naming_its_option(runner: CliRunner) -> None:
    said = refused(runner, "incident", "list", "--rated-since", "yesterday", code=2)
    assert "--rated-since" in said and "must be an ISO 8601 time" in said


def test_list_says_how_many_more_match_than_the_limit(runner: CliRunner, intake: Intake) -> None:
    for title in ("Payroll is down", "VPN drops", "Printer jams"):
        opened(intake, title)
    lines = run(runner, "incident", "list", "--limit", "2").splitlines()
    assert len(lines) == 3 and lines[-1].startswith("and 1 more: raise --limit")


def test_list_says_over_how_many_more_past_the_count_of_ten_thousand(runner: CliRunner, db: Database) -> None:
    add_incidents(db, 10_001)
    lines = run(runner, "incident", "list", "--limit", "2").splitlines()
    assert lines[-1].startswith("and over 9,998 more: raise --limit")


def test_list_json_is_the_apis_shape(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down", assignee="ann@example.com")
    [row] = json.loads(run(runner, "incident", "list", "--json"))
    assert row["ref"] == f"INC-{number}" and row["assignee"] == "ann@example.com" and row["major"] is False
    assert {"title", "status", "priority", "last_seen", "sla_due_at", "sla_state", "coordinator"} <= set(row)


def test_list_refuses_a_status_there_is_not(runner: CliRunner) -> None:
    said = refused(runner, "incident", "list", "--status", "pending", code=2)
    assert "--status" in said and "must be one of open, acknowledged, waiting, resolved, closed" in said


def test_list_takes_one_of_assignee_group_and_unassigned(runner: CliRunner) -> None:
    said = refused(runner, "incident", "list", "--assignee", "ann@example.com", "--unassigned", code=2)
    assert "give one of --assignee, --group and --unassigned" in said


# -- show -----------------------------------------------------------------------------------------------------


def test_show_prints_the_fields_and_the_timeline_naming_colleagues(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down", assignee="ann@example.com")
    shown = run(runner, "incident", "show", f"inc-{number}").splitlines()
    assert shown[0] == f"INC-{number} Payroll is down"
    assert "assignee: Ann Lee (ann@example.com)" in shown
    assigned = next(line for line in shown if "Assigned to" in line)
    assert assigned.endswith("Assigned to Ann Lee <ann@example.com> by carol@example.com")  # Carol has no name


def test_show_names_a_colleague_whose_address_has_an_apostrophe(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    with db.transaction() as session:
        accounts.create_user(session, email="o'brien@example.com", password="correct horse battery", role="agent")
        accounts.set_display_name(session, "o'brien@example.com", "Olive O'Brien")
    number = opened(intake, "Payroll is down", assignee="o'brien@example.com")
    shown = run(runner, "incident", "show", f"INC-{number}").splitlines()
    assigned = next(line for line in shown if "Assigned to" in line)
    assert assigned.endswith("Assigned to Olive O'Brien <o'brien@example.com> by carol@example.com")


def test_show_prints_the_timeline_oldest_first_with_a_notes_text(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down")
    run(runner, "incident", "note", f"INC-{number}", "Disk full on db1\nfreeing it", "--as", "bob@example.com")
    shown = run(runner, "incident", "show", f"INC-{number}").splitlines()
    note = next(i for i, line in enumerate(shown) if line.endswith("Note by Bob Stone <bob@example.com>"))
    assert shown[note + 1 : note + 3] == ["    Disk full on db1", "    freeing it"]
    assert note > next(i for i, line in enumerate(shown) if "Incident opened" in line or "Opened" in line)


def test_show_says_a_mail_on_the_timeline_as_the_incident_page_does(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down", assignee="ann@example.com")
    shown = run(runner, "incident", "show", f"INC-{number}")
    assert "  Assignment mail to Ann Lee <ann@example.com> queued\n" in shown
    assert "  assigned to " not in shown  # the outbox's kind is the record's, not what was sent


def test_show_prints_under_an_entry_what_the_page_shows(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down")
    triage.retitle(intake.db, number, "Payroll run fails", CAROL)
    triage.change_status(intake.db, number, "resolve", CAROL, MAIL, resolution="Freed disk on db1")
    shown = run(runner, "incident", "show", f"INC-{number}").splitlines()
    retitled = next(i for i, line in enumerate(shown) if line.endswith("Title changed by carol@example.com"))
    assert shown[retitled + 1] == "    Payroll is down → Payroll run fails"
    assert "    Freed disk on db1" in shown[retitled + 2 :]


def test_show_names_the_files_of_a_reply(runner: CliRunner, intake: Intake, tmp_path: Path) -> None:
    emailed = InboundEvent(source="email", title="Printer", requester="dana@example.org", message_id="<f@x>")
    number = intake.record(RAW, emailed).incident_id
    (quote := tmp_path / "quote.txt").write_text("toner")
    run(runner, "incident", "reply", f"INC-{number}", "Attached", "--file", str(quote), "--as", "ann@example.com")
    assert "    file: quote.txt (text/plain, 5 Bytes)\n" in run(runner, "incident", "show", f"INC-{number}")


def test_show_cuts_a_long_text_saying_how_to_see_it_whole(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake, "Payroll is down")
    long = "\n".join(f"line {n}" for n in range(25))
    run(runner, "incident", "note", f"INC-{number}", long, "--as", "bob@example.com")
    assert "    … 5 more lines: --full prints them\n" in run(runner, "incident", "show", f"INC-{number}")
    assert "    line 24\n" in run(runner, "incident", "show", f"INC-{number}", "--full")


def test_show_prints_the_problem_it_is_part_of(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake, "VPN drops")
    problems.create(db, "VPN idle timeout", "ann@example.com", incident_ids=(number,))
    assert "problem: PRB-1 (new): VPN idle timeout" in run(runner, "incident", "show", f"INC-{number}")


def test_show_of_an_incident_there_is_not_says_to_check_the_reference(runner: CliRunner) -> None:
    said = refused(runner, "incident", "show", "INC-99")
    assert "there is no incident INC-99: check the reference, as the incident page or list shows it" in said


def test_show_of_something_not_a_reference_is_a_usage_error(runner: CliRunner) -> None:
    assert "is not an incident reference like INC-7" in refused(runner, "incident", "show", "PRB-1", code=2)


# -- actions --------------------------------------------------------------------------------------------------


def test_assign_gives_it_to_a_person_as_the_page_does(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "assign", f"INC-{number}", "Bob@example.com", "--as", "ann@example.com")
    assert said == f"INC-{number} is assigned to Bob Stone (bob@example.com)\n"
    assert incident(db, number).assignee == "bob@example.com"
    assert timeline(db, number, "assigned") == ["Assigned to bob@example.com by ann@example.com"]
    assert mailed(db, number, "assigned") == ["bob@example.com"]


def test_assign_to_a_group_takes_its_name(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    said = run(runner, "incident", "assign", f"INC-{number}", "service-desk", "--as", "ann@example.com")
    assert said == f"INC-{number} is assigned to service-desk\n" and incident(db, number).assignee == "service-desk"


def test_assign_to_someone_with_no_account_says_what_to_do(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "assign", f"INC-{number}", "zed@example.com", "--as", "ann@example.com")
    assert "zed@example.com is not an active user; create one with `switchboard user create`" in said


def test_a_note_mentioning_a_colleague_mails_them_as_the_page_does(
    runner: CliRunner, intake: Intake, db: Database
) -> None:
    number = opened(intake)
    said = run(runner, "incident", "note", f"INC-{number}", "@bob have a look; @nobody", "--as", "ann@example.com")
    assert said == (f"INC-{number}: note added; mailed to bob@example.com (no user is called @nobody: no one was "
                    "told of those)\n")  # fmt: skip
    assert timeline(db, number, "note") == ["Note by ann@example.com, mentioning bob@example.com"]
    assert mailed(db, number, "mentioned") == ["bob@example.com"]


def test_resolve_keeps_the_resolution_and_tells_the_assignee(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake, assignee="bob@example.com")
    said = run(runner, "incident", "resolve", f"INC-{number}", "--resolution", "Freed disk", "--as", "ann@example.com")
    assert said == f"INC-{number} is resolved now\n"
    found = incident(db, number)
    assert (found.status, found.resolution) == ("resolved", "Freed disk")
    assert timeline(db, number, "resolved") == ["Resolved by ann@example.com"]
    with db.read() as session:
        kinds = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == "bob@example.com"))
        assert "resolved" in list(kinds)


def test_reopen_clears_the_resolution(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    triage.change_status(db, number, "resolve", CAROL, MAIL, resolution="Freed disk")
    assert (
        run(runner, "incident", "reopen", f"INC-{number}", "--as", "ann@example.com") == f"INC-{number} is open now\n"
    )
    found = incident(db, number)
    assert (found.status, found.resolution) == ("open", None)
    assert timeline(db, number, "open") == ["Reopened by ann@example.com"]


def test_reopening_an_open_incident_says_which_can_be(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    said = refused(runner, "incident", "reopen", f"INC-{number}", "--as", "ann@example.com")
    assert f"INC-{number} is open; only resolved or closed incidents can be reopened" in said


def test_priority_changes_it_on_the_timeline(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    assert run(runner, "incident", "priority", f"INC-{number}", "3", "--as", "ann@example.com") == (
        f"INC-{number} is P3 now\n"
    )
    assert incident(db, number).priority == 3
    assert timeline(db, number, "priority") == ["Priority P1 → P3 by ann@example.com"]


def test_a_priority_out_of_range_is_a_usage_error(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    assert "1<=x<=5" in refused(runner, "incident", "priority", f"INC-{number}", "9", "--as", "ann@example.com", code=2)


def test_an_action_on_an_incident_there_is_not_says_so(runner: CliRunner) -> None:
    assert "there is no incident INC-99" in refused(runner, "incident", "reopen", "INC-99", "--as", "ann@example.com")


@pytest.mark.parametrize(
    ("actor", "why"),
    [("zed@example.com", "no one here has that address; an admin adds them with `switchboard user create` first"),
     ("vic@example.com", "that user is a viewer, who only reads incidents; act as an agent or admin")],
)  # fmt: skip
def test_an_action_as_someone_who_does_not_work_incidents_is_refused(
    runner: CliRunner, intake: Intake, db: Database, actor: str, why: str
) -> None:
    number = opened(intake)
    assert f"--as {actor}: {why}" in refused(runner, "incident", "priority", f"INC-{number}", "3", "--as", actor)
    assert incident(db, number).priority == 1


def test_an_action_as_someone_deactivated_is_refused(runner: CliRunner, intake: Intake, db: Database) -> None:
    number = opened(intake)
    run(runner, "user", "set", "bob@example.com", "--disable")
    said = refused(runner, "incident", "note", f"INC-{number}", "looking", "--as", "bob@example.com")
    assert "--as bob@example.com: that user is deactivated" in said and timeline(db, number, "note") == []


def test_an_action_needs_as(runner: CliRunner, intake: Intake) -> None:
    number = opened(intake)
    assert "Missing option '--as'" in refused(runner, "incident", "reopen", f"INC-{number}", code=2)


@pytest.mark.parametrize("command", ["list", "show", "assign", "note", "resolve", "reopen", "priority", "major"])
def test_every_incident_command_has_help(runner: CliRunner, command: str) -> None:
    assert "Usage: main incident" in run(runner, "incident", command, "--help")


def test_the_documented_walk_runs_as_printed(settings: Settings, intake: Intake, db: Database, tmp_path: Path) -> None:
    with db.transaction() as session:  # the tour's admin, alert and email
        accounts.create_user(session, email="you@example.com", password="a long passphrase", role="admin")
    opened(intake, "Disk full on db1")
    emailed = InboundEvent(source="email", title="Printer on fire", requester="dana@example.org", message_id="<p@x>")
    intake.record(RAW, emailed)  # the tour's INC-2 is a request someone mailed
    out = run_as_printed(fenced("README.md", "From the command line", "sh")[0], settings, tmp_path)
    assert "INC-3 logged; dana@example.org is mailed its reference\n" in out
    assert "INC-2 is assigned to Sam Reed (sam@example.com)\n" in out
    assert "INC-2: note added (10 min spent); mailed to sam@example.com\n" in out
    assert "INC-2 has a public status note\n" in out and "time spent: 25 min\n" in out
    assert "INC-2: reply queued to dana@example.org\n" in out and mailed(db, 2, "reply") == ["dana@example.org"]
    assert "INC-2 has 15 min more spent on it\n" in out and "INC-2 is closed now\n" in out
    assert "Assigned to Sam Reed <sam@example.com> by you@example.com" in out
    assert "resolution: Replaced the toner" in out and "INC-2 is open now" in out
    assert "INC-2 is a service request now\n" in out and "[request] Printer on fire" in out
    [listed] = json.loads(out[out.rindex("[\n") :])
    assert (listed["ref"], listed["priority"], listed["status"], listed["kind"]) == ("INC-2", 2, "open", "request")
