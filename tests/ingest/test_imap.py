"""The IMAP watcher against a real Dovecot: import, threading, flags, no duplicates, IDLE and polling, errors."""

from __future__ import annotations

import re
import sqlite3
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from hub import mailboxes
from hub.config import Settings
from hub.db import Database
from hub.errors import StorageUnavailable
from hub.intake import Intake
from hub.mailboxes import MailboxConfig, MailboxImport
from hub.models import Event, Incident, Mailbox, OutboxMessage, TimelineEntry
from hub.sealed import Keyring
from ingest.imap import MailboxError, MailboxWatcher, Watcher, WatchSettings, connect, probe
from ingest.imap_sync import former_key, message_key
from ingest.mail_intake import store_message
from ingest.pipeline import make_intake
from tests.conftest import KEYS, ImapAccount, make_settings, migrated_database
from tests.servers import wait_until

FAST = WatchSettings(poll_interval=0.2, timeout=10, backoff_cap=0.5, reload_interval=0.2)


def message(subject: str = "Printer on fire", body: str = "Third floor.", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.com>"
    msg["To"] = "helpdesk@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="example.com")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def add_mailbox(db: Database, account: ImapAccount, **options: object) -> MailboxConfig:
    values: dict[str, object] = {
        "name": "desk", "host": "127.0.0.1", "port": account.server.port, "tls": "none",
        "username": account.user, "secret": f"literal:{account.password}",
    }  # fmt: skip
    values.update(options)
    with db.transaction() as session:
        return mailboxes.add_mailbox(session, **values, keys=KEYS)  # type: ignore[arg-type]


def sync(config: MailboxConfig, db: Database, intake: Intake, settings: WatchSettings = FAST) -> int:
    """One look at the mailbox, as the watcher takes after connecting or after IDLE wakes it."""
    client = connect(config, KEYS, timeout=10)
    try:
        return MailboxWatcher(config, db, intake, settings, threading.Event(), keys=KEYS).sync(client)
    finally:
        client.logout()


def incidents(db: Database) -> list[Incident]:
    with db.read() as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def events(db: Database) -> list[Event]:
    with db.read() as s:
        return list(s.scalars(select(Event).order_by(Event.id)))


def flags(account: ImapAccount, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
    client = account.client()
    try:
        client.select_folder(folder, readonly=True)
        found = client.get_flags(client.search(["ALL"]))
        return [tuple(f for f in found[uid] if f != b"\\Recent") for uid in sorted(found)]
    finally:
        client.logout()


def stored_mailbox(db: Database, name: str = "desk") -> Mailbox:
    with db.read() as s:
        row = s.scalar(select(Mailbox).where(Mailbox.name == name))
        assert row is not None
        return row


@pytest.fixture
def watching(db: Database, intake: Intake) -> Iterator[callable]:  # type: ignore[valid-type]
    """Start the watcher process's loop (one thread per mailbox) with the given settings; stopped afterwards."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(settings: WatchSettings = FAST, through: Intake = intake) -> None:
        thread = threading.Thread(target=Watcher(db, through, settings, keys=KEYS).run, args=(stop,), daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    stop.set()
    for thread in threads:
        thread.join(20)


def test_appended_message_becomes_an_incident_with_its_raw_message(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    raw = message()
    imap_account.append(raw)
    assert sync(add_mailbox(db, imap_account), db, intake) == 1
    (incident,) = incidents(db)
    assert (incident.title, incident.requester, incident.source) == ("Printer on fire", "ann@example.com", "email")
    (event,) = events(db)
    assert event.incident_id == incident.id and b"Third floor." in event.raw


def test_reply_fetched_over_imap_threads_into_its_incident(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    config = add_mailbox(db, imap_account)
    first = message(message_id="<first@example.com>")
    imap_account.append(first)
    sync(config, db, intake)
    imap_account.append(message("Re: Printer on fire", "Now it smokes.", In_Reply_To="<first@example.com>"))
    sync(config, db, intake)
    (incident,) = incidents(db)
    with db.read() as s:
        kinds = [e.kind for e in s.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id))]
    assert "email" in kinds


def test_the_mailbox_providers_verdict_on_a_forged_sender_is_believed(
    imap_account: ImapAccount, db: Database, settings: Settings
) -> None:
    """Gmail's own header says DMARC failed (a `dmarc=pass` under the forger's relay's Received is the forger's): the
    incident is opened with the warning, and no acknowledgement goes to the address the forger named."""
    intake = make_intake(replace(settings, mail_authserv_id="mx.google.com"), db)
    imap_account.append((Path(__file__).parent.parent / "data" / "mail_auth" / "gmail_fail.eml").read_bytes())
    assert sync(add_mailbox(db, imap_account), db, intake) == 1
    with db.read() as s:
        opened = s.scalars(select(TimelineEntry).where(TimelineEntry.kind == "opened")).one()
        acknowledgements = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "acknowledgement")).all()
    assert opened.data is not None and opened.data["sender_check"]["why"] == "DMARC failed"
    assert acknowledgements == []


def test_imported_messages_are_marked_seen(imap_account: ImapAccount, db: Database, intake: Intake) -> None:
    imap_account.append(message("one"))
    imap_account.append(message("two"))
    sync(add_mailbox(db, imap_account), db, intake)
    assert flags(imap_account) == [(b"\\Seen",), (b"\\Seen",)]


def test_imported_messages_are_moved_when_asked(imap_account: ImapAccount, db: Database, intake: Intake) -> None:
    imap_account.append(message())
    sync(add_mailbox(db, imap_account, move_to="Processed"), db, intake)
    assert flags(imap_account) == []
    assert len(flags(imap_account, "Processed")) == 1
    assert len(incidents(db)) == 1


def test_moved_messages_are_read_in_the_folder_they_are_moved_to(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    imap_account.append(message())
    sync(add_mailbox(db, imap_account, move_to="Processed"), db, intake)
    assert flags(imap_account, "Processed") == [(b"\\Seen",)]


def test_the_watcher_says_it_watches_no_mailbox_when_none_is_enabled(db: Database, intake: Intake) -> None:
    told: list[int] = []
    stop = threading.Event()
    Watcher(db, intake, FAST, keys=KEYS).run(stop, on_change=lambda count: (told.append(count), stop.set()))
    assert told == [0]


def test_message_stays_unflagged_while_storage_is_down_and_is_imported_once_it_is_back(
    imap_account: ImapAccount, tmp_path: Path, migrated_sqlite: Path
) -> None:
    settings = make_settings(tmp_path / "slow", db_timeout=0.2)
    database = migrated_database(settings.database_url, migrated_sqlite, timeout=settings.db_timeout)
    intake = make_intake(settings, database)
    config = add_mailbox(database, imap_account)
    imap_account.append(message())
    blocker = sqlite3.connect(settings.home / "switchboard.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past our timeout
    try:
        with pytest.raises(StorageUnavailable):
            sync(config, database, intake)
        assert flags(imap_account) == [()]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    sync(config, database, intake)
    assert flags(imap_account) == [(b"\\Seen",)] and len(incidents(database)) == 1
    database.dispose()


def test_crash_between_commit_and_flag_does_not_import_twice(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    config = add_mailbox(db, imap_account)
    raw = message()
    imap_account.append(raw)
    client = imap_account.client()
    uidvalidity = client.select_folder("INBOX")[b"UIDVALIDITY"]
    client.logout()
    # The previous run stored UID 1 and died before flagging it or saving its checkpoint.
    store_message(intake, raw, once=MailboxImport(config.id, message_key(raw), uidvalidity, 1))
    sync(config, db, intake)
    assert len(events(db)) == 1 and len(incidents(db)) == 1
    assert flags(imap_account) == [(b"\\Seen",)]


def eight_bit(raw: bytes, message_id: bytes) -> bytes:
    """`raw` with its Message-ID's local part `message_id`: bytes that are not UTF-8 (a mailer's Latin-1)."""
    return re.sub(rb"Message-ID: <[^@]+@", b"Message-ID: <" + message_id + b"@", raw, count=1)


def test_a_message_stored_under_the_key_of_the_version_before_is_not_imported_again(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    """Before Message-IDs of bytes that are not UTF-8 were escaped, each such byte was U+FFFD in the key: a message
    stored so and fetched again after the upgrade (not flagged yet, or its folder restored) is recognised."""
    config = add_mailbox(db, imap_account)
    raw = eight_bit(message(), b"caf\xe9")
    imap_account.append(raw)
    client = imap_account.client()
    uidvalidity = client.select_folder("INBOX")[b"UIDVALIDITY"]
    client.logout()
    former = "<caf\ufffd@example.com>"
    assert former_key(raw) == former != message_key(raw)
    store_message(intake, raw, once=MailboxImport(config.id, former, uidvalidity, 1))  # by the version before
    sync(config, db, intake)
    assert len(events(db)) == 1 and len(incidents(db)) == 1
    assert flags(imap_account) == [(b"\\Seen",)]


def test_another_message_the_former_key_gave_the_same_key_is_still_imported(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    """The former key made <caf\xe9@...> and <caf\xe8@...> one key; the stored message tells them apart."""
    config = add_mailbox(db, imap_account)
    first = eight_bit(message("one"), b"caf\xe9")
    store_message(intake, first, once=MailboxImport(config.id, former_key(first) or "", 1, 1))  # before the upgrade
    second = eight_bit(message("two"), b"caf\xe8")
    assert former_key(second) == former_key(first)
    imap_account.append(second)
    sync(config, db, intake)
    assert [i.title for i in incidents(db)] == ["one", "two"]


def test_uidvalidity_change_rescans_without_importing_anything_twice(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    client = imap_account.client()
    client.create_folder("Desk")
    client.logout()
    config = add_mailbox(db, imap_account, folder="Desk")
    old = [message("one"), message("two")]
    for raw in old:
        imap_account.append(raw, "Desk")
    sync(config, db, intake)
    before = stored_mailbox(db).uidvalidity
    # The folder is recreated and restored from a backup (unread), with one new message: new UIDVALIDITY.
    client = imap_account.client()
    client.delete_folder("Desk")
    client.create_folder("Desk")
    client.logout()
    for raw in [*old, message("three")]:
        imap_account.append(raw, "Desk")
    sync(config, db, intake)
    assert stored_mailbox(db).uidvalidity != before
    assert [i.title for i in incidents(db)] == ["one", "two", "three"]
    assert flags(imap_account, "Desk") == [(b"\\Seen",)] * 3


def test_same_message_delivered_twice_to_the_mailbox_is_imported_once(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    raw = message()  # e.g. sent to two desk addresses that both deliver here
    imap_account.append(raw)
    imap_account.append(raw)
    sync(add_mailbox(db, imap_account), db, intake)
    assert len(events(db)) == 1
    assert flags(imap_account) == [(b"\\Seen",), (b"\\Seen",)]


def test_broken_message_is_kept_as_unprocessable_and_does_not_block_later_ones(
    imap_account: ImapAccount, db: Database, intake: Intake
) -> None:
    imap_account.append(b"this is not a message, it has no headers at all\r\n")
    imap_account.append(message("after the broken one"))
    sync(add_mailbox(db, imap_account), db, intake)
    broken, good = events(db)
    assert broken.status == "unprocessable" and "no headers" in (broken.error or "")
    assert good.incident_id is not None
    assert [i.title for i in incidents(db)] == ["after the broken one"]
    assert flags(imap_account) == [(b"\\Seen",), (b"\\Seen",)]


def test_first_look_imports_only_unread_mail(imap_account: ImapAccount, db: Database, intake: Intake) -> None:
    client = imap_account.client()
    client.append("INBOX", message("read long ago"), flags=[b"\\Seen"])
    client.logout()
    imap_account.append(message("new"))
    sync(add_mailbox(db, imap_account), db, intake)
    assert [i.title for i in incidents(db)] == ["new"]


def test_idle_picks_up_a_new_message_within_a_second_or_two(imap_account: ImapAccount, db: Database, watching) -> None:  # type: ignore[no-untyped-def]
    add_mailbox(db, imap_account)
    watching(WatchSettings(poll_interval=3600, timeout=10, reload_interval=0.2))  # only IDLE can be this quick
    wait_until(lambda: stored_mailbox(db).last_checked_at, message="the first look at the mailbox")
    appended = time.monotonic()
    imap_account.append(message("via IDLE"))
    wait_until(lambda: incidents(db), timeout=10, message="the incident from the appended message")
    assert time.monotonic() - appended < 3


def test_a_connection_the_server_ends_during_idle_is_said_and_made_again(  # type: ignore[no-untyped-def]
    imap_account: ImapAccount, db: Database, watching
) -> None:
    add_mailbox(db, imap_account)
    watching(WatchSettings(poll_interval=3600, timeout=10, backoff_cap=0.5, reload_interval=0.2))
    wait_until(lambda: stored_mailbox(db).last_checked_at, message="the first look at the mailbox")
    imap_account.server.kick(imap_account.user)  # a restart, as the watcher sees it: BYE, then the socket closes
    wait_until(lambda: stored_mailbox(db).last_error, timeout=10, message="the lost connection on the mailbox")
    imap_account.append(message("after the server ended the session"))
    wait_until(lambda: incidents(db), timeout=10, message="the incident from mail sent after the reconnect")
    wait_until(lambda: stored_mailbox(db).last_error is None, timeout=10, message="the error cleared")


class MailArrivesDuringImport:
    """The real intake, except that while it stores the first message another arrives in the mailbox: the
    server then reports it in its answer to a command of that look, not to the IDLE after it."""

    def __init__(self, intake: Intake, account: ImapAccount) -> None:
        self._intake = intake
        self._account = account
        self._arrived = False

    def record(self, *args: object, **kwargs: object) -> object:
        if not self._arrived:
            self._arrived = True
            self._account.append(message("arrived during the import"))
        return self._intake.record(*args, **kwargs)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._intake, name)


def test_message_arriving_while_others_are_imported_is_imported_before_idle(  # type: ignore[no-untyped-def]
    imap_account: ImapAccount, db: Database, intake: Intake, watching
) -> None:
    add_mailbox(db, imap_account)
    imap_account.append(message("waiting"))
    arriving = MailArrivesDuringImport(intake, imap_account)
    watching(WatchSettings(poll_interval=3600, timeout=10, reload_interval=0.2), through=arriving)
    wait_until(lambda: len(incidents(db)) == 2, timeout=10, message="both messages as incidents")
    assert [i.title for i in incidents(db)] == ["waiting", "arrived during the import"]


def test_polling_imports_when_idle_is_turned_off(imap_account: ImapAccount, db: Database, watching) -> None:  # type: ignore[no-untyped-def]
    add_mailbox(db, imap_account)
    watching(WatchSettings(use_idle=False, poll_interval=0.2, timeout=10, reload_interval=0.2))
    wait_until(lambda: stored_mailbox(db).last_checked_at, message="the first look at the mailbox")
    imap_account.append(message("via polling"))
    wait_until(lambda: incidents(db), timeout=10, message="the incident from the appended message")


def test_wrong_password_is_recorded_on_the_mailbox_with_what_to_check(
    imap_account: ImapAccount, db: Database, watching
) -> None:  # type: ignore[no-untyped-def]
    add_mailbox(db, imap_account, secret="literal:not the password")
    watching()
    error = wait_until(lambda: stored_mailbox(db).last_error, message="the login error on the mailbox")
    assert (
        f"as {imap_account.user} failed" in error
        and "check the user name (usually the full address) and the password" in error
    )


def test_connection_refused_says_which_host_and_port(imap_account: ImapAccount, db: Database) -> None:
    config = add_mailbox(db, imap_account, port=1)
    with pytest.raises(MailboxError, match=r"cannot connect to 127\.0\.0\.1:1"):
        connect(config, KEYS, timeout=5)


def test_secret_from_an_unset_environment_variable_is_a_clear_error(imap_account: ImapAccount, db: Database) -> None:
    config = add_mailbox(db, imap_account, secret="env:SWITCHBOARD_TEST_UNSET_IMAP_PASSWORD")
    with pytest.raises(MailboxError, match="SWITCHBOARD_TEST_UNSET_IMAP_PASSWORD is not set"):
        connect(config, KEYS, timeout=5)


def test_a_password_sealed_under_another_secret_key_is_a_clear_error(imap_account: ImapAccount, db: Database) -> None:
    config = add_mailbox(db, imap_account)
    with pytest.raises(MailboxError, match="was sealed under another SECRET_KEY") as refused:
        connect(config, Keyring.derive("a key the hub never had"), timeout=5)
    assert "SWITCHBOARD_OLD_SECRET_KEYS" in str(refused.value)


def test_probe_reports_messages_and_capabilities(imap_account: ImapAccount, db: Database) -> None:
    imap_account.append(message())
    found = probe(add_mailbox(db, imap_account), KEYS, timeout=10)
    assert (found.messages, found.unseen) == (1, 1)
    assert "IDLE" in found.capabilities and "INBOX" in found.folders


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
def test_tls_modes_connect_to_a_server_with_a_trusted_certificate(
    tls: str, imap_account: ImapAccount, imap_ca: trustme.CA, db: Database
) -> None:
    port = imap_account.server.tls_port if tls == "ssl" else imap_account.server.port
    config = add_mailbox(db, imap_account, tls=tls, port=port)
    context = ssl.create_default_context()
    imap_ca.configure_trust(context)
    assert probe(config, KEYS, timeout=10, ssl_context=context).messages == 0


def test_tls_with_an_untrusted_certificate_is_refused_with_a_hint(imap_account: ImapAccount, db: Database) -> None:
    config = add_mailbox(db, imap_account, tls="ssl", port=imap_account.server.tls_port)
    with pytest.raises(MailboxError, match="SSL_CERT_FILE"):
        connect(config, KEYS, timeout=10)


def test_xoauth2_login_with_a_token_file_imports_mail(
    imap_account: ImapAccount, db: Database, intake: Intake, tmp_path: Path
) -> None:
    imap_account.server.add_token("access-token-1", imap_account.user)
    token_file = tmp_path / "token"
    token_file.write_text("access-token-1\n")
    config = add_mailbox(db, imap_account, auth="xoauth2", secret=f"file:{token_file}")
    imap_account.append(message())
    assert sync(config, db, intake) == 1 and len(incidents(db)) == 1


def test_stale_xoauth2_token_is_a_clear_error_and_the_refreshed_file_is_read_at_the_next_connect(
    imap_account: ImapAccount, db: Database, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("expired-token\n")
    config = add_mailbox(db, imap_account, auth="xoauth2", secret=f"file:{token_file}")
    with pytest.raises(MailboxError, match="is the OAuth2 access token current"):
        connect(config, KEYS, timeout=20)
    imap_account.server.add_token("fresh-token", imap_account.user)
    token_file.write_text("fresh-token\n")  # what the refresh job does
    connect(config, KEYS, timeout=20).logout()
