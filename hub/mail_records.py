"""The email-only steps of the intake's transaction, kept out of the intake's hot path for other sources:
the sender becomes a contact (and the incident gets its organisation), files are listed, a reprocessed event is
claimed exactly once, and the timeline gets the text and the HTML alternative."""

from __future__ import annotations

from dataclasses import replace
from email.parser import BytesHeaderParser
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update

from hub import contacts
from hub.attachments import record_attachments
from hub.domain import InboundEvent
from hub.errors import BadInput
from hub.models import DeskAddress, Event
from hub.statements import EARLIER_MAIL, HEADERS_MAX

EVENTS = cast(Table, Event.__table__)
DESKS = cast(Table, DeskAddress.__table__)


class AlreadyReprocessed(BadInput):
    """The event is no longer unprocessable: someone reprocessed it first. Nothing was applied twice."""


def before(conn: Connection, event: InboundEvent) -> InboundEvent:
    """Before the decision: the desk it was sent to (when no SMTP envelope said), the sender as a contact, and
    the event with its organisation label."""
    if event.desk_address is None and event.mail is not None and event.mail.recipients:
        desk = conn.scalar(
            select(DESKS.c.address).where(DESKS.c.address.in_(event.mail.recipients)).order_by(DESKS.c.address)
        )
        if desk is not None:
            event = replace(event, desk_address=desk)
    return contacts.remember_sender(conn, event)


def earlier_copy(conn: Connection, raw: bytes, event: InboundEvent) -> tuple[int, int | None] | None:
    """(event id, incident id) of an earlier copy of this very message, or None.

    The same message can reach us twice: a sender that lost our 250 sends it again, or it comes both by SMTP and
    from a watched mailbox. A copy has the same Message-ID and the same From and Date headers; a different
    message that reuses a Message-ID (some scripts do) differs in its Date, so it is not taken for a copy.
    """
    if not event.message_id:
        return None
    earlier = EARLIER_MAIL.execute(conn, {"message_id": event.message_id}).fetchall()
    if not earlier:
        return None
    mine = _identity(raw)
    return next(((event_id, incident_id) for event_id, incident_id, head in earlier if _identity(head) == mine), None)


def _identity(raw: bytes) -> tuple[str | None, ...]:
    headers = BytesHeaderParser().parsebytes(raw[:HEADERS_MAX])
    return tuple(" ".join(str(headers.get(name, "")).split()) or None for name in ("Message-ID", "From", "Date"))


def after(conn: Connection, event: InboundEvent, event_id: int, incident_id: int | None) -> None:
    """After the event is stored: its files listed against it and its incident."""
    record_attachments(conn, event, event_id, incident_id)


def claim(conn: Connection, event_id: int) -> None:
    """Take an unprocessable event for reprocessing; raises AlreadyReprocessed if it is not (or no longer) one.

    A conditional UPDATE in the transaction that applies the new event: two reprocessings of one event cannot
    both commit, so the message is applied at most once.
    """
    claimed = conn.execute(
        update(EVENTS).where(EVENTS.c.id == event_id, EVENTS.c.status == "unprocessable").values(status="reprocessed")
    ).rowcount
    if claimed != 1:
        raise AlreadyReprocessed(f"event {event_id} is not unprocessable (any more): it was reprocessed already")


def reprocessed_as(conn: Connection, event_id: int, new_event_id: int) -> None:
    conn.execute(update(EVENTS).where(EVENTS.c.id == event_id).values(error=f"reprocessed as event {new_event_id}"))


def thread_data(event: InboundEvent) -> dict[str, Any]:
    """What a reply's timeline entry keeps: its sender, its text and its HTML. The page cuts the quoted history
    when it shows it (web/mail_view.py), so a better cut applies to old mail too and costs nothing at ingest. The
    mail parser already bounds both (ingest/mail.py: MAX_TEXT, MAX_HTML_CHARS); the raw message holds everything.
    The sender (`from`) and whether no one typed it (`automatic`: an out-of-office, a bounce) tell the requester's
    own messages from the rest on their page (hub/request_conversation.py)."""
    data: dict[str, Any] = {"body": event.description}
    if event.requester:
        data["from"] = event.requester
    if event.auto_submitted or event.bounce or event.looped:
        data["automatic"] = True
    if event.mail is not None and event.mail.html:
        data["html"] = event.mail.html
    return {**data, **sender_check_data(event)}


def opened_data(event: InboundEvent) -> dict[str, Any]:
    """What the "opened" entry of an email's incident adds: its HTML (the text is the incident's description),
    whether no one typed it (`automatic`: then the desk mails its sender nothing of its own accord, neither the
    acknowledgement nor later its resolution, hub/requester_mail_gate.py), and what the receiving mail server found
    of its sender."""
    data: dict[str, Any] = {"html": event.mail.html} if event.mail is not None and event.mail.html else {}
    if event.auto_submitted:
        data["automatic"] = True
    return {**data, **sender_check_data(event)}


def sender_check_data(event: InboundEvent) -> dict[str, Any]:
    """`sender_check`: the receiving server's verdict on the From, once one is configured to be believed (the page
    warns of a `fail`, and the requester's own page leaves such mail out: hub/request_conversation.py)."""
    if event.mail is None or event.mail.sender_check.by is None:
        return {}
    return {"sender_check": event.mail.sender_check.record(event.requester)}
