"""`switchboard mailbox add|list|test|remove` and the `switchboard imap` process, against a real Dovecot."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import trustme
from click.testing import CliRunner
from sqlalchemy import select

from hub.cli import main
from hub.config import Settings
from hub.db import Database
from hub.models import Incident
from tests.conftest import ImapAccount
from tests.docs import fenced, run_as_printed
from tests.servers import wait_until


def add(account: ImapAccount, *extra: str) -> list[str]:
    return ["mailbox", "add", "--name", "desk", "--host", "127.0.0.1", "--port", str(account.server.port),
            "--tls", "none", "--user", account.user, *extra]  # fmt: skip


def test_added_mailbox_is_listed_without_its_password(runner: CliRunner, imap_account: ImapAccount) -> None:
    result = runner.invoke(main, add(imap_account, "--password", imap_account.password, "--move-to", "Done"))
    assert result.exit_code == 0, result.output
    assert "switchboard mailbox test desk" in result.output
    listed = runner.invoke(main, ["mailbox", "list"])
    assert "desk  enabled" in listed.output and "INBOX -> move:Done" in listed.output
    assert imap_account.password not in listed.output and "stored in the database, sealed" in listed.output


def test_mailbox_test_reports_count_and_idle(runner: CliRunner, imap_account: ImapAccount) -> None:
    imap_account.append(b"From: a@example.com\r\nSubject: hello\r\n\r\nhi\r\n")
    runner.invoke(main, add(imap_account, "--password-env", "DESK_IMAP_PASSWORD"))
    result = runner.invoke(main, ["mailbox", "test", "desk"], env={"DESK_IMAP_PASSWORD": imap_account.password})
    assert result.exit_code == 0, result.output
    assert "INBOX: 1 message(s), 1 unread" in result.output and "IDLE: yes" in result.output


def test_mailbox_test_with_wrong_password_fails_saying_what_to_check(
    runner: CliRunner, imap_account: ImapAccount
) -> None:
    runner.invoke(main, add(imap_account, "--password", "wrong"))
    result = runner.invoke(main, ["mailbox", "test", "desk"])
    assert result.exit_code == 1
    assert f"login to 127.0.0.1:{imap_account.server.port} as {imap_account.user} failed" in result.output
    assert "check the user name (usually the full address) and the password" in result.output


def test_mailbox_add_wants_exactly_one_secret(runner: CliRunner, imap_account: ImapAccount) -> None:
    result = runner.invoke(main, add(imap_account, "--password", "a", "--xoauth2-token-env", "TOKEN"))
    assert result.exit_code == 2 and "give exactly one of --password" in result.output


def test_mailbox_add_refuses_a_duplicate_name(runner: CliRunner, imap_account: ImapAccount) -> None:
    runner.invoke(main, add(imap_account, "--password", "a"))
    result = runner.invoke(main, add(imap_account, "--password", "a"))
    assert result.exit_code == 1 and "already exists" in result.output


def test_removed_mailbox_is_no_longer_listed(runner: CliRunner, imap_account: ImapAccount) -> None:
    runner.invoke(main, add(imap_account, "--password", "a"))
    assert runner.invoke(main, ["mailbox", "remove", "desk"]).exit_code == 0
    assert "no mailboxes" in runner.invoke(main, ["mailbox", "list"]).output


def test_test_of_an_unknown_mailbox_names_the_list_command(runner: CliRunner) -> None:
    result = runner.invoke(main, ["mailbox", "test", "nope"])
    assert result.exit_code == 1 and "switchboard mailbox list" in result.output


def test_imap_watcher_has_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["imap", "--help"])
    assert result.exit_code == 0 and "--poll-interval" in result.output and "--no-idle" in result.output


def test_imap_process_imports_mail_and_stops_cleanly_on_sigterm(
    runner: CliRunner, imap_account: ImapAccount, tmp_path: Path
) -> None:
    runner.invoke(main, add(imap_account, "--password", imap_account.password))
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "imap"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    db = Database.connect(f"sqlite:///{tmp_path / 'var' / 'switchboard.db'}")
    try:
        imap_account.append(
            b"From: ann@example.com\r\nSubject: Printer on fire\r\nMessage-ID: <p1@example.com>\r\n\r\nhi\r\n"
        )

        def titles() -> list[str]:
            with db.read() as s:
                return list(s.scalars(select(Incident.title)))

        assert wait_until(titles, timeout=30, message="the incident from the mailbox") == ["Printer on fire"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        db.dispose()
    assert process.returncode == 0, output
    assert "imap: watching 1 mailbox\n" in output and "no mailbox is enabled yet" not in output


def test_the_documented_mailbox_commands_run_as_printed(
    settings: Settings, db: Database, imap_account: ImapAccount, imap_ca: trustme.CA, tmp_path: Path
) -> None:
    """docs/integrations.md's commands for any IMAP server: TLS from the start (the default), the password from the
    environment; only the server, its port, the account and a CA for its test certificate are this test's."""
    [block] = fenced("docs/integrations.md", "Any IMAP server (Dovecot, Cyrus, Exchange on-premises...)", "sh")
    script = (
        block.replace("imap.example.com", f"127.0.0.1 --port {imap_account.server.tls_port}")
        .replace("support@example.com", imap_account.user)
        .replace("'the mailbox password'", f"'{imap_account.password}'")
    )
    imap_account.append(b"From: a@example.com\r\nSubject: hello\r\n\r\nhi\r\n")
    ca = tmp_path / "ca.pem"
    imap_ca.cert_pem.write_to_path(str(ca))
    out = run_as_printed(script, settings, tmp_path, SSL_CERT_FILE=str(ca))
    assert "INBOX: 1 message(s), 1 unread" in out and "IDLE: yes" in out
    assert "support  enabled" in out and "INBOX -> move:Processed" in out
    assert imap_account.password not in out
