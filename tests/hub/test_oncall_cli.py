"""`switchboard oncall`: a rotation set, overridden and read from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from hub.cli import main
from tests.staff import hire

AS = ("--as", "ann@example.com")  # who arranges the cover, as on the On call page


def rotation(runner: CliRunner) -> None:
    hire(runner, "ann@example.com", "bob@example.com", "dan@example.com")
    assert runner.invoke(main, ["group", "set", "dba", "--member", "ann@example.com", "--member", "bob@example.com"]
                         ).exit_code == 0  # fmt: skip
    result = runner.invoke(main, ["oncall", "set", "dba", "--shift", "1d", "--handoff", "00:00", "--tz", "UTC"])
    assert result.exit_code == 0, result.output


def test_set_says_who_is_on_call_and_who_is_next(runner: CliRunner) -> None:
    rotation(runner)
    line = runner.invoke(main, ["oncall", "list"]).output
    assert line.startswith("dba: ann@example.com on call until ") and ", then bob@example.com (shifts of 1 d" in line


def test_an_override_shows_in_the_rota_with_its_id(runner: CliRunner) -> None:
    rotation(runner)
    tomorrow = f"{datetime.now(UTC) + timedelta(days=1):%Y-%m-%d}"
    made = runner.invoke(main, ["oncall", "override", "dba", "--who", "dan@example.com", "--starts", tomorrow,
                                "--duration", "12h", *AS])  # fmt: skip
    assert made.output == "added override 1 to dba's rotation\n"
    result = runner.invoke(main, ["oncall", "show", "dba", "--days", "3"])
    assert result.exit_code == 0 and result.output.startswith("Shifts of dba, times in UTC:")
    assert f"{tomorrow} 00:00 .. " in result.output and "dan@example.com  (override 1)" in result.output


def test_an_override_far_ahead_is_refused(runner: CliRunner) -> None:
    rotation(runner)
    made = runner.invoke(main, ["oncall", "override", "dba", "--who", "dan@example.com", "--starts", "2099-01-01",
                                "--duration", "1d", *AS])  # fmt: skip
    assert made.exit_code == 1 and "at most 92 days and ends within a year" in made.output


def test_an_override_by_someone_who_cannot_log_in_and_acknowledge_is_refused_saying_why(runner: CliRunner) -> None:
    rotation(runner)
    hire(runner, "reader@example.com", role="viewer")
    for who, why in [("eve@example.com", "no one here has the address eve@example.com; an admin adds them on the "
                                         "Users page (or `switchboard user create`) first"),
                     ("reader@example.com", "reader@example.com is a viewer, who works no incidents")]:  # fmt: skip
        made = runner.invoke(main, ["oncall", "override", "dba", "--who", who, "--starts", "2099-01-01",
                                    "--duration", "1d", *AS])  # fmt: skip
        assert made.exit_code == 1 and f"Error: {why}" in made.output
    assert "(override" not in runner.invoke(main, ["oncall", "show", "dba"]).output


def test_group_set_refuses_members_who_cannot_log_in_naming_each(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    made = runner.invoke(main, ["group", "set", "dba", "--member", "ann@example.com", "--member", "eve@example.com",
                                "--member", "nobody"])  # fmt: skip
    assert made.exit_code == 1
    assert "'nobody' is not an email address" in made.output and "no one here has the address eve@" in made.output
    assert runner.invoke(main, ["group", "list"]).output.startswith("no groups;")


def test_override_needs_an_end_or_a_duration(runner: CliRunner) -> None:
    rotation(runner)
    result = runner.invoke(main, ["oncall", "override", "dba", "--who", "dan@example.com", "--starts", "2026-12-01",
                                   *AS])  # fmt: skip
    assert result.exit_code == 2 and "give either --ends or --duration" in result.output


def test_list_with_no_rotations_says_how_to_make_one(runner: CliRunner) -> None:
    assert "`switchboard oncall set GROUP --tz ZONE` makes one" in runner.invoke(main, ["oncall", "list"]).output


def test_show_for_a_group_without_a_rotation_says_how_to_make_one(runner: CliRunner) -> None:
    hire(runner, "ann@example.com")
    runner.invoke(main, ["group", "set", "ops", "--member", "ann@example.com"])
    result = runner.invoke(main, ["oncall", "show", "ops"])
    assert result.exit_code == 1 and "`switchboard oncall set ops` makes one" in result.output


def test_unoverride_of_an_override_there_is_not_says_where_their_numbers_are(runner: CliRunner) -> None:
    rotation(runner)
    result = runner.invoke(main, ["oncall", "unoverride", "dba", "9", *AS])
    assert result.exit_code == 1 and "has no override 9; the On call page and `switchboard oncall show dba`" in (
        result.output
    )
