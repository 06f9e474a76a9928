"""IMAP mailboxes the `imap` watcher imports from: their settings, checkpoints, errors, and which messages each
has already given us (so nothing is imported twice, whatever happens between our commit and the server's flag).

The IMAP conversation itself lives in ingest/imap.py; the hub keeps only what must survive a restart. A password
typed in is kept sealed (hub/sealed.py); `resolve_secret` is the one place it is opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, select, update
from sqlalchemy.orm import Session

from hub import sealed
from hub.domain import TLS_MODES
from hub.errors import BadInput, ConfigError
from hub.models import Event, ImportedMessage, Mailbox, utcnow
from hub.sealed import Keyring

AUTH_KINDS = ("password", "xoauth2")
#: The longest key a message is remembered by (`imported_messages.message_key`).
KEY_WIDTH = 998
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_IMPORTED = cast(Table, ImportedMessage.__table__)
_EVENTS = cast(Table, Event.__table__)
SECRET = sealed.Column(
    "mailboxes.secret",
    "the mailbox's password",
    "remove the mailbox and add it again with its password (`switchboard mailbox`)",
)


@dataclass(frozen=True)
class Checkpoint:
    """How far a mailbox has been imported: the folder's UIDVALIDITY and the highest UID done (0: none yet)."""

    uidvalidity: int | None = None
    last_uid: int = 0


@dataclass(frozen=True)
class MailboxConfig:
    """What the watcher needs to reach one mailbox. `secret` is a reference; see `resolve_secret`."""

    id: int
    name: str
    host: str
    port: int
    tls: str
    username: str
    auth: str
    secret: str = field(repr=False)
    folder: str
    move_to: str | None  # None: mark imported messages \\Seen and leave them where they are
    enabled: bool = True

    @classmethod
    def of(cls, row: Mailbox) -> MailboxConfig:
        move_to = row.after_import.removeprefix("move:") if row.after_import.startswith("move:") else None
        return cls(
            row.id,
            row.name,
            row.host,
            row.port,
            row.tls,
            row.username,
            row.auth,
            row.secret,
            row.folder,
            move_to,
            row.enabled,
        )

    @property
    def after_import(self) -> str:
        return f"move:{self.move_to}" if self.move_to else "seen"

    @property
    def secret_source(self) -> str:
        """Where the secret comes from, safe to show (never the secret itself)."""
        kind, _, where = self.secret.partition(":")
        if kind == "literal":  # kept by a version from before sealing
            return "stored in the database, not sealed yet (run `switchboard db reseal`)"
        return "stored in the database, sealed" if kind == "sealed" else f"{kind} {where}"


@dataclass(frozen=True)
class FormerKey:
    """The key an earlier version gave a message (ingest/imap_sync.py::former_key), and how a message is keyed now
    (`message_key`): that version gave some messages one key, so a row under it is this message only if the message
    it stored is keyed as this one now."""

    key: str
    key_of: Callable[[bytes], str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class MailboxImport:
    """One fetched message, named so that fetching it again is recognised: Message-ID (or digest) + mailbox."""

    mailbox_id: int
    message_key: str
    uidvalidity: int
    uid: int
    former: FormerKey | None = None  # where an earlier version keyed it otherwise: it may be stored under that


def add_mailbox(
    session: Session,
    *,
    name: str,
    host: str,
    username: str,
    secret: str,
    port: int | None = None,
    tls: str = "ssl",
    auth: str = "password",
    folder: str = "INBOX",
    move_to: str | None = None,
    keys: Keyring,
) -> MailboxConfig:
    """Configure a mailbox to import from. `secret` is `env:VAR`, `file:PATH` or `literal:VALUE`; a literal one is
    kept sealed under `keys`."""
    if not _NAME.match(name):
        raise BadInput(f"mailbox name {name!r} must be 1-100 lowercase letters, digits, '-' or '_'")
    if tls not in TLS_MODES:
        raise BadInput(f"unknown TLS mode {tls!r}; use one of: {', '.join(TLS_MODES)}")
    if auth not in AUTH_KINDS:
        raise BadInput(f"unknown authentication {auth!r}; use one of: {', '.join(AUTH_KINDS)}")
    if not host.strip() or not username.strip():
        raise BadInput("a mailbox needs a host and a user name")
    if secret.partition(":")[0] not in ("env", "file", "literal") or not secret.partition(":")[2]:
        raise BadInput("give the password or token: --password, --password-env VAR or --xoauth2-token-env VAR")
    if not folder.strip() or (move_to is not None and not move_to.strip()):
        raise BadInput("folder names must not be empty")
    if move_to is not None and move_to == folder:
        raise BadInput(f"--move-to {move_to!r} is the folder being watched; name another folder")
    if session.scalar(select(Mailbox.id).where(Mailbox.name == name)) is not None:
        raise BadInput(f"a mailbox named {name!r} already exists; remove it first to change it")
    row = Mailbox(
        name=name,
        host=host.strip(),
        port=port or DEFAULT_PORTS[tls],
        tls=tls,
        username=username.strip(),
        auth=auth,
        secret="" if secret.startswith("literal:") else secret,  # sealed below, once the row has its id
        folder=folder,
        after_import=f"move:{move_to}" if move_to else "seen",
        enabled=True,
        last_uid=0,
    )
    session.add(row)
    session.flush()
    if secret.startswith("literal:"):
        row.secret = sealed.seal(keys, secret.removeprefix("literal:"), SECRET.at(row.id))
        session.flush()
    return MailboxConfig.of(row)


def list_mailboxes(session: Session) -> list[Mailbox]:
    return list(session.scalars(select(Mailbox).order_by(Mailbox.name)))


def enabled_mailboxes(session: Session) -> list[MailboxConfig]:
    return [MailboxConfig.of(row) for row in session.scalars(select(Mailbox).where(Mailbox.enabled.is_(True)))]


def get_mailbox(session: Session, name: str) -> MailboxConfig:
    row = session.scalar(select(Mailbox).where(Mailbox.name == name))
    if row is None:
        raise BadInput(f"there is no mailbox {name!r}; `switchboard mailbox list` shows them")
    return MailboxConfig.of(row)


def remove_mailbox(session: Session, name: str) -> None:
    """Forget a mailbox, its checkpoint and its record of imported messages (the events stay)."""
    mailbox_id = get_mailbox(session, name).id
    session.execute(delete(Mailbox).where(Mailbox.id == mailbox_id))


def load_checkpoint(session: Session, mailbox_id: int) -> Checkpoint:
    row = session.execute(select(Mailbox.uidvalidity, Mailbox.last_uid).where(Mailbox.id == mailbox_id)).first()
    return Checkpoint(row[0], row[1]) if row is not None else Checkpoint()


def save_checkpoint(session: Session, mailbox_id: int, checkpoint: Checkpoint, at: datetime | None = None) -> None:
    """Record a successful check: the new checkpoint, and no error (so no longer failing)."""
    session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox_id)
        .values(
            uidvalidity=checkpoint.uidvalidity,
            last_uid=checkpoint.last_uid,
            last_error=None,
            last_checked_at=at or utcnow(),
            failing_since=None,
        )
    )


def record_error(session: Session, mailbox_id: int, error: str, at: datetime | None = None) -> None:
    """Keep the latest failure on the mailbox, for `mailbox list` and the people who read it; the first of a run of
    failures dates it (`failing_since`), so the banner says how long mail has waited, not when it was last tried."""
    now = at or utcnow()
    values = {
        "last_error": error[:2000],
        "last_checked_at": now,
        "failing_since": func.coalesce(Mailbox.failing_since, now),
    }
    session.execute(update(Mailbox).where(Mailbox.id == mailbox_id).values(**values))


@dataclass(frozen=True)
class Failing:
    """An enabled mailbox the watcher cannot read: what the dashboard's banner and /metrics say."""

    name: str
    since: datetime  # the first failure since its last good look
    error: str


def failing(session: Session) -> list[Failing]:
    """The enabled mailboxes whose latest look failed, longest failing first (a disabled one is not watched, so its
    old error is no news)."""
    rows = session.execute(
        select(Mailbox.name, Mailbox.failing_since, Mailbox.last_checked_at, Mailbox.last_error)
        .where(Mailbox.enabled.is_(True), Mailbox.last_error.is_not(None))
        .order_by(Mailbox.name)
    )
    # A mailbox that failed before migration 0065 has no `failing_since`: its latest failure is the best date known.
    found = [Failing(name, since or checked or utcnow(), error or "") for name, since, checked, error in rows]
    return sorted(found, key=lambda one: one.since)


def watched_names(session: Session) -> list[str]:
    """The names of the enabled mailboxes, for a gauge that reads 0 for each one that is fine."""
    return list(session.scalars(select(Mailbox.name).where(Mailbox.enabled.is_(True)).order_by(Mailbox.name)))


def resolve_secret(config: MailboxConfig, keys: Keyring, environ: Mapping[str, str] | None = None) -> str:
    """The password or token the mailbox's secret names, read now (a token file may have been refreshed). Raises
    ConfigError saying what to fix (sealed.CannotOpen for a sealed password that does not open here)."""
    env = os.environ if environ is None else environ
    kind, _, where = config.secret.partition(":")
    if kind == "sealed":
        return sealed.unseal(keys, config.secret, SECRET.at(config.id))
    if kind == "literal":
        return where
    if kind == "env":
        value = env.get(where)
        if not value:
            raise ConfigError(f"environment variable {where} is not set in this process; set it where `imap` runs")
        return value
    if kind == "file":
        try:
            return Path(where).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the secret file {where}: {exc.strerror}") from None
    raise ConfigError(f"unknown secret reference {kind!r}; re-add the mailbox")


def resealed(keys: Keyring, stored: str, mailbox_id: int) -> str | None:
    """What `switchboard db reseal` stores instead: a password sealed under the current key (None: it is already,
    or the secret is a reference to read elsewhere, `env:` or `file:`)."""
    kind, _, value = stored.partition(":")
    if kind == "literal":
        return sealed.seal(keys, value, SECRET.at(mailbox_id))
    return sealed.resealed(keys, stored, SECRET.at(mailbox_id)) if kind == "sealed" else None


# -- at intake, inside the transaction that stores the message ---------------------------------------------


def earlier_import(conn: Connection, item: MailboxImport) -> tuple[int | None, int | None] | None:
    """(event id, incident id) of this message's earlier import from this mailbox; None if it is new.

    Under its former key (`FormerKey`) only when it has none under its key: a row there is this message when the
    message it stored is keyed as this one now, or when that message is gone (as the version before judged it)."""
    row = _imported_under(conn, item.mailbox_id, item.message_key)
    former = item.former
    if row is not None or former is None or ("\x00" in former.key and conn.dialect.name == "postgresql"):
        return (row[0], row[1]) if row is not None else None  # PostgreSQL never stored a NUL: no key held one
    row = _imported_under(conn, item.mailbox_id, former.key, with_message=True)
    if row is None or (row[2] is not None and former.key_of(bytes(row[2])) != item.message_key):
        return None
    return row[0], row[1]


def _imported_under(
    conn: Connection, mailbox_id: int, key: str, *, with_message: bool = False
) -> tuple[Any, ...] | None:
    """(event id, incident id) of what this mailbox's message imported under `key` became, and `with_message` the
    message as stored (None when it is gone): read only where it is compared, as it may be megabytes."""
    stored = [_EVENTS.c.raw] if with_message else []
    row = conn.execute(
        select(_IMPORTED.c.event_id, _EVENTS.c.incident_id, *stored)
        .select_from(_IMPORTED.outerjoin(_EVENTS, _EVENTS.c.id == _IMPORTED.c.event_id))
        .where(_IMPORTED.c.mailbox_id == mailbox_id, _IMPORTED.c.message_key == key)
    ).first()
    return tuple(row) if row is not None else None


def remember_import(conn: Connection, item: MailboxImport, event_id: int) -> None:
    conn.execute(
        _IMPORTED.insert().values(
            mailbox_id=item.mailbox_id,
            message_key=item.message_key,
            event_id=event_id,
            uidvalidity=item.uidvalidity,
            uid=item.uid,
            imported_at=utcnow(),
        )
    )
