"""Several desk addresses, each with a default category and group: managed with `switchboard desk`, accepted
over SMTP, and applied to mail sent to them wherever no specific rule decides (real SQLite, real SMTP)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hub import desks, rulebook
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.models import DeskAddress, Incident
from hub.net import free_port
from ingest.mail_intake import store_message
from ingest.smtp import make_controller
from rules import rules_file
from tests.docs import fenced, run_as_printed

HR = "hr-help@example.com"


def add_hr_desk(db: Database) -> None:
    with db.transaction() as s:
        desks.add_desk(s, HR, category="hr", group="hr-team")


def mail(to: str, subject: str = "My contract") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", to, subject
    msg.set_content("Question about my contract.")
    return msg


def only_incident(db: Database) -> Incident:
    with db.read() as s:
        found = s.scalars(select(Incident)).one()
        s.expunge(found)
        return found


@pytest.fixture
def smtp_port(settings: Settings, intake: Intake, db: Database) -> Iterator[int]:
    add_hr_desk(db)
    port = free_port()
    controller = make_controller(settings, intake, port=port)
    controller.start()
    yield port
    controller.stop()


def test_mail_to_a_desk_added_in_the_table_is_accepted_and_gets_its_defaults(smtp_port: int, db: Database) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(mail(HR), to_addrs=[HR])
    found = only_incident(db)
    assert (found.category, found.assignee) == ("hr", "hr-team")  # over the seeded catch-all rule


def test_unknown_recipients_are_still_refused_with_550(smtp_port: int) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        smtp.send_message(mail("nobody@example.com"), to_addrs=["nobody@example.com"])
    assert refused.value.recipients["nobody@example.com"][0] == 550


def test_mail_to_the_environment_desk_keeps_the_rules_decision(smtp_port: int, db: Database) -> None:
    with smtplib.SMTP("127.0.0.1", smtp_port) as smtp:
        smtp.send_message(mail("helpdesk@localhost"), to_addrs=["helpdesk@localhost"])
    assert (only_incident(db).category, only_incident(db).assignee) == ("general", "service-desk")


def test_a_specific_rule_wins_over_the_desks_defaults(intake: Intake, db: Database) -> None:
    add_hr_desk(db)
    parsed = rules_file.parse_file(
        "rules:\n- name: Payroll\n  when: {field: subject, op: contains, value: payroll}\n  set: {category: payroll}\n"
        "- name: Catch-all\n  when: {field: source, op: exists}\n  set: {category: general, assignee: service-desk}\n"
    )
    with db.transaction() as s:
        rulebook.replace_all(s, parsed.rules, parsed.settings)
    store_message(intake, mail(HR, "Payroll is wrong").as_bytes(), recipients=[HR])
    found = only_incident(db)
    assert (found.category, found.assignee) == ("payroll", "hr-team")


def test_mail_fetched_without_an_envelope_finds_its_desk_in_the_headers(intake: Intake, db: Database) -> None:
    add_hr_desk(db)
    store_message(intake, mail(f"Someone <someone@example.com>, HR <{HR.upper()}>").as_bytes())
    assert only_incident(db).category == "hr"


def test_desk_commands_add_list_and_remove(runner: CliRunner) -> None:
    from hub.cli import main

    added = runner.invoke(main, ["desk", "add", "IT@Example.com", "--category", "it", "--group", "it-team"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(main, ["desk", "list"]).output.splitlines()
    assert "it@example.com\tit\tit-team\ttable" in listed and "helpdesk@localhost\t-\t-\tenv" in listed
    assert runner.invoke(main, ["desk", "remove", "it@example.com"]).exit_code == 0
    missing = runner.invoke(main, ["desk", "remove", "it@example.com"])
    assert missing.exit_code == 1 and "desk list" in missing.output


def test_desk_add_refuses_what_is_not_an_address(runner: CliRunner) -> None:
    from hub.cli import main

    refused = runner.invoke(main, ["desk", "add", "not-an-address"])
    assert refused.exit_code == 1 and "not an email address" in refused.output


def test_the_documented_desk_commands_run_as_printed(settings: Settings, db: Database, tmp_path: Path) -> None:
    [block] = fenced("docs/integrations.md", "Several desk addresses", "sh")
    listed = run_as_printed(block, settings, tmp_path).splitlines()
    assert "hr-help@example.com\thr\thr-team\ttable" in listed
    with db.read() as session:
        assert session.scalars(select(DeskAddress)).all() == []  # and removed again, as the block's last line says
