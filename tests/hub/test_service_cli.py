"""`switchboard service`, run as a person would, against a fresh migrated home."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import groups
from hub.cli import main
from hub.db import Database
from hub.models import AuditEntry, Service, StatusSubscriber
from tests.hub.commands import run
from tests.staff import agents


def test_a_service_added_is_listed_with_its_owner(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail", "--owner-group", "messaging", "--description", "Exchange")
    assert "mail" in run(runner, "service", "list") and "messaging" in run(runner, "service", "list")


def test_a_second_service_of_the_same_name_is_refused(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "mail")
    result = runner.invoke(main, ["service", "add", "--name", "mail"])
    assert result.exit_code == 1 and "already a service named 'mail'" in result.output


def test_a_service_named_under_the_catalogues_own_pages_is_refused_saying_what_to_name_it(runner: CliRunner) -> None:
    result = runner.invoke(main, ["service", "add", "--name", "calendars/office"])
    assert result.exit_code == 1 and (
        "a service's name cannot start with 'calendars/': /services/calendars/... are the business calendars' pages; "
        "name it e.g. 'calendars-office'"
    ) in " ".join(result.output.split())
    assert "calendars/office" not in run(runner, "service", "list")


def test_a_service_named_so_before_is_renamed_away_from_the_shell(runner: CliRunner, db: Database) -> None:
    with db.transaction() as session:  # as a service could be named before such names were refused
        session.add(Service(name="policies/x"))
    run(runner, "service", "rename", "policies/x", "x")
    assert run(runner, "service", "list").split()[0] == "x"


def test_a_service_owned_by_a_group_not_made_yet_is_added_with_a_warning(runner: CliRunner) -> None:
    result = runner.invoke(main, ["service", "add", "--name", "mail", "--owner-group", "messaging"])
    assert result.exit_code == 0 and result.stdout == "added service 'mail'\n"
    assert result.stderr.startswith("warning: there is no group 'messaging' yet")
    assert "messaging" in run(runner, "service", "list")


def test_a_services_major_incident_group_is_set_and_cleared_and_each_change_audited(
    runner: CliRunner, db: Database
) -> None:
    with db.transaction() as session:
        groups.save_group(session, "payroll-mim", agents(session, "frank@example.com"))
    run(runner, "service", "add", "--name", "payroll", "--owner-group", "payroll-ops")
    assert run(runner, "service", "set", "payroll", "--major-group", "payroll-mim") == (
        "service 'payroll': not on the status page; its major incidents page payroll-mim\n"
    )
    assert "major incidents: payroll-mim" in run(runner, "service", "list")
    cleared = run(runner, "service", "set", "payroll", "--major-group", "")
    assert cleared == "service 'payroll': not on the status page\n"
    assert "major incidents" not in run(runner, "service", "list")
    with db.read() as session:
        changes = session.scalars(select(AuditEntry).where(AuditEntry.action == "service.change")).all()
    assert [entry.detail["major_group"] for entry in changes] == ["payroll-mim", None]  # type: ignore[index]


def test_a_major_incident_group_not_made_yet_is_set_with_a_warning_of_what_is_paged_instead(
    runner: CliRunner,
) -> None:
    run(runner, "service", "add", "--name", "payroll")
    result = runner.invoke(main, ["service", "set", "payroll", "--major-group", "payroll-mim"])
    assert result.exit_code == 0 and result.stderr == (
        "warning: there is no group 'payroll-mim' yet, so this service's major incidents page the installation's "
        "major-incident group (if any) instead: make it on the Groups page or with `switchboard group set "
        "payroll-mim --member ...`\n"
    )


def test_a_service_is_added_with_its_major_incident_group(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "payroll", "--major-group", "payroll-mim")
    assert "major incidents: payroll-mim" in run(runner, "service", "list")


def test_a_major_incident_group_no_group_could_be_called_is_refused(runner: CliRunner) -> None:
    run(runner, "service", "add", "--name", "payroll")
    result = runner.invoke(main, ["service", "set", "payroll", "--major-group", "x" * 101])
    assert result.exit_code == 1 and result.output == "Error: a group needs a name of 1 to 100 characters on one line\n"


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
    assert result.exit_code == 1 and "SLA policy 'P1 mail' still names service 'mail'" in result.output
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


def test_subscribers_are_listed_with_times_in_the_installations_zone_or_utc(
    runner: CliRunner, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    confirmed, asked = datetime(2036, 11, 27, 9, 14, tzinfo=UTC), datetime(2036, 11, 28, 23, 30, tzinfo=UTC)
    with db.transaction() as session:
        session.add(StatusSubscriber(email="ann@example.org", confirmed_at=confirmed, services=["mail"]))
        session.add(StatusSubscriber(email="bob@example.org", created_at=asked))
    monkeypatch.setenv("SWITCHBOARD_TIMEZONE", "Europe/Berlin")
    assert run(runner, "service", "subscribers").splitlines() == [
        f"{'ann@example.org':<40} since 2036-11-27 10:14 CET: mail",
        f"{'bob@example.org':<40} not confirmed, asked 2036-11-29 00:30 CET",
        "1 subscriber(s), 1 not confirmed",
    ]
    assert f"{'ann@example.org':<40} since 2036-11-27 09:14 UTC: mail" in run(runner, "--utc", "service", "subscribers")
