"""The IMAP watcher: imports new mail from each configured mailbox through the same intake as SMTP.

Per mailbox, a thread connects (TLS, password or XOAUTH2), then repeats: SELECT the folder, fetch the messages
the checkpoint has not covered (BODY.PEEK, so nothing is marked read before we have it), store each one, and
only after that commit mark it \\Seen or move it, then save the checkpoint; then wait for new mail with IDLE
when the server offers it (renewed every 25 minutes), else poll. A failure is recorded on the mailbox and the
thread reconnects with exponential backoff. The decisions are pure functions in ingest/imap_sync.py.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from hub import mailboxes
from hub.db import Database
from hub.errors import ConfigError, StorageUnavailable
from hub.intake import Intake
from hub.mailboxes import KEY_WIDTH, Checkpoint, FormerKey, MailboxConfig, MailboxImport
from hub.sealed import Keyring
from ingest.imap_sync import (
    IDLE_RENEW_SECONDS,
    Scan,
    finish_scan,
    former_key,
    message_key,
    new_mail,
    pending_uids,
    plan_scan,
    retry_delay,
    session_ended,
)
from ingest.mail_intake import store_message

log = logging.getLogger("switchboard.imap")
_SEEN = b"\\Seen"
_DELETED = b"\\Deleted"


class MailboxError(Exception):
    """The mailbox cannot be used as configured; the message says what to check."""


@dataclass(frozen=True)
class WatchSettings:
    """How the watcher waits and retries (the CLI's options)."""

    poll_interval: float = 60.0  # seconds between looks when the server has no IDLE (or IDLE is turned off)
    use_idle: bool = True
    idle_renew: float = IDLE_RENEW_SECONDS
    batch: int = 100  # most messages handled per look; the rest wait for the next one
    fetch_chunk: int = 10  # messages per FETCH: bounds memory with large attachments
    timeout: float = 30.0  # socket timeout for connect and commands
    backoff_cap: float = 300.0
    reload_interval: float = 30.0  # how often the list of mailboxes is re-read
    ssl_context: ssl.SSLContext | None = None  # None: the system's trusted CAs (or SSL_CERT_FILE)


@dataclass(frozen=True)
class Probe:
    """What `mailbox test` reports."""

    messages: int
    unseen: int
    uidvalidity: int
    capabilities: tuple[str, ...]
    folders: tuple[str, ...]


def connect(
    config: MailboxConfig, keys: Keyring, *, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
) -> IMAPClient:
    """Connect and log in (a sealed password opened with `keys`); any failure becomes a MailboxError that says what
    to check."""
    where = f"{config.host}:{config.port}"
    context = ssl_context or ssl.create_default_context()
    try:
        secret = mailboxes.resolve_secret(config, keys)
    except ConfigError as exc:
        raise MailboxError(str(exc)) from None
    try:
        client = IMAPClient(config.host, config.port, ssl=config.tls == "ssl", ssl_context=context, timeout=timeout)
        if config.tls == "starttls":
            client.starttls(context)
    except ssl.SSLError as exc:
        raise MailboxError(
            f"TLS with {where} failed ({exc.reason or exc}): is --tls right (ssl on 993, starttls on 143)? "
            "For a private CA, set SSL_CERT_FILE for the imap process."
        ) from None
    except (OSError, IMAPClientError) as exc:
        raise MailboxError(f"cannot connect to {where} ({exc}); check the host, port and firewall") from None
    try:
        if config.auth == "xoauth2":
            client.oauth2_login(config.username, secret)
        else:
            client.login(config.username, secret)
    except LoginError as exc:
        _quietly(client.shutdown)
        hint = (
            "is the OAuth2 access token current?"
            if config.auth == "xoauth2"
            else "check the user name (usually the full address) and the password"
        )
        raise MailboxError(f"login to {where} as {config.username} failed ({_text(exc)}): {hint}") from None
    except (OSError, IMAPClientError) as exc:
        _quietly(client.shutdown)
        raise MailboxError(f"login to {where} failed ({exc})") from None
    return client


def probe(
    config: MailboxConfig, keys: Keyring, *, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
) -> Probe:
    """Connect, log in and select the folder, as the watcher would, and report what is there."""
    client = connect(config, keys, timeout=timeout, ssl_context=ssl_context)
    try:
        folders = tuple(name for _flags, _delim, name in client.list_folders())
        try:
            selected = client.select_folder(config.folder, readonly=True)
        except IMAPClientError as exc:
            raise MailboxError(
                f"cannot open folder {config.folder!r} ({_text(exc)}); folders: {', '.join(folders)}"
            ) from None
        unseen = len(client.search(["UNSEEN"]))
        capabilities = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in client.capabilities())
        return Probe(int(selected[b"EXISTS"]), unseen, int(selected[b"UIDVALIDITY"]), capabilities, folders)
    finally:
        _quietly(client.logout)


class MailboxWatcher:
    """Imports from one mailbox until `stop` is set. `run()` is the thread's body; `sync()` is one look."""

    def __init__(
        self,
        config: MailboxConfig,
        db: Database,
        intake: Intake,
        settings: WatchSettings,
        stop: threading.Event,
        *,
        keys: Keyring,
    ) -> None:
        self.config = config
        self._keys = keys
        self._db = db
        self._intake = intake
        self._settings = settings
        self._stop = stop
        self._checkpoint: Checkpoint | None = None

    def run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                client = connect(
                    self.config, self._keys, timeout=self._settings.timeout, ssl_context=self._settings.ssl_context
                )
            except MailboxError as exc:
                failures = self._failed(failures, str(exc))
                continue
            try:
                while not self._stop.is_set():
                    handled = self.sync(client)
                    failures = 0
                    if not handled:
                        # A look that imported something looks again before waiting: mail that arrived during it
                        # was announced in the answer to one of its commands, and the IDLE after it stays silent.
                        self._wait(client)
            except (MailboxError, StorageUnavailable) as exc:
                failures = self._failed(failures, str(exc))
            except (OSError, IMAPClientError) as exc:
                failures = self._failed(failures, f"connection to {self.config.host} lost ({_text(exc)})")
            except Exception as exc:  # a server's odd answer must not end this mailbox's thread for good
                log.exception("%s: unexpected error", self.config.name)
                failures = self._failed(failures, f"unexpected error: {type(exc).__name__}: {exc}")
            finally:
                _quietly(client.logout)

    def sync(self, client: IMAPClient) -> int:
        """Look at the folder once and import what is new; returns how many messages were handled."""
        try:
            selected = client.select_folder(self.config.folder)
        except IMAPClientError as exc:
            raise MailboxError(f"cannot open folder {self.config.folder!r} ({_text(exc)})") from None
        if self._checkpoint is None:
            with self._db.read() as session:
                self._checkpoint = mailboxes.load_checkpoint(session, self.config.id)
        scan = plan_scan(self._checkpoint, int(selected[b"UIDVALIDITY"]))
        if scan.rescan and self._checkpoint.uidvalidity is not None:
            log.warning(
                "%s: UIDVALIDITY changed; re-scanning unseen mail (nothing is imported twice)", self.config.name
            )
        pending = pending_uids(client.search(list(scan.criteria)), scan, self._settings.batch)
        done: list[int] = []
        try:
            for start in range(0, len(pending), self._settings.fetch_chunk):
                chunk = pending[start : start + self._settings.fetch_chunk]
                fetched = client.fetch(chunk, [b"BODY.PEEK[]"])
                stored, failure = self._store(scan, chunk, fetched)
                self._after_import(client, stored)
                done += stored
                if failure is not None:
                    raise failure
        finally:
            uidnext = selected.get(b"UIDNEXT")
            complete = len(done) == len(pending) and len(pending) < self._settings.batch
            self._save(finish_scan(scan, done, complete=complete, uidnext=int(uidnext) if uidnext else None))
        return len(done)

    # -- the steps ----------------------------------------------------------------------------------------

    def _store(
        self, scan: Scan, uids: list[int], fetched: dict[int, dict[bytes, Any]]
    ) -> tuple[list[int], StorageUnavailable | None]:
        """Store each message in UID order; stop at the first the database would not take (it is fetched again
        later): returns the UIDs stored and that failure, so those before it are still flagged."""
        stored: list[int] = []
        uidvalidity = scan.start.uidvalidity or 0
        for uid in uids:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if raw is None:  # expunged between SEARCH and FETCH
                stored.append(uid)
                continue
            former = former_key(raw)
            item = MailboxImport(self.config.id, _stored_key(raw), uidvalidity, uid,
                                 former=FormerKey(former[:KEY_WIDTH], _stored_key) if former else None)  # fmt: skip
            try:
                result = store_message(self._intake, raw, once=item)
            except StorageUnavailable as exc:
                return stored, exc
            what = "already received" if result.duplicate else (result.ref or f"event {result.event_id}")
            log.info("%s: UID %d -> %s", self.config.name, uid, what)
            stored.append(uid)
        return stored, None

    def _after_import(self, client: IMAPClient, uids: list[int]) -> None:
        """Only now that they are committed: mark the messages read, or move them out of the watched folder."""
        if not uids:
            return
        # Read before moving too: the flag travels with the message (MOVE and COPY keep it), so what was handled
        # does not sit unread in --move-to's folder, looking like mail no one has seen.
        client.add_flags(uids, [_SEEN], silent=True)
        if not self.config.move_to:
            return
        try:
            self._move(client, uids, self.config.move_to)
        except IMAPClientError as exc:
            if "TRYCREATE" not in str(exc):
                raise
            client.create_folder(self.config.move_to)  # the server says the folder is missing: make it, once
            self._move(client, uids, self.config.move_to)

    @staticmethod
    def _move(client: IMAPClient, uids: list[int], folder: str) -> None:
        if client.has_capability("MOVE"):
            client.move(uids, folder)
        else:
            client.copy(uids, folder)
            client.add_flags(uids, [_DELETED], silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
            else:
                client.expunge()

    def _wait(self, client: IMAPClient) -> None:
        """Until there may be new mail: IDLE when offered (renewed before servers drop it), else the poll interval."""
        if not (self._settings.use_idle and client.has_capability("IDLE")):
            self._stop.wait(self._settings.poll_interval)
            return
        client.idle()
        renew_at = time.monotonic() + self._settings.idle_renew
        while not self._stop.is_set() and time.monotonic() < renew_at:
            responses = client.idle_check(timeout=1.0)
            if new_mail(responses):
                break
            # imapclient's idle_check swallows the end of the connection (EOF) and returns nothing, so a server
            # that restarted or went away would otherwise be noticed only at the renewal, 25 minutes on, with
            # the mail waiting and nothing said: end here, and `run` records the error and reconnects.
            if session_ended(responses) or peer_closed(client.socket()):
                raise ConnectionAbortedError("the server closed the connection")
        client.idle_done()

    def _save(self, checkpoint: Checkpoint) -> None:
        self._checkpoint = checkpoint
        with self._db.transaction() as session:
            mailboxes.save_checkpoint(session, self.config.id, checkpoint)

    def _failed(self, failures: int, error: str) -> int:
        failures += 1
        delay = retry_delay(failures, cap=self._settings.backoff_cap)
        log.error("%s: %s (retrying in %.0f s)", self.config.name, error, delay)
        try:
            with self._db.transaction() as session:
                mailboxes.record_error(session, self.config.id, error)
        except StorageUnavailable:
            log.error("%s: could not record the error either: the database is unavailable", self.config.name)
        self._stop.wait(delay)
        return failures


def peer_closed(sock: socket.socket) -> bool:
    """Whether the server has closed its side of the connection (FIN or reset), seen without reading from it."""
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(sock.fileno(), getattr(select, "POLLRDHUP", 0) | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(0))


@dataclass
class Watcher:
    """One MailboxWatcher thread per enabled mailbox; the list is re-read so added or changed mailboxes are
    picked up without a restart."""

    db: Database
    intake: Intake
    settings: WatchSettings = field(default_factory=WatchSettings)
    keys: Keyring = field(kw_only=True)  # opens the passwords kept sealed
    _threads: dict[int, tuple[MailboxConfig, threading.Thread, threading.Event]] = field(default_factory=dict)

    def run(self, stop: threading.Event, on_change: Callable[[int], None] | None = None) -> None:
        """Watch until `stop` is set; `on_change(count)` is told how many mailboxes are watched after the first
        look at the list (none, too) and whenever it changes."""
        first = True
        try:
            while not stop.is_set():
                if (self.refresh() or first) and on_change is not None:
                    on_change(len(self._threads))
                first = False
                stop.wait(self.settings.reload_interval)
        finally:
            self.stop_all()

    def refresh(self) -> bool:
        """Start threads for new or changed mailboxes and stop those removed or disabled; whether any changed."""
        try:
            with self.db.read() as session:
                wanted = {m.id: m for m in mailboxes.enabled_mailboxes(session)}
        except StorageUnavailable as exc:
            log.error("cannot read the mailboxes: %s", exc)
            return False
        changed = False
        for mailbox_id, (config, _thread, _stop) in list(self._threads.items()):
            if wanted.get(mailbox_id) != config:
                self._stop_one(mailbox_id)
                changed = True
        for mailbox_id, config in wanted.items():
            if mailbox_id not in self._threads:
                stop = threading.Event()
                watcher = MailboxWatcher(config, self.db, self.intake, self.settings, stop, keys=self.keys)
                thread = threading.Thread(target=watcher.run, name=f"imap-{config.name}", daemon=True)
                thread.start()
                self._threads[mailbox_id] = (config, thread, stop)
                changed = True
        return changed

    def stop_all(self) -> None:
        for mailbox_id in list(self._threads):
            self._stop_one(mailbox_id)

    def _stop_one(self, mailbox_id: int) -> None:
        _config, thread, stop = self._threads.pop(mailbox_id)
        stop.set()
        thread.join(timeout=self.settings.timeout + 5)


def _text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text


def _quietly(action: Callable[[], Any]) -> None:
    with contextlib.suppress(OSError, IMAPClientError):  # on the way out: the connection may be gone already
        action()


def _stored_key(raw: bytes) -> str:
    """The key a message is remembered by, as long as the column holds."""
    return message_key(raw)[:KEY_WIDTH]
