"""`switchboard calendar`, run as a person would, against a fresh migrated home."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from tests.hub.commands import run


def test_a_calendar_with_regional_holidays_and_an_ical_file(runner: CliRunner, tmp_path: Path) -> None:
    ical = tmp_path / "closed.ics"
    ical.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261224\nEND:VEVENT\nEND:VCALENDAR\n")
    out = run(runner, "calendar", "add", "--name", "office", "--tz", "Europe/Berlin", "--hours",
              "mon-fri 09:00-17:00", "--holidays", "DE-BY", "--ical", str(ical))  # fmt: skip
    assert "holidays DE-BY; 1 more holiday date(s)" in out
    assert "office: Europe/Berlin, mon-fri 09:00-17:00;" in run(runner, "calendar", "list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tz", "Berlin", "--hours", "mon-fri 09:00-17:00"], "not an IANA time zone"),
        (["--tz", "UTC", "--hours", "weekdays 9 to 5"], "days are mon, tue"),
        (["--tz", "UTC", "--hours", "24x7", "--holidays", "XX"], "knows no country"),
    ],
)
def test_a_bad_calendar_is_refused_saying_what_to_write(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["calendar", "add", "--name", "c", *args])
    assert result.exit_code == 1 and message in result.output


def test_a_calendar_changed_from_the_shell_takes_new_closed_days_and_is_removed_once_unused(
    runner: CliRunner, tmp_path: Path
) -> None:
    ical = tmp_path / "closed.ics"
    ical.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261231\nEND:VEVENT\nEND:VCALENDAR\n")
    run(runner, "calendar", "add", "--name", "office", "--tz", "UTC", "--hours", "24x7", "--holidays", "DE")
    run(runner, "calendar", "set", "office", "--holidays", "", "--holiday", "2026-12-24", "--ical", str(ical))
    assert run(runner, "calendar", "list") == "office: UTC, 24x7; 2 more holiday date(s)\n"
    run(runner, "sla", "add", "--name", "P1", "--priority", "P1", "--resolution", "4h", "--calendar", "office")
    refused = runner.invoke(main, ["calendar", "remove", "office"])
    assert refused.exit_code == 1 and "the clocks of SLA policy 'P1' run on calendar 'office'" in refused.output
    run(runner, "sla", "set", "P1", "--calendar", "")
    assert run(runner, "calendar", "remove", "office") == "removed calendar 'office'\n"


def test_a_mistyped_closed_day_names_its_option(runner: CliRunner) -> None:
    run(runner, "calendar", "add", "--name", "office", "--tz", "UTC", "--hours", "24x7")
    result = runner.invoke(main, ["calendar", "set", "office", "--holiday", "24.12."])
    assert result.exit_code == 2 and "Invalid value for --holiday: '24.12.' is not a date" in result.output


def test_every_command_has_help(runner: CliRunner) -> None:
    assert "Usage" in run(runner, "calendar", "--help")


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("calendar", "set"), "Change the calendar NAME: the options given replace what they name"),
        (("calendar", "remove"), "Remove the calendar NAME; refused while an SLA policy's clocks run on it"),
    ],
)
def test_every_change_command_says_what_it_does(runner: CliRunner, command: tuple[str, str], said: str) -> None:
    assert said in " ".join(run(runner, *command, "--help").split())
