"""Times the `switchboard` commands print: in the installation's zone (SWITCHBOARD_TIMEZONE) with its abbreviation,
as the pages without a login show them, or in UTC under `switchboard --utc`; times typed on the command line stay
UTC. The installation here is in Berlin; the freeze windows are years ahead so `freeze list` still shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.config import Settings
from hub.db import Database
from tests.docs import fenced, run_as_printed
from tests.hub.commands import run


@pytest.fixture
def berlin(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SWITCHBOARD_TIMEZONE", "Europe/Berlin")
    return runner


def freeze(runner: CliRunner, starts: str, ends: str) -> None:
    run(runner, "freeze", "add", "--name", "year-end", "--starts", starts, "--ends", ends)


def test_a_time_typed_in_utc_is_printed_in_the_installations_zone_with_its_abbreviation(berlin: CliRunner) -> None:
    freeze(berlin, "2036-12-20 00:00", "2037-01-03 00:00")
    assert "2036-12-20 01:00 CET .. 2037-01-03 01:00 CET  year-end" in run(berlin, "freeze", "list")


def test_utc_before_the_command_prints_its_times_in_utc(berlin: CliRunner) -> None:
    freeze(berlin, "2036-12-20 00:00", "2037-01-03 00:00")
    assert "2036-12-20 00:00 UTC .. 2037-01-03 00:00 UTC  year-end" in run(berlin, "--utc", "freeze", "list")


def test_a_window_across_the_clocks_going_back_prints_each_end_with_its_own_abbreviation(berlin: CliRunner) -> None:
    freeze(berlin, "2036-10-20 00:00", "2036-11-01 00:00")  # Berlin's clocks go back on 2036-10-26
    assert "2036-10-20 02:00 CEST .. 2036-11-01 01:00 CET  year-end" in run(berlin, "freeze", "list")


def test_without_switchboard_timezone_times_are_printed_in_utc(runner: CliRunner) -> None:
    freeze(runner, "2036-12-20 00:00", "2037-01-03 00:00")
    assert "2036-12-20 00:00 UTC .. 2037-01-03 00:00 UTC  year-end" in run(runner, "freeze", "list")


def test_another_command_prints_its_times_through_the_same_zone(berlin: CliRunner) -> None:
    run(berlin, "rules", "add", "--name", "tag-db", "--category", "database")
    stamp = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"  # `rules versions` keeps its seconds
    # Stamped now: Berlin reads CET in winter and CEST from late March to late October.
    assert re.search(rf"^ +2  {stamp} CES?T  root \(cli\)  added rule", run(berlin, "rules", "versions"), re.M)
    assert re.search(rf"^ +2  {stamp} UTC  root \(cli\)  added rule", run(berlin, "--utc", "rules", "versions"), re.M)


def test_the_help_offers_utc(runner: CliRunner) -> None:
    assert "--utc" in run(runner, "--help")


def test_the_readmes_example_prints_what_its_comments_say(settings: Settings, db: Database, tmp_path: Path) -> None:
    (example,) = fenced("README.md", "Times in downloads and on the command line", "sh")
    promised = [line.split("# ", 1)[1] for line in example.splitlines() if "# " in line]
    printed = [line.rstrip() for line in run_as_printed(example, settings, tmp_path).splitlines()]
    assert printed[-2:] == promised  # after `freeze add`'s own line
