"""`switchboard requester export|erase`, against mail received by the real SMTP listener, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.addresses import pseudonym
from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import AuditEntry, Incident
from tests.docs import fenced, run_as_printed
from tests.hub.requester_mail import ANN, desk_listener, send  # noqa: F401  (the fixture `desk`)
from tests.web.both_databases import runner_on_the_same_database, settings_on_either_database  # noqa: F401


@pytest.fixture(autouse=True)
def same_secret_key(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's pseudonyms are keyed as the test's settings are."""
    monkeypatch.setenv("SECRET_KEY", settings.secret_key)


def test_export_writes_the_json_document_to_a_file(desk: int, runner: CliRunner, tmp_path: Path) -> None:
    send(desk, "VPN", "It drops at noon.")
    result = runner.invoke(main, ["requester", "export", "--email", ANN.upper(), "--output", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "a.json").read_text())
    assert document["email"] == ANN and "It drops at noon." in document["messages"][0]["raw"]


def test_export_to_stdout_is_audited_under_the_pseudonym(
    desk: int, runner: CliRunner, db: Database, settings: Settings
) -> None:
    send(desk, "VPN", "It drops at noon.")
    result = runner.invoke(main, ["requester", "export", "--email", ANN])
    assert json.loads(result.stdout)["counts"]["messages"] == 1
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "requester.export")).one()
    assert entry.target == pseudonym(ANN, settings.secret_key)


def test_erase_without_yes_prints_the_counts_and_changes_nothing(desk: int, runner: CliRunner, db: Database) -> None:
    send(desk, "VPN", "It drops at noon.")
    result = runner.invoke(main, ["requester", "erase", "--email", ANN])
    assert result.exit_code == 0, result.output
    assert "incidents\t1" in result.stdout and "messages\t1" in result.stdout
    assert f"Nothing changed. To erase: switchboard requester erase --email {ANN} --yes" in result.stderr
    with db.read() as session:
        assert session.scalars(select(Incident.requester)).one() == ANN


def test_erase_with_yes_erases_and_names_the_pseudonym(
    desk: int, runner: CliRunner, db: Database, settings: Settings
) -> None:
    send(desk, "VPN", "It drops at noon.")
    result = runner.invoke(main, ["requester", "erase", "--email", ANN, "--yes"])
    assert result.exit_code == 0, result.output
    alias = pseudonym(ANN, settings.secret_key)
    assert f"erased: the address is now {alias}" in result.stderr
    with db.read() as session:
        assert session.scalars(select(Incident.requester)).one() == alias


def test_erase_refuses_what_is_not_an_address(runner: CliRunner) -> None:
    result = runner.invoke(main, ["requester", "erase", "--email", "ann", "--yes"])
    assert result.exit_code == 1 and "'ann' is not an email address" in result.output


def test_erase_refuses_the_desk_address_set_in_the_environment(
    db: Database, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWITCHBOARD_DESK_ADDRESS", "helpdesk@example.com,it@example.com")
    for yes in ([], ["--yes"]):
        result = runner.invoke(main, ["requester", "erase", "--email", "IT@example.com", *yes])
        assert result.exit_code == 1 and "it@example.com is a desk address, not a requester" in result.output


def test_the_commands_docs_privacy_prints_export_and_erase(
    desk: int, db: Database, settings: Settings, tmp_path: Path
) -> None:
    send(desk, "VPN", "It drops at noon.", sender="ann@example.com")
    (block,) = fenced("docs/privacy.md", "Answering a request", "sh")
    output = run_as_printed(block, settings, tmp_path, SECRET_KEY=settings.secret_key)
    assert json.loads((tmp_path / "ann.json").read_text())["counts"]["messages"] == 1
    assert "messages\t1" in output
    with db.read() as session:
        assert session.scalars(select(Incident.requester)).one() == pseudonym("ann@example.com", settings.secret_key)
