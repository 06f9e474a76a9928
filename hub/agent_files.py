"""Files agents attach to their notes and replies: checked against the limits, written to the attachment store
before the transaction that records them, and listed against the note's or reply's timeline entry.

They take the path an email's files take (hub/attachments.py): the same store and limits, each file written whole
and fsynced under its SHA-256 *before* the transaction, so a row never names a file that was not written, and a
crash in between leaves at worst a file no row names. The edges (the incident page's forms, the API) read the
bytes and sanitise the names as an email's are (hub/names.py::safe_filename); the hub does the rest. A note's
files stay inside, as the note does; a reply's go with its mail, named by id in its outbox row and read from the
store by the worker as it sends (outbound/channels/email.py).
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from sqlalchemy import Connection, insert

from hub.attachments import ATTACHMENTS, AttachmentLimits, AttachmentStore
from hub.errors import BadField

#: Files one note or reply may carry.
MOST_FILES = 5
#: The form field and the API's part that carry them.
FIELD = "files"
_MB = 1024 * 1024


class TooManyFiles(BadField):
    """More files than a note or reply may carry."""

    def __init__(self, message: str) -> None:
        super().__init__(FIELD, message)


class FilesTooLarge(BadField):
    """A file, or all of them together, over the installation's limits (an API answers 413)."""

    def __init__(self, message: str) -> None:
        super().__init__(FIELD, message)


@dataclass(frozen=True)
class Upload:
    """One file as an agent sent it: its name, already sanitised by the edge, and its bytes."""

    filename: str
    data: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Kept:
    """A file written to the store, as its row lists it."""

    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Listed:
    """A file already listed on the incident that a reply sends by its row's id: an agent's emailed reply's, listed
    against the mail's event as every email's files are (hub/agent_mail_files.py)."""

    id: int
    filename: str


def content_type_of(filename: str) -> str:
    """The type a file is recorded and mailed as, guessed from its name: application/octet-stream when unknown.
    (What a browser says of an upload is its own guess from the same name, and anyone's to write.)"""
    return _types().guess_type(filename, strict=False)[0] or "application/octet-stream"


@cache
def _types() -> mimetypes.MimeTypes:
    """Python's own table of types by extension, not the machine's /etc/mime.types: the same guess everywhere.
    Built on the first file attached (some 1,800 entries), not by every worker as it starts."""
    return mimetypes.MimeTypes()


def describe_size(size: int) -> str:
    """A limit or a size as people read it: `10 MB`, `2.5 MB`, `300 KB`, `12 bytes`."""
    if size >= _MB:
        return f"{size / _MB:.1f}".removesuffix(".0") + " MB"
    return f"{size // 1024} KB" if size >= 1024 else f"{size} bytes"


def check_count(files: int) -> None:
    """Refuse more than MOST_FILES files (before reading any of them)."""
    if files > MOST_FILES:
        raise TooManyFiles(f"{files} files chosen; attach at most {MOST_FILES}")


def check(uploads: Sequence[Upload], limits: AttachmentLimits) -> None:
    """Refuse files over the limits, saying which and what the limit is: at most MOST_FILES, each at most
    `limits.per_file` bytes, all together at most `limits.per_message` (the limits an email's files are kept
    within). An edge reads at most `per_file + 1` bytes of a file, so a larger one is known without reading it."""
    check_count(len(uploads))
    for upload in uploads:
        if len(upload.data) > limits.per_file:
            raise FilesTooLarge(f"{upload.filename} is larger than {describe_size(limits.per_file)}, "
                                "the most a file may be")  # fmt: skip
    total = sum(len(upload.data) for upload in uploads)
    if total > limits.per_message:
        raise FilesTooLarge(f"the files come to {describe_size(total)} together; "
                            f"at most {describe_size(limits.per_message)} may go with one note or reply")  # fmt: skip


def keep(store: AttachmentStore, uploads: Sequence[Upload]) -> tuple[Kept, ...]:
    """Write the files to the store, durably, before the transaction that records them; StorageUnavailable when
    the disk cannot take them (nothing is recorded then, and the agent is asked to try again)."""
    for upload in {u.sha256: u for u in uploads}.values():
        store.put(upload.data)
    return tuple(Kept(u.filename, content_type_of(u.filename), len(u.data), u.sha256) for u in uploads)


def record(conn: Connection, incident_id: int, entry_id: int, files: Sequence[Kept]) -> tuple[int, ...]:
    """List the files against their note's or reply's timeline entry (in its transaction); returns their ids, in
    order."""
    if not files:
        return ()
    rows = [{"event_id": None, "timeline_entry_id": entry_id, "incident_id": incident_id, "filename": f.filename,
             "content_type": f.content_type, "size": f.size, "sha256": f.sha256, "inline": False, "stored": True,
             "note": None} for f in files]  # fmt: skip
    statement = insert(ATTACHMENTS).returning(ATTACHMENTS.c.id, sort_by_parameter_order=True)
    return tuple(conn.scalars(statement, rows))
