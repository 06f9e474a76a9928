"""`switchboard channel ...` and `switchboard outbox ...` against a fresh home, and the admin functions under them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import Incident, OutboxMessage, TimelineEntry


def test_channel_and_outbox_commands_have_help(runner: CliRunner) -> None:
    for args in (["channel", "create"], ["channel", "list"], ["channel", "remove"], ["outbox", "list"],
                 ["outbox", "retry"], ["outbox", "discard"]):  # fmt: skip
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, args


def test_webhook_channel_create_prints_its_secret_as_last_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["channel", "create", "--kind", "webhook", "--name", "ops",
                                  "--url", "https://bot.example/hook"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("sbw_")
    listed = runner.invoke(main, ["channel", "list"])
    assert "ops" in listed.output and "https://bot.example/hook" in listed.output and "sbw_" not in listed.output


def test_channel_list_names_a_webhook_whose_secret_another_secret_key_sealed(runner: CliRunner) -> None:
    created = runner.invoke(main, ["channel", "create", "--kind", "webhook", "--name", "ops", "--url",
                                   "https://bot.example/hook"], env={"SECRET_KEY": "the key then"})  # fmt: skip
    assert created.exit_code == 0, created.output
    listed = runner.invoke(main, ["channel", "list"], env={"SECRET_KEY": "the key now"})
    assert listed.exit_code == 0 and "ops" in listed.output
    assert "cannot send: the webhook channel's signing secret of channels row 1 was sealed under" in listed.output
    again = runner.invoke(main, ["channel", "list"], env={"SECRET_KEY": "the key now",
                                                          "SWITCHBOARD_OLD_SECRET_KEYS": "the key then"})  # fmt: skip
    assert "cannot send" not in again.output


def test_email_channel_create_and_remove(runner: CliRunner) -> None:
    created = runner.invoke(main, ["channel", "create", "--kind", "email", "--name", "dba", "--to", "dba@example.com"])
    assert created.exit_code == 0 and "dba@example.com" in created.output
    assert runner.invoke(main, ["channel", "remove", "dba"]).exit_code == 0
    assert "no channels yet" in runner.invoke(main, ["channel", "list"]).output


def test_channel_create_with_bad_template_explains_the_fix(runner: CliRunner, tmp_path: Path) -> None:
    template = tmp_path / "body.j2"
    template.write_text('{"text": "{{ title }}"}')
    result = runner.invoke(main, ["channel", "create", "--kind", "webhook", "--name", "ops", "--url", "https://x/",
                                  "--body-template", str(template)])  # fmt: skip
    assert result.exit_code == 1 and "tojson" in result.output


@pytest.fixture
def home_db(runner: CliRunner, tmp_path: Path) -> Database:
    settings = Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path / "var"), "SECRET_KEY": "k"})
    return Database.connect(settings.database_url)


def add_row(db: Database, status: str, error: str | None = None) -> int:
    with db.transaction() as session:
        incident = Incident(title="Disk full", source="generic")
        session.add(incident)
        session.flush()
        row = OutboxMessage(incident_id=incident.id, kind="opened", channel="webhook", recipient="ops", subject="s",
                            body="b", headers={}, status=status, last_error=error, attempts=3)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_outbox_list_shows_undelivered_with_state_and_incident(runner: CliRunner, home_db: Database) -> None:
    dead = add_row(home_db, "dead", "HTTP 400: bad payload")
    pending = add_row(home_db, "pending")
    add_row(home_db, "sent")
    lines = runner.invoke(main, ["outbox", "list"]).output.splitlines()
    assert [line.split()[:3] for line in lines] == [[str(dead), "dead", "INC-1"], [str(pending), "pending", "INC-2"]]
    assert "HTTP 400: bad payload" in lines[0]
    dead_only = runner.invoke(main, ["outbox", "list", "--dead"]).output.splitlines()
    assert [line.split()[0] for line in dead_only] == [str(dead)]


def test_outbox_retry_sends_a_dead_notification_again(runner: CliRunner, home_db: Database) -> None:
    dead = add_row(home_db, "dead", "HTTP 500")
    result = runner.invoke(main, ["outbox", "retry", str(dead)])
    assert result.exit_code == 0, result.output
    with home_db.read() as session:
        row = session.get(OutboxMessage, dead)
        assert row is not None and (row.status, row.next_attempt_at, row.give_up_at) == ("pending", None, None)
        assert "opened to ops retried by cli" in session.scalars(select(TimelineEntry.summary)).all()


def test_outbox_retry_all_dead(runner: CliRunner, home_db: Database) -> None:
    ids = [add_row(home_db, "dead"), add_row(home_db, "dead"), add_row(home_db, "sent")]
    assert "2 dead notification(s)" in runner.invoke(main, ["outbox", "retry", "--all-dead"]).output
    with home_db.read() as session:
        assert [session.get(OutboxMessage, i).status for i in ids] == ["pending", "pending", "sent"]  # type: ignore[union-attr]


def test_outbox_retry_of_a_row_that_is_not_dead_is_refused(runner: CliRunner, home_db: Database) -> None:
    pending = add_row(home_db, "pending")
    result = runner.invoke(main, ["outbox", "retry", str(pending)])
    assert result.exit_code == 1 and "only dead ones" in result.output


def test_outbox_retry_needs_an_id_or_all_dead(runner: CliRunner) -> None:
    assert runner.invoke(main, ["outbox", "retry"]).exit_code == 2


def test_outbox_discard_gives_up_on_a_notification_for_good(runner: CliRunner, home_db: Database) -> None:
    pending = add_row(home_db, "pending")
    assert runner.invoke(main, ["outbox", "discard", str(pending)]).exit_code == 0
    with home_db.read() as session:
        assert session.get(OutboxMessage, pending).status == "discarded"  # type: ignore[union-attr]
    assert "every notification has been delivered" in runner.invoke(main, ["outbox", "list"]).output
    again = runner.invoke(main, ["outbox", "discard", str(pending)])
    assert again.exit_code == 1 and "already discarded" in again.output


def test_discard_of_unknown_id_says_where_to_look(runner: CliRunner) -> None:
    result = runner.invoke(main, ["outbox", "discard", "999"])
    assert result.exit_code == 1 and "switchboard outbox list" in result.output
