"""The decisions of the IMAP watcher, as pure functions: which messages to fetch given the checkpoint, what a
UIDVALIDITY change means, how the checkpoint moves, how long to wait before reconnecting, how a message is named
for deduplication. ingest/imap.py does the talking and follows these."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.mailboxes import Checkpoint

#: RFC 2177: servers may drop an IDLE after 30 minutes of silence, so renew it before that.
IDLE_RENEW_SECONDS = 25 * 60
#: A Message-ID of printable characters: one with a control character (a NUL) is keyed by its digest instead.
_MSGID = re.compile(rb"<[^<>\s\x00-\x1f\x7f]{1,990}>")
#: The Message-ID the versions before read (hub/mailboxes.py still finds what they stored by it: `former_key`).
_FORMER_MSGID = re.compile(rb"<[^<>\s]{1,990}>")
_MESSAGE_ID_HEADER = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Scan:
    """One look at the folder: what to search for, and the checkpoint it starts from."""

    criteria: tuple[Any, ...]
    start: Checkpoint
    rescan: bool  # first look, or UIDVALIDITY changed: old UIDs mean nothing, the intake's dedup keeps us safe


def plan_scan(saved: Checkpoint, uidvalidity: int) -> Scan:
    """What to search for: the UIDs after the checkpoint, or, when the checkpoint does not belong to this
    incarnation of the folder (first look, folder recreated or restored), every message not yet seen.

    A first look imports only unseen mail, so connecting a mailbox with years of read mail does not flood the
    desk; after a UIDVALIDITY change, messages we imported but could not flag are found again and recognised.
    """
    if saved.uidvalidity == uidvalidity:
        return Scan(("UID", f"{saved.last_uid + 1}:*", "NOT", "DELETED"), saved, rescan=False)
    return Scan(("UNSEEN", "NOT", "DELETED"), Checkpoint(uidvalidity, 0), rescan=True)


def pending_uids(found: Iterable[int], scan: Scan, limit: int) -> list[int]:
    """The UIDs to fetch now, oldest first, at most `limit` (the rest wait for the next round).

    `UID n:*` always matches the newest message even when its UID is below n, so filter again here.
    """
    return sorted(uid for uid in set(found) if uid > scan.start.last_uid)[:limit]


def finish_scan(scan: Scan, done: Sequence[int], *, complete: bool, uidnext: int | None) -> Checkpoint:
    """The checkpoint after handling `done` (the pending UIDs, in order, up to the first that could not be stored).

    After a complete re-scan the checkpoint jumps to the folder's top (UIDNEXT - 1 at SELECT), so read mail
    that the re-scan skipped is not imported later by UID; an incomplete re-scan keeps the old checkpoint and is
    simply repeated, which is safe because the intake recognises what it already has.
    """
    top = max(done, default=0)
    if not scan.rescan:
        return Checkpoint(scan.start.uidvalidity, max(scan.start.last_uid, top))
    if complete:
        return Checkpoint(scan.start.uidvalidity, max(top, (uidnext or 1) - 1))
    return Checkpoint(None, 0)


def retry_delay(failures: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds to wait before reconnecting after `failures` failures in a row: 1, 2, 4 ... up to `cap`."""
    if failures <= 0:
        return 0.0
    return min(cap, base * 2 ** min(failures - 1, 30))


def new_mail(responses: Iterable[Any]) -> bool:
    """Whether untagged IDLE responses say a message arrived (`* n EXISTS`), rather than keep-alives."""
    for response in responses:
        if isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT"):
            return True
    return False


def session_ended(responses: Iterable[Any]) -> bool:
    """Whether untagged IDLE responses include the server's `* BYE`: it is closing the connection (shutting down,
    or dropping an idle client), so nothing more will come on it."""
    return any(isinstance(response, tuple) and response[:1] == (b"BYE",) for response in responses)


def message_key(raw: bytes) -> str:
    """How a message is recognised when fetched again: its Message-ID, or for one without, a digest of it."""
    found = _MSGID.search(field) if (field := _message_id_field(raw)) is not None else None
    if found:
        # Escaped, not replaced: two 8-bit Message-IDs of one length were one key, and the second mail was skipped.
        return found.group().decode("utf-8", errors="backslashreplace")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def former_key(raw: bytes) -> str | None:
    """The key versions before 2026-11-28 gave the message, where it differs from `message_key`: a Message-ID with a
    byte past ASCII (each one U+FFFD then) or a control character (kept then, the digest now). A message stored so
    and fetched again is looked up by it too (hub/mailboxes.py::earlier_import), else it would be imported twice."""
    found = _FORMER_MSGID.search(field) if (field := _message_id_field(raw)) is not None else None
    if found is None:
        return None  # the digest then as now
    key = found.group().decode("ascii", errors="replace")
    return None if key == message_key(raw) else key


def _message_id_field(raw: bytes) -> bytes | None:
    """The Message-ID header's value (unfolded lines and all) in the message's header, or None."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    header = _MESSAGE_ID_HEADER.search(raw if end < 0 else raw[:end])
    return header.group(1) if header else None
