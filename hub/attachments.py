"""Files that emails carried: stored once by content under SWITCHBOARD_HOME/attachments, listed in `attachments`.
(Agents' files on notes and replies share the store and the table: hub/agent_files.py.)

When they are written: the raw message is already kept whole in events.raw, so attachments are only a derived,
convenient copy. The edge that received the message writes each file (to a temporary name, fsynced, then renamed
to its SHA-256, so a file is either whole or absent) *before* the transaction that records the message, and the
`attachments` rows are inserted in that same transaction, with the incident it changed. Once the sender is told
250 both are durable, and a row never names a file that was not written. A crash between the two leaves at
worst a file no row names: harmless, since a file's name is its content, and the next copy of it reuses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, Select, Table, insert, select
from sqlalchemy.orm import Session

from hub.domain import InboundEvent
from hub.errors import StorageUnavailable
from hub.models import Attachment, TimelineEntry

if TYPE_CHECKING:
    from hub.config import Settings

ATTACHMENTS = cast(Table, Attachment.__table__)
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AttachmentLimits:
    """How much of a message's files is kept: each file up to `per_file`, all of them up to `per_message` bytes,
    and at most `files` of them (each is a file on disk). A file over a limit is still listed, marked "not
    stored" with the reason (the raw message keeps it anyway)."""

    per_file: int = 10 * 1024 * 1024
    per_message: int = 25 * 1024 * 1024
    files: int = 100

    @classmethod
    def of(cls, settings: Settings) -> AttachmentLimits:
        """The installation's limits (SWITCHBOARD_ATTACHMENT_MAX_BYTES and the message's), for every door files
        come in by: mail, the page's uploads, the command line."""
        return cls(settings.attachment_max_bytes, settings.attachments_max_message_bytes)


DEFAULT_LIMITS = AttachmentLimits()


class AttachmentStore:
    """Content-addressed files: `<root>/<first two hex digits>/<sha256>`."""

    def __init__(self, root: Path, limits: AttachmentLimits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.limits = limits

    @classmethod
    def under(cls, home: Path, limits: AttachmentLimits = DEFAULT_LIMITS) -> AttachmentStore:
        """The installation's store: `attachments` under SWITCHBOARD_HOME."""
        return cls(home / "attachments", limits)

    def path(self, sha256: str) -> Path:
        if not _DIGEST.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Write `data` durably under its digest (once: an existing file is the same bytes); returns the digest.

        A disk that cannot take it (full, read-only, gone) raises StorageUnavailable, as the database does: the
        message is then refused for now (SMTP 451, IMAP leaves it unread), never kept as unprocessable.
        """
        try:
            return self._put(data)
        except OSError as exc:
            raise StorageUnavailable(f"could not write an attachment under {self.root}: {exc}") from exc

    def _put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself must survive a power cut too
        finally:
            os.close(directory)
        return digest

    def put_all(self, blobs: Mapping[str, bytes]) -> None:
        for data in blobs.values():
            self.put(data)

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None


def record_attachments(
    conn: Connection, event: InboundEvent, event_id: int, incident_id: int | None
) -> tuple[int, ...]:
    """List an email's files against its stored event and the incident it went to (in the intake's transaction);
    their ids, in the mail's order (an agent's emailed reply sends some by id: hub/agent_mail_files.py)."""
    files = event.mail.attachments if event.mail is not None else ()
    if not files:
        return ()
    rows = [{"event_id": event_id, "incident_id": incident_id, "filename": f.filename[:255],
             "content_type": f.content_type[:255], "size": f.size, "sha256": f.sha256, "inline": f.inline,
             "stored": f.stored, "note": f.note} for f in files]  # fmt: skip
    statement = insert(ATTACHMENTS).returning(ATTACHMENTS.c.id, sort_by_parameter_order=True)
    return tuple(conn.scalars(statement, rows))


#: Where a file came from: an email, or an agent's note or reply (its timeline entry's kind).
ORIGINS = ("email", "note", "reply")


@dataclass(frozen=True)
class IncidentFile:
    """One file of an incident as its page and the API list it: whose it is (an email's by the event that brought
    it, a note's or reply's by its timeline entry) and whether its bytes were kept (`note` says why not)."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str  # "" for the line summing up files past the most listed (ingest/mail.py)
    inline: bool
    stored: bool
    note: str | None
    origin: str  # one of ORIGINS
    event_id: int | None
    timeline_entry_id: int | None


@dataclass(frozen=True)
class IncidentFiles:
    """An incident's files for its timeline: an email's by the event that brought it, an agent's by the timeline
    entry of its note or reply."""

    by_event: Mapping[int, list[IncidentFile]] = field(default_factory=dict)
    by_entry: Mapping[int, list[IncidentFile]] = field(default_factory=dict)

    def of(self, entry_id: int, event_id: int | None) -> list[IncidentFile]:
        """The files shown under one timeline entry: its own, or those of the email it records."""
        own = self.by_entry.get(entry_id)
        if own is not None:
            return own
        return self.by_event.get(event_id, []) if event_id is not None else []


def _files(incident_id: int) -> Select[Attachment, str | None]:
    """An incident's files with the kind of the note or reply each agent's file belongs to (one query)."""
    return (
        select(Attachment, TimelineEntry.kind)
        .outerjoin(TimelineEntry, TimelineEntry.id == Attachment.timeline_entry_id)
        .where(Attachment.incident_id == incident_id)
    )


def _value(row: Attachment, entry_kind: str | None) -> IncidentFile:
    """The file as a value; `entry_kind` is its note's or reply's, None for an email's (it names no entry)."""
    return IncidentFile(row.id, row.filename, row.content_type, row.size, row.sha256, row.inline, row.stored,
                        row.note, entry_kind or "email", row.event_id, row.timeline_entry_id)  # fmt: skip


def files_of(session: Session, incident_id: int) -> list[IncidentFile]:
    """Every file of an incident, oldest first, in one query: what its JSON lists and its page shows by entry."""
    return [_value(row, kind) for row, kind in session.execute(_files(incident_id).order_by(Attachment.id))]


def file_of(session: Session, incident_id: int, file_id: int) -> IncidentFile | None:
    """One file, only when it is this incident's (a file is reached through its own incident, never another's)."""
    found = session.execute(_files(incident_id).where(Attachment.id == file_id)).first()
    return _value(*found) if found is not None else None


def of_incident(session: Session, incident_id: int) -> IncidentFiles:
    """An incident's files, for its timeline."""
    by_event: dict[int, list[IncidentFile]] = {}
    by_entry: dict[int, list[IncidentFile]] = {}
    for found in files_of(session, incident_id):
        if found.timeline_entry_id is not None:
            by_entry.setdefault(found.timeline_entry_id, []).append(found)
        elif found.event_id is not None:
            by_event.setdefault(found.event_id, []).append(found)
    return IncidentFiles(by_event, by_entry)
