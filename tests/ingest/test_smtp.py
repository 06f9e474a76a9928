"""The SMTP listener, spoken to by smtplib over loopback: replies, storage and threading."""

from __future__ import annotations

import smtplib
import sqlite3
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hub import triage
from hub.agent_action import Actor, Mail
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.migrate import upgrade
from hub.models import Attachment, DeskAddress, Event, Incident, OutboxMessage, TimelineEntry
from hub.net import free_port
from ingest.pipeline import make_intake
from ingest.smtp import make_controller
from tests.conftest import make_settings, migrated_database
from tests.ingest import nested_multiparts
from tests.servers import SmallDisk

DESK = "helpdesk@localhost"


@pytest.fixture
def smtp_port(settings: Settings, intake: Intake) -> Iterator[int]:
    """The desk's SMTP server on a free port, recording into the test database."""
    port = free_port()
    controller = make_controller(settings, intake, port=port)
    controller.start()
    yield port
    controller.stop()


def mail(subject: str = "Printer on fire", sender: str = "ann@example.com", body: str = "Third floor.", **headers: str):
    msg = EmailMessage()
    msg["From"] = f"Ann <{sender}>"
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((subject, sender, body)))}@example.com>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def send(port: int, msg: EmailMessage | bytes, to: str = DESK, sender: str = "ann@example.com") -> tuple[int, bytes]:
    """Send one message and return the server's reply to DATA."""
    raw = msg.as_bytes(policy=policy.SMTP) if isinstance(msg, EmailMessage) else msg
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail(sender)
        code, reply = client.rcpt(to)
        if code != 250:
            return code, reply
        return client.data(raw)


def incidents(db: Database) -> list[Incident]:
    with db.read() as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def test_mail_to_desk_is_accepted_after_storing_incident_and_raw_message(smtp_port: int, db: Database) -> None:
    code, reply = send(smtp_port, mail())
    assert code == 250 and b"INC-1" in reply
    (incident,) = incidents(db)
    assert (incident.title, incident.requester, incident.source) == ("Printer on fire", "ann@example.com", "email")
    with db.read() as s:
        (event,) = s.scalars(select(Event))
        assert b"Third floor." in event.raw and event.incident_id == incident.id


def test_a_resent_message_is_acknowledged_but_applied_once(smtp_port: int, db: Database) -> None:
    msg = mail(Date="Thu, 26 Nov 2026 09:00:00 +0000")  # a sender that lost our 250 sends the same bytes again
    assert send(smtp_port, msg)[0] == 250
    code, reply = send(smtp_port, msg)
    assert code == 250 and b"Already received as INC-1" in reply
    code, reply = send(smtp_port, msg)  # and again
    assert code == 250 and b"Already received as INC-1" in reply
    assert len(incidents(db)) == 1
    with db.read() as s:
        first, again, third = s.scalars(select(Event).order_by(Event.id))
        assert (again.status, again.incident_id, third.status) == ("ignored", first.incident_id, "ignored")
        assert again.error is not None and f"a copy of event {first.id}" in again.error


def test_a_new_message_reusing_a_message_id_is_not_taken_for_a_copy(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail(Date="Wed, 25 Nov 2026 09:00:00 +0000"))
    code, reply = send(smtp_port, mail(Date="Thu, 26 Nov 2026 09:00:00 +0000"))  # same Message-ID, another day
    assert code == 250 and b"INC-2" in reply
    assert len(incidents(db)) == 2


def test_mail_for_unknown_recipient_is_refused_at_rcpt(smtp_port: int, db: Database) -> None:
    code, reply = send(smtp_port, mail(), to="someone-else@localhost")
    assert code == 550 and b"no such service desk address" in reply
    assert incidents(db) == []


@pytest.fixture
def desk_with(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Callable[..., tuple[int, Database, str]]]:
    """Start a desk server with overridden settings; returns (port, database, database file)."""
    started: list[tuple[Controller, Database]] = []

    def start(**overrides: object) -> tuple[int, Database, str]:
        settings = make_settings(tmp_path / "var", **overrides)
        database = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
        controller = make_controller(settings, make_intake(settings, database), port=free_port())
        controller.start()
        started.append((controller, database))
        return controller.port, database, settings.database_url.removeprefix("sqlite:///")

    yield start
    for controller, database in started:
        controller.stop()
        database.dispose()


def test_message_over_size_limit_is_refused_with_552(desk_with) -> None:  # type: ignore[no-untyped-def]
    port, database, _ = desk_with(max_message_bytes=2000)
    code, reply = send(port, mail(body="All work and no play.\n" * 200))
    assert code == 552, reply
    assert incidents(database) == []


def test_storage_down_answers_451_so_the_sender_retries(desk_with) -> None:  # type: ignore[no-untyped-def]
    port, database, path = desk_with(db_timeout=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past our timeout
    try:
        code, reply = send(port, mail())
        assert code == 451 and b"try again later" in reply
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    code, _ = send(port, mail())  # the sender's retry succeeds once storage is back
    assert code == 250 and len(incidents(database)) == 1


def test_mail_to_a_desk_that_cannot_be_looked_up_yet_is_deferred_not_bounced(tmp_path: Path) -> None:
    """Started while the database cannot be opened, the server cannot know the desks added with the CLI: mail
    to an address it does not know yet gets 451 (the sender retries) rather than 550 (the mail is bounced)."""
    path = tmp_path / "switchboard.db"
    path.mkdir()  # a directory: SQLite cannot open it
    settings = make_settings(tmp_path / "var", database_url=f"sqlite:///{path}")
    database = Database.connect(settings.database_url, timeout=settings.db_timeout)
    controller = make_controller(settings, make_intake(settings, database), port=free_port())
    controller.start()
    try:
        code, reply = send(controller.port, mail(), to="it@example.com")
        assert code == 451 and b"try again later" in reply
        path.rmdir()  # storage is back, with the desk the CLI added
        upgrade(database.engine)
        with database.transaction() as session:
            session.add(DeskAddress(address="it@example.com"))
        code, _ = send(controller.port, mail(), to="it@example.com")
        assert code == 250 and len(incidents(database)) == 1
        code, reply = send(controller.port, mail(), to="nobody@example.com")
        assert code == 550  # once the table is read, an address in neither list is refused for good
    finally:
        controller.stop()
        database.dispose()


def test_an_unforeseen_storage_error_is_deferred_and_does_not_reveal_internals(desk_with) -> None:  # type: ignore[no-untyped-def]
    port, database, _ = desk_with()
    with database.write() as conn:  # a constraint this code never expected to meet
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON events "
                             "BEGIN SELECT RAISE(ABORT, 'internal detail'); END")  # fmt: skip
    code, reply = send(port, mail())
    assert code == 451 and b"try again later" in reply and b"internal" not in reply
    with database.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER refuse")
    code, _ = send(port, mail())  # the sender's retry lands
    assert code == 250 and len(incidents(database)) == 1


def test_a_full_disk_answers_451_stores_nothing_half_and_the_retry_lands(desk_with, small_disk: SmallDisk) -> None:  # type: ignore[no-untyped-def]
    port, database, _ = desk_with(database_url=f"sqlite:///{small_disk.path / 'switchboard.db'}")
    small_disk.fill()
    big = mail(body="Third floor, and the smoke is getting thicker.\n" * 500)  # the log must grow to hold it
    code, reply = send(port, big)
    assert code == 451 and b"try again later" in reply
    with database.read() as s:
        assert s.scalars(select(Event)).all() == []  # nothing kept, not even as unprocessable: the sender retries
    small_disk.free()
    code, _ = send(port, big)
    assert code == 250 and len(incidents(database)) == 1


def test_attachments_that_cannot_be_written_answer_451_not_unprocessable(desk_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port, database, _ = desk_with()
    (tmp_path / "var" / "attachments").write_bytes(
        b""
    )  # where the folder should be: every write fails, as on a full disk
    msg = mail()
    msg.add_attachment(b"ERROR everywhere\n", maintype="text", subtype="plain", filename="app.log")
    code, reply = send(port, msg)
    assert code == 451 and b"try again later" in reply
    with database.read() as s:
        assert s.scalars(select(Event)).all() == []  # nothing kept as unprocessable: the sender will retry
    (tmp_path / "var" / "attachments").unlink()  # the disk has room again
    code, _ = send(port, msg)
    assert code == 250 and len(incidents(database)) == 1


def test_reply_with_subject_tag_from_requester_threads_into_incident(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail())
    code, reply = send(smtp_port, mail(subject="Re: [INC-1] Printer on fire", body="Now it smokes."))
    assert code == 250 and b"INC-1" in reply
    assert len(incidents(db)) == 1
    with db.read() as s:
        kinds = [e.kind for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == 1))]
    assert "email" in kinds


def test_reply_with_foreign_subject_tag_opens_new_incident(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail())
    code, reply = send(smtp_port, mail(subject="[INC-1] let me in", sender="mallory@example.net"), sender="m@x.net")
    assert code == 250 and b"INC-2" in reply
    assert [i.requester for i in incidents(db)] == ["ann@example.com", "mallory@example.net"]


def test_reply_to_acknowledgement_message_id_threads_without_subject_tag(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail())
    with db.read() as s:
        ack_id = s.scalars(select(OutboxMessage.message_id)).one()
    code, reply = send(smtp_port, mail(subject="Re: your ticket", body="thanks", In_Reply_To=ack_id))
    assert code == 250 and b"INC-1" in reply and len(incidents(db)) == 1


def test_auto_reply_gets_no_acknowledgement(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail(subject="Out of office", Auto_Submitted="auto-replied"))
    with db.read() as s:
        assert s.scalars(select(OutboxMessage)).all() == []


def test_bounce_with_null_sender_gets_no_acknowledgement(smtp_port: int, db: Database) -> None:
    send(smtp_port, mail(subject="Undelivered Mail Returned to Sender"), sender="")
    assert len(incidents(db)) == 1
    with db.read() as s:
        assert s.scalars(select(OutboxMessage)).all() == []


def test_looping_message_is_refused_and_not_stored(smtp_port: int, db: Database) -> None:
    hops = b"".join(b"Received: from mx%d.example.com by mx.example.com\r\n" % i for i in range(40))
    code, reply = send(smtp_port, hops + mail().as_bytes(policy=policy.SMTP))
    assert code == 554 and b"looping" in reply
    with db.read() as s:
        assert s.scalars(select(Event)).all() == []


def test_garbage_is_kept_as_unprocessable_not_dropped(smtp_port: int, db: Database) -> None:
    code, reply = send(smtp_port, b"\r\n\r\n\x00\xff\xfe not a message at all")
    assert code == 250 and b"for review" in reply
    with db.read() as s:
        (event,) = s.scalars(select(Event))
    assert event.status == "unprocessable" and "headers" in (event.error or "")
    assert incidents(db) == []


def test_a_message_nested_thousands_deep_is_kept_as_unprocessable_with_the_reason(smtp_port: int, db: Database) -> None:
    code, reply = send(smtp_port, nested_multiparts(1000))
    assert code == 250 and b"for review" in reply
    with db.read() as s:
        (event,) = s.scalars(select(Event))
    assert event.status == "unprocessable" and "more than 100 multipart" in (event.error or "")


def test_starttls_with_the_configured_certificate_then_mail_is_accepted(tmp_path: Path, desk_with) -> None:  # type: ignore[no-untyped-def]
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    cert.private_key_pem.write_to_path(str(key))
    port, database, _ = desk_with(smtp_tls_cert=chain, smtp_tls_key=key)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=client_tls)
        client.ehlo()
        client.sendmail("ann@example.com", [DESK], mail().as_bytes(policy=policy.SMTP))
    assert len(incidents(database)) == 1


def test_tls_settings_must_come_in_pairs_of_readable_files(tmp_path: Path) -> None:
    from hub.config import Settings
    from hub.errors import ConfigError

    with pytest.raises(ConfigError, match="both"):
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_SMTP_TLS_CERT": "x.pem"})
    with pytest.raises(ConfigError, match="not a readable file"):
        Settings.from_env({"SWITCHBOARD_HOME": str(tmp_path), "SWITCHBOARD_SMTP_TLS_CERT": "/nope.pem",
                           "SWITCHBOARD_SMTP_TLS_KEY": "/nope.key"})  # fmt: skip


def test_hostile_headers_and_file_names_still_make_an_incident_with_safe_fields(smtp_port: int, db: Database) -> None:
    """The fuzzers' worst: an encoded word hiding a line break, one of broken base64, a 100 KB header (folded, as
    SMTP's line limit requires), UTF-7 text that decodes to half a character, files named to climb out of a
    directory or as only dots."""
    raw = (b"From: =?utf-8?q?Ann=0D=0ABcc:_eve@example.com?= <ann@example.com>\r\n"
           b"Subject: =?utf-8?q?Disk=0D=0Afull?=\r\nCc: =?utf-8?b?abcde?= <bob@example.com>\r\n"
           b"X-Long: " + b"\r\n ".join([b"x" * 900] * 112) + b"\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nThird floor +2D0-\r\n"
           b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
           b"\r\nroot\r\n"
           b"--b\r\nContent-Type: application/ms-tnef\r\nContent-Disposition: attachment; filename=\" . . \"\r\n"
           b"\r\n\x78\x9f\x3e\x22\r\n--b--\r\n")  # fmt: skip
    code, reply = send(smtp_port, raw)
    assert code == 250 and b"INC-1" in reply
    (incident,) = incidents(db)
    assert (incident.title, incident.description) == ("Disk full", "Third floor +2D0-")
    with db.read() as s:
        names = s.scalars(select(Attachment.filename).order_by(Attachment.id)).all()
    assert names == ["passwd", "attachment-2.bin"]


def test_a_line_longer_than_smtp_allows_is_refused_with_500_and_nothing_is_stored(smtp_port: int, db: Database) -> None:
    """RFC 5321 lines stop at 1,000 octets: a 100 KB header line unfolded is refused for good (not 451, which would
    have its sender retry it for days), and the conversation goes on."""
    raw = b"From: ann@example.com\r\nSubject: " + b"x" * 100_000 + b"\r\n\r\nThird floor.\r\n"
    code, reply = send(smtp_port, raw)
    assert code == 500 and b"too long" in reply.lower()
    with db.read() as s:
        assert s.scalars(select(Event)).all() == []
    assert send(smtp_port, mail())[0] == 250


def reply_after_resolution(port: int, db: Database, body: str) -> Incident:
    """Ann's mail opens INC-1, an agent resolves it, and Ann answers the acknowledgement with `body` quoting it."""
    send(port, mail())
    with db.read() as s:
        ack_id = s.scalars(select(OutboxMessage.message_id)).one()
    triage.change_status(db, 1, "resolve", Actor("agent@example.com"), Mail(DESK, "http://desk"))
    quoted = f"{body}\n\nOn Monday, IT service desk <{DESK}> wrote:\n> Resolved. If it is not fixed, reply.\n"
    code, _ = send(port, mail(subject="Re: [INC-1] Printer on fire", body=quoted, In_Reply_To=ack_id))
    assert code == 250
    (incident,) = incidents(db)
    return incident


def test_a_reply_that_it_works_again_leaves_the_incident_resolved_as_thanks(smtp_port: int, db: Database) -> None:
    incident = reply_after_resolution(smtp_port, db, "Works again, thanks!\n\nBest regards,\nAnn")
    assert incident.status == "resolved"
    with db.read() as s:
        summaries = list(s.scalars(select(TimelineEntry.summary).where(TimelineEntry.incident_id == 1)))
    assert "Thanks from ann@example.com: Re: [INC-1] Printer on fire" in summaries


def test_a_reply_that_it_works_again_but_something_else_broke_reopens(smtp_port: int, db: Database) -> None:
    incident = reply_after_resolution(smtp_port, db, "Thanks, works again but now the printer is down.")
    assert incident.status == "open"
