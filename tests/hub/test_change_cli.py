"""`switchboard change` and `switchboard freeze`, run as a person would, against a fresh migrated home."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import utcnow
from tests.docs import fenced, run_as_printed
from tests.hub.commands import refused, run
from tests.hub.majors import staff

AS = ("--as", "carol@example.com")


@pytest.fixture(autouse=True)
def desk(db: Database) -> None:
    staff(db)


def test_a_change_goes_from_request_to_closed_on_the_command_line(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "db")
    ref = run(runner, "change", "create", "--title", "Upgrade PostgreSQL to 16", "--service", "db", "--start",
              "2030-03-01 22:00", "--end", "2030-03-01 23:00", "--approver", "ann@example.com", "--approver",
              "bob@example.com", "--approvals", "1", *AS).strip()  # fmt: skip
    assert ref == "CHG-1"
    run(runner, "change", "advance", ref, "assess", *AS)
    assert "CHG-1 is approved" in run(runner, "change", "approve", ref, "--as", "ann@example.com", "--comment", "ok")
    for action in ("schedule", "start"):
        run(runner, "change", "advance", ref, action, *AS)
    assert "is implemented" in run(runner, "change", "advance", ref, "finish", "--outcome", "implemented", *AS)
    run(runner, "change", "advance", ref, "review", *AS)
    run(runner, "change", "advance", ref, "close", *AS)
    shown = run(runner, "change", "show", ref)
    assert "closed" in shown and "ann@example.com approved: ok" in shown and "change.close by carol@" in shown
    assert "planned: 2030-03-01 22:00 UTC .. 2030-03-01 23:00 UTC" in shown and "carried out: " in shown
    listed = run(runner, "change", "list")
    assert "CHG-1    closed" in listed and " done 20" in listed and "planned" not in listed  # carried out, not planned


def test_the_list_labels_a_planned_start_as_planned(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--type", "standard", "--start", "2030-03-01 22:00",
        *AS)  # fmt: skip
    run(runner, "change", "create", "--title", "Tidy the racks", "--type", "standard", *AS)
    planned, unplanned = run(runner, "change", "list").splitlines()[::-1]
    assert " planned 2030-03-01 22:00 UTC " in planned and " unplanned " in unplanned


def test_a_rejection_reads_rejected_in_the_change_shown(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--approver", "ann@example.com", *AS)
    run(runner, "change", "advance", "CHG-1", "assess", *AS)
    run(runner, "change", "reject", "CHG-1", "--as", "ann@example.com", "--comment", "not this week")
    assert "ann@example.com rejected: not this week" in run(runner, "change", "show", "CHG-1")


def test_an_approval_out_of_turn_says_what_to_do(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--approver", "ann@example.com", *AS)
    result = runner.invoke(main, ["change", "approve", "CHG-1", "--as", "ann@example.com"])
    assert result.exit_code == 1 and "assess it first" in result.output


def test_a_change_planned_in_a_freeze_is_refused_unless_it_is_an_emergency(runner: CliRunner) -> None:
    year = utcnow().year + 1  # `freeze list` shows the freezes not over yet: this one is ahead in any year
    run(runner, "freeze", "add", "--name", "year-end", "--starts", f"{year}-12-20", "--duration", "14d")
    assert "year-end (all services)" in run(runner, "freeze", "list")
    args = ["change", "create", "--title", "Patch kernels", "--start", f"{year}-12-24 10:00", "--approver",
            "ann@example.com", "--approver", "bob@example.com", "--approvals", "1", *AS]  # fmt: skip
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1 and "freeze window 'year-end'" in refused.output
    assert run(runner, *args, "--type", "emergency").strip() == "CHG-1"


@pytest.mark.parametrize(
    "command", [["change"], ["change", "create"], ["change", "advance"], ["change", "amend"], ["freeze", "add"]]
)
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    assert "Usage:" in run(runner, *command, "--help")


def test_the_documented_life_of_a_change_runs_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    walk = fenced("docs/changes.md", "The life of a change", "sh")[0]  # the next one is the API
    out = run_as_printed(walk, settings, tmp_path)
    assert "ann@example.com approved: after the backup" in out
    by = (" by carol@example.com", " by ann@example.com")
    assert [line.split()[-3] for line in out.splitlines() if line.endswith(by)] == [
        "change.create", "change.amend", "change.assess", "change.approve", "change.schedule", "change.start",
        "change.finish", "change.review", "change.close",
    ]  # fmt: skip
    assert "year-end (all services)  peak trading" in out


def test_amend_gives_a_change_its_window_so_it_can_be_scheduled_and_show_says_what_changed(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_TIMEZONE", "Europe/Berlin")  # typed times are UTC; printed ones in this zone
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--type", "standard", *AS)
    assert "no planned start: give it a window first" in refused(runner, "change", "advance", "CHG-1", "schedule", *AS)
    said = run(runner, "change", "amend", "CHG-1", "--start", "2030-03-01 22:00", "--end", "2030-03-01 23:00", *AS)
    assert said.strip() == "CHG-1 amended: planned start, planned end; it is new"
    run(runner, "change", "advance", "CHG-1", "schedule", *AS)
    assert "    planned start: - -> 2030-03-01 23:00 CET" in run(runner, "change", "show", "CHG-1")


def test_change_show_lists_the_incidents_that_followed_it(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--type", "standard", "--start", "2030-03-01 22:00",
        *AS)  # fmt: skip
    for action in ("schedule", "start"):
        run(runner, "change", "advance", "CHG-1", action, *AS)
    run(runner, "change", "advance", "CHG-1", "finish", "--outcome", "failed", *AS)
    run(runner, "incident", "create", "--title", "VPN tunnels down", *AS)
    shown = run(runner, "change", "show", "CHG-1")
    assert "incidents that followed (first seen within 24 h):\n  INC-1 open, first seen 20" in shown
    assert " UTC: VPN tunnels down\n" in shown


def test_starting_a_change_well_before_its_window_warns_with_its_times(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--type", "standard", "--start", "2030-03-01 22:00",
        *AS)  # fmt: skip
    run(runner, "change", "advance", "CHG-1", "schedule", *AS)
    said = run(runner, "change", "advance", "CHG-1", "start", *AS)
    assert "CHG-1 is implementing" in said and "before its window (2030-03-01 22:00 UTC), at " in said


def test_change_show_names_a_change_planned_on_the_same_service_at_the_same_time(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "vpn")
    for title in ("Upgrade vpn1 firmware", "Shorten IPsec lifetimes"):
        run(runner, "change", "create", "--title", title, "--type", "standard", "--service", "vpn", "--start",
            "2030-03-01 22:00", "--end", "2030-03-01 23:00", *AS)  # fmt: skip
    assert "clashes with CHG-2 (new, 2030-03-01 22:00 UTC) on vpn: Shorten IPsec lifetimes" in run(
        runner, "change", "show", "CHG-1"
    )


def test_a_change_is_said_to_fix_a_problem_and_shows_it(runner: CliRunner, tmp_path: Path) -> None:
    from hub import problems

    problems.create(Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}"), "VPN drops every night", "x")
    ref = run(runner, "change", "create", "--title", "Raise the VPN idle timeout", "--type", "standard", "--fixes",
              "PRB-1", *AS).strip()  # fmt: skip
    assert "fixes PRB-1 (new): VPN drops every night" in run(runner, "change", "show", ref)
    assert run(runner, "change", "fixes", ref, "--none", *AS).strip() == f"{ref} fixes no problem"
    assert run(runner, "change", "fixes", ref, "VPN drops every night", *AS).strip() == f"{ref} fixes PRB-1"
    assert "name the problem, like PRB-4, or give --none" in refused(runner, "change", "fixes", ref, *AS, code=2)


def test_approving_as_someone_with_no_account_is_refused(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--approver", "ann@example.com", *AS)
    run(runner, "change", "advance", "CHG-1", "assess", *AS)
    said = refused(runner, "change", "approve", "CHG-1", "--as", "ghost@example.com")
    assert "--as ghost@example.com: no one here has that address" in said
    assert "ghost" not in run(runner, "change", "show", "CHG-1")


def test_a_viewer_may_not_move_a_change_on(runner: CliRunner) -> None:
    run(runner, "change", "create", "--title", "Rotate TLS keys", "--type", "standard", *AS)
    said = refused(runner, "change", "advance", "CHG-1", "assess", "--as", "vic@example.com")
    assert "that user is a viewer, who only reads incidents; act as an agent or admin" in said


def test_an_approver_with_no_account_is_refused_saying_where_people_are_listed(runner: CliRunner) -> None:
    said = refused(runner, "change", "create", "--title", "Rotate TLS keys", "--approver", "nobody@example.com", *AS)
    assert "approver nobody@example.com: no active user has that address; `switchboard user list`" in said


def test_a_viewer_named_as_approver_is_refused_since_only_agents_and_admins_vote(runner: CliRunner) -> None:
    said = refused(runner, "change", "create", "--title", "Rotate TLS keys", "--approver", "vic@example.com", *AS)
    assert "approver vic@example.com: only admins and agents may vote on changes; name one of them" in said
