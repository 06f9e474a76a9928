"""Which of an agent's emailed reply's files go to the requester with it (hub/agent_mail.py).

The intake has already written them to the store and lists them against the mail's event, as every email's
(hub/attachments.py); a reply sends those that fit what the page lets a reply carry (hub/agent_files.py: at most
MOST_FILES, each and all together within the installation's limits), in the mail's order, by their rows' ids.
Where the page refuses the whole upload, a mail cannot be answered with a form's error: the reply goes, the files
that do not fit stay on the incident, and its timeline names them. Pictures placed in the text (inline: a
signature's logo) are part of the mail's HTML, which the reply does not carry, so they are neither sent nor named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from hub.agent_files import MOST_FILES, Listed, describe_size
from hub.attachments import AttachmentLimits, record_attachments
from hub.domain import AttachmentInfo, InboundEvent


@dataclass(frozen=True)
class Chosen:
    """What goes with the reply, and each file that does not with the reason ("big.iso (not stored: too large)")."""

    sent: tuple[Listed, ...] = ()
    not_sent: tuple[str, ...] = ()


def choose(files: Sequence[tuple[int, AttachmentInfo]], limits: AttachmentLimits) -> Chosen:
    """Of the mail's files (row id, file), in order, those the reply carries: each stored one in turn while it fits
    the page's limits; the others named with why not."""
    sent: list[Listed] = []
    not_sent: list[str] = []
    total = 0
    for file_id, file in files:
        if file.inline:
            continue
        if not file.stored:
            why = file.note or "not stored"
        elif len(sent) >= MOST_FILES:
            why = f"a reply carries at most {MOST_FILES} files"
        elif file.size > limits.per_file:
            why = f"larger than {describe_size(limits.per_file)}"
        elif total + file.size > limits.per_message:
            why = f"more than {describe_size(limits.per_message)} together"
        else:
            sent.append(Listed(file_id, file.filename))
            total += file.size
            continue
        not_sent.append(f"{file.filename} ({why})")
    return Chosen(tuple(sent), tuple(not_sent))


def listed(conn: Connection, event: InboundEvent, event_id: int, incident_id: int) -> list[tuple[int, AttachmentInfo]]:
    """The mail's files listed against its event and incident, as the intake lists every email's (so the intake
    does not list them again: `Outcome.files_listed`), each with its row's id."""
    ids = record_attachments(conn, event, event_id, incident_id)
    return list(zip(ids, event.mail.attachments if event.mail is not None else (), strict=True))


def not_sent_line(requester: str, chosen: Chosen) -> str | None:
    """The timeline's line naming the files that stayed behind; None when all went."""
    if not chosen.not_sent:
        return None
    return f"Not sent to {requester} with the reply by email, kept on the incident: {', '.join(chosen.not_sent)}"
