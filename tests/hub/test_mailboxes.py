"""Mailbox settings, checkpoints and the intake's record of imported messages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from hub import mailboxes
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.errors import BadInput, ConfigError
from hub.intake import Intake, Raw
from hub.mailboxes import Checkpoint, MailboxImport
from hub.models import Event, ImportedMessage, Incident, Mailbox
from hub.sealed import CannotOpen, Keyring
from ingest.pipeline import make_intake
from tests.conftest import KEYS, TEST_SECRET_KEY


def add(db: Database, **options: object) -> mailboxes.MailboxConfig:
    values: dict[str, object] = {"name": "desk", "host": "imap.example.com", "username": "desk@example.com",
                                 "secret": "env:DESK_PASSWORD"}  # fmt: skip
    values.update(options)
    with db.transaction() as session:
        return mailboxes.add_mailbox(session, **values, keys=KEYS)  # type: ignore[arg-type]


def email(message_id: str = "<m1@example.com>") -> tuple[Raw, InboundEvent]:
    raw = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer\r\n\r\nhi\r\n")
    event = InboundEvent(source="email", title="Printer", requester="ann@example.com", message_id=message_id)
    return raw, event


def count(db: Database, table: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_same_message_from_the_same_mailbox_is_applied_once(database: Database, settings: Settings) -> None:
    intake: Intake = make_intake(settings, database)
    mailbox = add(database)
    item = MailboxImport(mailbox.id, "<m1@example.com>", uidvalidity=7, uid=1)
    first = intake.record(*email(), once=item)
    again = intake.record(*email(), once=MailboxImport(mailbox.id, "<m1@example.com>", uidvalidity=8, uid=3))
    assert not first.duplicate and again.duplicate
    assert (again.event_id, again.incident_id) == (first.event_id, first.incident_id)
    assert count(database, Event) == 1 and count(database, Incident) == 1


def test_same_message_in_two_mailboxes_is_imported_from_each_but_opens_one_incident(
    database: Database, settings: Settings
) -> None:
    intake = make_intake(settings, database)
    one, two = add(database, name="one"), add(database, name="two")
    first = intake.record(*email(), once=MailboxImport(one.id, "<m1@example.com>", 7, 1))
    second = intake.record(*email(), once=MailboxImport(two.id, "<m1@example.com>", 9, 1))
    assert second.duplicate and second.incident_id == first.incident_id
    assert count(database, Event) == 2 and count(database, Incident) == 1
    assert count(database, ImportedMessage) == 2  # neither mailbox fetches it again


def test_unprocessable_message_is_kept_once(database: Database, settings: Settings) -> None:
    intake = make_intake(settings, database)
    item = MailboxImport(add(database).id, "sha256:abc", 7, 1)
    raw = Raw(source="email", content_type="message/rfc822", body=b"garbage")
    first = intake.record_unprocessable(raw, "InvalidPayload: no headers", once=item)
    assert intake.record_unprocessable(raw, "InvalidPayload: no headers", once=item) == first
    assert count(database, Event) == 1


def test_removing_a_mailbox_forgets_its_imports_but_keeps_the_events(database: Database, settings: Settings) -> None:
    intake = make_intake(settings, database)
    intake.record(*email(), once=MailboxImport(add(database).id, "<m1@example.com>", 7, 1))
    with database.transaction() as session:
        mailboxes.remove_mailbox(session, "desk")
    assert count(database, ImportedMessage) == 0 and count(database, Event) == 1


def test_checkpoint_round_trips_uids_beyond_32_bit_signed(database: Database) -> None:
    mailbox = add(database)
    with database.transaction() as session:
        mailboxes.save_checkpoint(session, mailbox.id, Checkpoint(uidvalidity=4_294_967_295, last_uid=3_000_000_000))
    with database.read() as session:
        assert mailboxes.load_checkpoint(session, mailbox.id) == Checkpoint(4_294_967_295, 3_000_000_000)


def test_saving_a_checkpoint_clears_the_last_error(database: Database) -> None:
    mailbox = add(database)
    with database.transaction() as session:
        mailboxes.record_error(session, mailbox.id, "login failed")
        mailboxes.save_checkpoint(session, mailbox.id, Checkpoint(7, 1))
    with database.read() as session:
        (row,) = mailboxes.list_mailboxes(session)
    assert row.last_error is None and row.last_checked_at is not None


def test_a_run_of_failures_is_dated_from_its_first_and_ends_with_a_good_look(database: Database) -> None:
    mailbox = add(database)
    first, later = datetime(2026, 11, 28, 9, tzinfo=UTC), datetime(2026, 11, 28, 10, tzinfo=UTC)
    with database.transaction() as session:
        mailboxes.record_error(session, mailbox.id, "server down", at=first)
        mailboxes.record_error(session, mailbox.id, "login failed", at=later)
    with database.read() as session:
        assert mailboxes.failing(session) == [mailboxes.Failing("desk", first, "login failed")]
    with database.transaction() as session:
        mailboxes.save_checkpoint(session, mailbox.id, Checkpoint(7, 1))
    with database.read() as session:
        assert mailboxes.failing(session) == []
        assert session.scalar(select(Mailbox.failing_since)) is None


def test_default_port_follows_the_tls_mode(database: Database) -> None:
    assert add(database, name="a").port == 993
    assert add(database, name="b", tls="starttls").port == 143


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"name": "Bad Name"}, "mailbox name"),
        ({"tls": "tls1.3"}, "unknown TLS mode"),
        ({"secret": "plain-password"}, "give the password or token"),
        ({"move_to": "INBOX"}, "is the folder being watched"),
    ],
)
def test_bad_mailbox_settings_are_refused_with_the_reason(
    database: Database, options: dict[str, object], complaint: str
) -> None:
    with pytest.raises(BadInput, match=complaint):
        add(database, **options)


def kept(secret: str) -> mailboxes.MailboxConfig:
    """A mailbox whose stored secret is `secret`."""
    return mailboxes.MailboxConfig(7, "desk", "imap.example.com", 993, "ssl", "desk", "password", secret, "INBOX", None)


def test_secret_references_are_read_when_used(tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tmp_path / "token"
    token.write_text("t0k3n\n")
    assert mailboxes.resolve_secret(kept(f"file:{token}"), KEYS) == "t0k3n"
    assert mailboxes.resolve_secret(kept("env:PW"), KEYS, {"PW": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError, match="cannot read the secret file"):
        mailboxes.resolve_secret(kept(f"file:{tmp_path / 'missing'}"), KEYS)


def test_a_typed_password_is_kept_sealed_and_opened_when_used(database: Database) -> None:
    config = add(database, secret="literal:correct horse")
    with database.read() as session:
        [stored] = session.scalars(select(Mailbox.secret))
    assert stored.startswith("sealed:v1:") and "correct horse" not in stored and stored == config.secret
    assert "correct horse" not in repr(config) and config.secret_source == "stored in the database, sealed"
    assert mailboxes.resolve_secret(config, KEYS) == "correct horse"


def test_a_password_kept_plain_by_an_older_version_still_logs_in(database: Database) -> None:
    config = add(database)
    with database.transaction() as session:
        session.execute(update(Mailbox).values(secret="literal:as given"))
    with database.read() as session:
        config = mailboxes.get_mailbox(session, config.name)
    assert mailboxes.resolve_secret(config, KEYS) == "as given"
    assert "not sealed yet" in config.secret_source and "switchboard db reseal" in config.secret_source


def test_a_password_sealed_under_another_secret_key_says_how_to_recover(database: Database) -> None:
    config = add(database, secret="literal:correct horse")
    with pytest.raises(CannotOpen, match="SECRET_KEY changed") as refused:
        mailboxes.resolve_secret(config, Keyring.derive("a new key"))
    assert "SWITCHBOARD_OLD_SECRET_KEYS" in str(refused.value) and "remove the mailbox" in str(refused.value)
    assert mailboxes.resolve_secret(config, Keyring.derive("a new key", [TEST_SECRET_KEY])) == "correct horse"
