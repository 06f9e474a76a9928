"""`switchboard sla`, run as a person would, against a fresh migrated home; and the catalogue as
docs/sla.md sets it up from the shell (services, calendars and policies together), and its audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import AuditEntry, BusinessCalendar, Service, SlaPolicy
from tests.docs import fenced, run_as_printed
from tests.hub.commands import run
from tests.staff import agents


def test_a_policy_is_listed_with_its_targets_and_calendar(runner: CliRunner) -> None:
    run(runner, "calendar", "add", "--name", "office", "--tz", "Europe/Berlin", "--hours", "mon-fri 09:00-17:00")
    run(runner, "service", "add", "--name", "mail")
    run(runner, "sla", "add", "--name", "P1 mail", "--priority", "P1", "--resolution", "4h", "--first-response",
        "30m", "--calendar", "office", "--service", "mail")  # fmt: skip
    listed = run(runner, "sla", "list")
    assert "P1 mail" in listed and "service mail" in listed
    assert "first response 30 min, resolution 4 h; warn at 75%; calendar office" in listed


def test_a_policy_on_an_unknown_calendar_is_refused_with_the_command_to_add_it(runner: CliRunner) -> None:
    result = runner.invoke(main, ["sla", "add", "--name", "x", "--priority", "P2", "--resolution", "1d",
                                  "--calendar", "nope"])  # fmt: skip
    assert result.exit_code == 1 and "switchboard calendar add" in result.output


def test_a_policy_needs_a_target(runner: CliRunner) -> None:
    result = runner.invoke(main, ["sla", "add", "--name", "x", "--priority", "P2"])
    assert result.exit_code == 1 and "--resolution 4h" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--priority", "urgent", "--resolution", "4h"], "Invalid value for --priority: 'urgent' is not a priority"),
        (["--priority", "P1", "--resolution", "4 hours"], "Invalid value for --resolution: '4 hours' is not a"),
    ],
)
def test_a_mistyped_priority_or_target_names_its_option(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["sla", "add", "--name", "x", *args])
    assert result.exit_code == 2 and message in result.output


def test_a_policy_for_requests_is_listed_as_such_and_set_kind_empty_makes_it_for_both(runner: CliRunner) -> None:
    run(runner, "sla", "add", "--name", "P3 requests", "--priority", "P3", "--resolution", "5d", "--kind", "request")
    assert "service requests only" in run(runner, "sla", "list")
    run(runner, "sla", "set", "P3 requests", "--kind", "")
    assert "service requests only" not in run(runner, "sla", "list")


def test_an_unknown_kind_names_its_option_and_the_kinds_there_are(runner: CliRunner) -> None:
    result = runner.invoke(main, ["sla", "add", "--name", "x", "--priority", "P3", "--resolution", "5d",
                                  "--kind", "ticket"])  # fmt: skip
    assert result.exit_code == 2
    assert "Invalid value for --kind: the kind is 'incident' (incidents) or 'request' (service requests)" in (
        " ".join(result.output.split())
    )


def test_a_policy_removed_says_what_became_of_the_clocks_it_ran(runner: CliRunner) -> None:
    run(runner, "sla", "add", "--name", "P1", "--priority", "P1", "--resolution", "4h")
    assert run(runner, "sla", "remove", "P1") == (
        "removed SLA policy 'P1'; no unresolved incident ran clocks under it\n"
    )
    assert run(runner, "sla", "list") == ""
    result = runner.invoke(main, ["sla", "remove", "P1"])
    assert result.exit_code == 1 and "there is no SLA policy 'P1'" in result.output


def test_catalogue_changes_from_the_shell_are_audited(runner: CliRunner, db: Database) -> None:
    run(runner, "service", "add", "--name", "mail")
    run(runner, "service", "set", "mail", "--public")
    run(runner, "calendar", "add", "--name", "office", "--tz", "UTC", "--hours", "24x7")
    run(runner, "sla", "add", "--name", "P1", "--priority", "P1", "--resolution", "4h", "--calendar", "office")
    run(runner, "sla", "set", "P1", "--resolution", "8h")
    run(runner, "calendar", "set", "office", "--hours", "mon-fri 09:00-17:00")
    run(runner, "sla", "remove", "P1")
    run(runner, "calendar", "remove", "office")
    run(runner, "service", "rename", "mail", "email")
    run(runner, "service", "remove", "email")
    with db.read() as session:
        entries = [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert entries == [("cli", "service.add", "mail"), ("cli", "service.change", "mail"),
                       ("cli", "calendar.add", "office"), ("cli", "sla.add", "P1"), ("cli", "sla.change", "P1"),
                       ("cli", "calendar.change", "office"), ("cli", "sla.remove", "P1"),
                       ("cli", "calendar.remove", "office"), ("cli", "service.rename", "mail"),
                       ("cli", "service.remove", "email")]  # fmt: skip


def test_waiting_on_an_unknown_incident_says_so(runner: CliRunner, db: Database) -> None:
    agents(db, "ann@example.com")
    result = runner.invoke(main, ["sla", "wait", "INC-99", "--as", "ann@example.com"])
    assert result.exit_code == 1 and "no incident INC-99" in result.output


def test_the_documented_set_up_runs_as_printed_and_makes_what_it_says(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [set_up] = fenced("docs/sla.md", "Copy-paste set-up", "sh")
    out = run_as_printed(set_up, settings, tmp_path)

    assert "added calendar office-ical: Europe/Berlin, mon-fri 09:00-17:00; 1 more holiday date(s)" in out
    with db.read() as session:
        calendars = {c.id: c.name for c in session.scalars(select(BusinessCalendar))}
        policies = {p.name: calendars.get(p.calendar_id) for p in session.scalars(select(SlaPolicy))}
    assert sorted(calendars.values()) == ["office-berlin", "office-ical", "support-ny"]
    assert policies == {"P1": None, "P1 mail": None, "P3 office": "office-berlin"}


def test_the_documented_changes_run_as_printed_after_the_set_up(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [set_up] = fenced("docs/sla.md", "Copy-paste set-up", "sh")
    [changes] = fenced("docs/sla.md", "Changing the catalogue from the shell", "sh")
    run_as_printed(set_up, settings, tmp_path)
    out = run_as_printed(changes, settings, tmp_path)

    assert "service mail renamed to email; 1 SLA policy follows" in out
    assert "service fax removed\n" in out and out.endswith("removed calendar 'office-berlin'\n")
    with db.read() as session:
        policies = {p.name: (p.service, p.resolution, p.next_update, p.calendar_id)
                    for p in session.scalars(select(SlaPolicy))}  # fmt: skip
        calendars = sorted(session.scalars(select(BusinessCalendar.name)))
        major_group = session.scalar(select(Service.major_group).where(Service.name == "email"))
    assert policies["P1 mail"] == ("email", 3 * 3600, 3600, None) and major_group == "messaging-mim"
    assert policies["P3 office"][3] is None and calendars == ["office-ical", "support-ny"]


def test_the_documented_policy_for_requests_runs_as_printed_and_is_listed_for_requests_only(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    [block, _] = fenced("docs/sla.md", "Requests and incidents", "sh")
    out = run_as_printed(block, settings, tmp_path)
    listed = [line for line in out.splitlines() if line.startswith("P3")]
    assert [line[:20].strip() for line in listed] == ["P3", "P3 requests"]
    assert " all " in listed[0] and " service requests only " in listed[1]
    with db.read() as session:
        kinds = {p.name: p.kind for p in session.scalars(select(SlaPolicy))}
    assert kinds == {"P3": None, "P3 requests": "request"}


def test_the_documented_breach_rule_names_its_channel(settings: Settings, db: Database, tmp_path: Path) -> None:
    from hub import groups

    with db.transaction() as session:  # whom the escalation pages, made first as the block says
        groups.save_group(session, "dba", agents(session, "oncall@example.com", "dba1@example.com"))
    [block] = fenced("docs/sla.md", "Rules on warnings and breaches", "sh")
    out = run_as_printed(block, settings, tmp_path)
    assert "MATCH  P1 breaches page the DBAs  -> channels=ops-slack, escalation=db-oncall" in out


def test_a_policy_changed_from_the_shell_keeps_what_no_option_names(runner: CliRunner) -> None:
    run(runner, "calendar", "add", "--name", "office", "--tz", "Europe/Berlin", "--hours", "mon-fri 09:00-17:00")
    run(runner, "sla", "add", "--name", "P1", "--priority", "P1", "--resolution", "4h", "--first-response", "30m",
        "--calendar", "office")  # fmt: skip
    assert run(runner, "sla", "set", "P1", "--resolution", "8h", "--first-response", "") == (
        "SLA policy 'P1': no unresolved incident runs clocks under it\n"
    )
    assert "P1                   P1  all                          resolution 8 h; warn at 75%; calendar office" in run(
        runner, "sla", "list"
    )
    assert run(runner, "sla", "set", "P1", "--resolution", "8h") == "SLA policy 'P1': nothing changed\n"


def test_a_policy_change_that_names_no_change_is_a_usage_mistake(runner: CliRunner) -> None:
    result = runner.invoke(main, ["sla", "set", "P1"])
    assert result.exit_code == 2 and "say what to change, e.g. --resolution 4h" in result.output


def test_every_command_has_help(runner: CliRunner) -> None:
    assert "Usage" in run(runner, "sla", "--help")


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("sla", "set"), "Change the policy NAME: the options given replace its terms"),
    ],
)
def test_every_change_command_says_what_it_does(runner: CliRunner, command: tuple[str, str], said: str) -> None:
    assert said in " ".join(run(runner, *command, "--help").split())
