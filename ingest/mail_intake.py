"""One way in for a raw email, whichever edge received it (SMTP or IMAP): store it with what it means, or keep it
as unprocessable with the reason. The edges only decide what to answer or flag once this has returned.

Attachments are written to the intake's attachment store here, before the transaction that records the message
and lists them (hub/attachments.py says why that order is the simple correct one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hub.attachments import DEFAULT_LIMITS
from hub.domain import format_ref
from hub.errors import StorageUnavailable
from hub.intake import Intake, Raw
from hub.mailboxes import MailboxImport
from ingest import mail
from ingest.errors import InvalidPayload

log = logging.getLogger("switchboard.mail")


@dataclass(frozen=True)
class Stored:
    """What became of a message once it is committed."""

    event_id: int
    incident_id: int | None = None
    unprocessable: bool = False  # kept for review: it could not be understood
    duplicate: bool = False  # a message already applied (imported before, or a copy): not applied again

    @property
    def ref(self) -> str | None:
        return format_ref(self.incident_id) if self.incident_id is not None else None


def understand(intake: Intake, raw: bytes, *, envelope_from: str | None, desk_address: str | None) -> mail.ParsedMail:
    """Parse a message, judging its sender by the intake's mail server, and write its files to the store (raises
    what the parser or the disk raised)."""
    limits = intake.files.limits if intake.files is not None else DEFAULT_LIMITS
    parsed = mail.read(raw, envelope_from=envelope_from, limits=limits, authserv_id=intake.authserv_id)
    if intake.files is not None:
        intake.files.put_all(parsed.blobs)
    if desk_address:
        return replace(parsed, event=replace(parsed.event, desk_address=desk_address.lower()))
    return parsed


def store_message(
    intake: Intake,
    raw: bytes,
    *,
    envelope_from: str | None = None,
    once: MailboxImport | None = None,
    recipients: Sequence[str] = (),
) -> Stored:
    """Parse and record a message; one we cannot understand is kept as unprocessable, never dropped.

    `recipients` are the SMTP envelope's accepted desk addresses (the first is the desk it was sent to); IMAP
    gives none, and the desk is then found among the To/Cc/Delivered-To addresses.

    Returns only after the commit. Raises StorageUnavailable when nothing was stored: the caller must not
    acknowledge the message (SMTP answers 451; IMAP leaves it unflagged to fetch again).
    """
    record = Raw(source="email", content_type="message/rfc822", body=raw)
    try:
        parsed = understand(intake, raw, envelope_from=envelope_from, desk_address=next(iter(recipients), None))
        outcome = intake.record(record, parsed.event, once=once)
    except StorageUnavailable:
        raise
    except Exception as exc:  # keep what we could not understand; it can be reprocessed after a fix
        if not isinstance(exc, InvalidPayload):
            log.exception("failed to process a message from %s; keeping it as unprocessable", envelope_from)
        event_id = intake.record_unprocessable(record, f"{type(exc).__name__}: {exc}", once=once)
        return Stored(event_id, unprocessable=True)
    return Stored(outcome.event_id, outcome.incident_id, duplicate=outcome.duplicate)
