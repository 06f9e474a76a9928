"""`switchboard service`, run as a person would, against a fresh migrated home."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.cli import main
from tests.hub.catalogue_cli import run


def test_a_service_added_is_listed_with_its_owner(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail", "--owner-group", "messaging", "--description", "Exchange")
    assert "mail" in run(runner, "service", "list") and "messaging" in run(runner, "service", "list")


def test_a_second_service_of_the_same_name_is_refused(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail")
    result = runner.invoke(main, ["service", "add", "--name", "mail"])
    assert result.exit_code == 1 and "already a service named 'mail'" in result.output


def test_a_service_owned_by_a_group_not_made_yet_is_added_with_a_warning(runner: CliRunner) -> None:
    result = runner.invoke(main, ["service", "add", "--name", "mail", "--owner-group", "messaging"])
    assert result.exit_code == 0 and result.stdout == "added service 'mail'\n"
    assert result.stderr.startswith("warning: there is no group 'messaging' yet")
    assert "messaging" in run(runner, "service", "list")


def test_a_service_renamed_from_the_shell_says_what_followed(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail")
    run(runner, "sla", "add", "--name", "P1 mail", "--priority", "P1", "--resolution", "4h", "--service", "mail")
    assert run(runner, "service", "rename", "mail", "email") == (
        "service mail renamed to email; 1 SLA policy follows\n"
    )
    assert "service email" in run(runner, "sla", "list")


def test_a_service_in_use_is_not_removed_and_the_refusal_says_what_to_do(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail")
    run(runner, "sla", "add", "--name", "P1 mail", "--priority", "P1", "--resolution", "4h", "--service", "mail")
    result = runner.invoke(main, ["service", "remove", "mail"])
    assert result.exit_code == 1 and "SLA policy 'P1 mail' still name service 'mail'" in result.output
    run(runner, "sla", "remove", "P1 mail")
    assert run(runner, "service", "remove", "mail") == "service mail removed\n"
    assert run(runner, "service", "list") == ""


def test_every_command_has_help(runner: CliRunner) -> None:
    assert "Usage" in run(runner, "service", "--help")


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("service", "rename"), "Rename the service NAME to NEW_NAME everywhere it is named"),
        (("service", "remove"), "Remove the service NAME: refused while unresolved incidents"),
    ],
)
def test_every_change_command_says_what_it_does(runner: CliRunner, command: tuple[str, str], said: str) -> None:
    assert said in " ".join(run(runner, *command, "--help").split())
