"""Reprocessing unprocessable messages after a fix: through the normal intake, exactly once (real SQLite)."""

from __future__ import annotations

import threading
from email.message import EmailMessage

from click.testing import CliRunner
from sqlalchemy import func, select

from hub.accounts import configure_integration, create_integration
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake, Raw
from hub.models import Event, Incident, IntegrationMapping
from ingest.pipeline import make_intake
from ingest.reprocess import reprocess, unprocessable


def kept_as_unprocessable(intake: Intake, raw: bytes, error: str = "ValueError: a parser bug, since fixed") -> int:
    """A message an older parser failed on, as store_message keeps it."""
    return intake.record_unprocessable(Raw("email", "message/rfc822", raw), error)


def good_message() -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "helpdesk@localhost", "Printer on fire"
    msg.set_content("Third floor.")
    return msg.as_bytes()


def incidents(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Incident)) or 0)


def test_reprocessing_applies_the_message_and_marks_the_old_event(intake: Intake, db: Database) -> None:
    old = kept_as_unprocessable(intake, good_message())
    result = reprocess(intake, old)
    assert result.applied and result.incident_id is not None and incidents(db) == 1
    with db.read() as s:
        status, error = s.execute(select(Event.status, Event.error).where(Event.id == old)).one()
    assert (status, error) == ("reprocessed", f"reprocessed as event {result.new_event_id}")
    assert unprocessable(intake) == []


def test_reprocessing_twice_applies_once(intake: Intake, db: Database) -> None:
    old = kept_as_unprocessable(intake, good_message())
    first, second = reprocess(intake, old), reprocess(intake, old)
    assert first.applied and not second.applied and "not unprocessable" in (second.error or "")
    assert incidents(db) == 1


def test_concurrent_reprocessing_of_one_event_applies_it_once(settings: Settings, db: Database) -> None:
    intakes = [make_intake(settings, db) for _ in range(4)]  # as if four web workers and a CLI raced
    old = kept_as_unprocessable(intakes[0], good_message())
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(reprocess(i, old))) for i in intakes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.applied for r in results) == 1 and incidents(db) == 1


def test_a_message_that_still_fails_stays_unprocessable_with_the_new_error(intake: Intake) -> None:
    old = kept_as_unprocessable(intake, b"\r\n\r\nno headers at all")
    result = reprocess(intake, old)
    assert not result.applied and "still unprocessable" in (result.error or "")
    [waiting] = unprocessable(intake)
    assert waiting.id == old and "no headers" in waiting.error


def test_a_generic_body_is_reprocessed_through_its_integrations_mapping_as_fixed(
    stored_intake: Intake, database: Database
) -> None:
    with database.transaction() as s:
        integration = create_integration(s, kind="generic", name="tool")[0]
        configure_integration(s, "tool", mapping={"title": "alert.summary"})  # the tool sends alert.text
    body = b'{"alert": {"text": "Disk full on db1"}}'
    old = stored_intake.record_unprocessable(
        Raw("generic", "application/json", body, integration.id), "'title' is required"
    )
    with database.transaction() as s:
        configure_integration(s, "tool", mapping={"title": "alert.text"})
    result = reprocess(stored_intake, old)
    assert result.applied, result.error
    with database.read() as s:
        title = s.scalar(select(Incident.title).where(Incident.id == result.incident_id))
        read_with = s.scalar(select(Event.mapping_id).where(Event.id == result.new_event_id))
        fixed = s.scalar(select(func.max(IntegrationMapping.id)))
    assert (title, read_with) == ("Disk full on db1", fixed)


def test_cli_reprocesses_all_unprocessable_email(runner: CliRunner) -> None:
    from hub.cli import load_settings, main, open_database

    settings = load_settings()
    db = open_database(settings)
    intake = make_intake(settings, db)
    kept_as_unprocessable(intake, good_message())
    kept_as_unprocessable(intake, b"\r\n\r\nno headers at all")
    listed = runner.invoke(main, ["events", "unprocessable"])
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == 2
    result = runner.invoke(main, ["events", "reprocess", "--all-unprocessable", "--source", "email"])
    assert result.exit_code == 1  # one is still unprocessable
    assert "reprocessed as event" in result.output and "still unprocessable" in result.output
    assert incidents(db) == 1
    db.dispose()


def test_cli_all_unprocessable_leaves_refused_webhook_bodies_out_and_says_so(runner: CliRunner) -> None:
    from hub.cli import load_settings, main, open_database

    settings = load_settings()
    db = open_database(settings)
    intake = make_intake(settings, db)
    kept_as_unprocessable(intake, good_message())
    intake.record_unprocessable(Raw("alertmanager", "application/json", b"{bad json"), "body is not valid JSON")
    result = runner.invoke(main, ["events", "reprocess", "--all-unprocessable"])
    assert result.exit_code == 0, result.output  # every email was applied; the batch's body was never retryable
    assert "reprocessed as event" in result.output and "skipping 1 webhook body" in result.output
    assert incidents(db) == 1
    db.dispose()


def test_cli_wants_an_id_or_all(runner: CliRunner) -> None:
    from hub.cli import main

    result = runner.invoke(main, ["events", "reprocess"])
    assert result.exit_code == 2 and "--all-unprocessable" in result.output
