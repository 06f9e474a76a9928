"""Which incident an email belongs to: the Message-IDs it refers to first, then an `[INC-n]` subject tag, honoured
only from the incident's participants (a stranger cannot write into someone else's incident by naming it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, select

from hub.domain import InboundEvent
from hub.models import IncidentCopied, IncidentWatcher
from hub.statements import EVENTS, INCIDENTS, OUTBOX

WATCHERS = cast(Table, IncidentWatcher.__table__)
COPIED = cast(Table, IncidentCopied.__table__)

#: What mail clients put before the subject they answer or forward (Re, and AW, SV, Antw, VS, WG, TR, RV, Odp, YNT,
#: ENC in other languages; "Re[2]:" in some), and our own `[INC-n]` tags, however many deep.
_ANSWERED = re.compile(
    r"^(?:(?:re|aw|sv|antw|vs|wg|fwd?|tr|rv|odp|ynt|enc)(?:\[\d+\])?\s*:\s*|\[INC-\d{1,12}\]\s*)+", re.IGNORECASE
)


@dataclass(frozen=True)
class Thread:
    """The incident an email replies to."""

    id: int
    status: str
    occurrences: int
    requester: str | None
    resolved_at: datetime | None = None
    merged_into_id: int | None = None
    title: str | None = None


def find_thread(conn: Connection, event: InboundEvent) -> Thread | None:
    """The incident an email replies to: by Message-ID references first, then by subject tag from a participant."""
    if event.in_reply_to:
        ids = list(event.in_reply_to)
        # `message_id IS NOT NULL` lets SQLite use the partial indexes.
        incident_id = conn.scalar(
            select(OUTBOX.c.incident_id).where(
                OUTBOX.c.message_id.is_not(None), OUTBOX.c.message_id.in_(ids), OUTBOX.c.incident_id.is_not(None)
            )
        ) or conn.scalar(
            select(EVENTS.c.incident_id).where(
                EVENTS.c.message_id.is_not(None), EVENTS.c.message_id.in_(ids), EVENTS.c.incident_id.is_not(None)
            )
        )
        if incident_id is not None:
            return thread_of(conn, incident_id)
    if event.thread_ref is not None and event.requester:
        incident = thread_of(conn, event.thread_ref)
        # A tag alone is honoured only from a participant: a stranger cannot write into someone's incident. One in
        # the incident the tag names counts when that was merged: a duplicate's requester reaches the survivor.
        if incident is None:
            return None
        if is_participant(conn, incident, event.requester):
            return incident
        named = thread_of(conn, event.thread_ref, hops=0) if incident.id != event.thread_ref else None
        if named is not None and is_participant(conn, named, event.requester):
            return incident
    return None


def is_participant(conn: Connection, incident: Thread, sender: str) -> bool:
    """The requester, a watcher, someone the requester copied (hub/copied.py), or anyone Switchboard has mailed about
    the incident (its assignee, group members): the people a conversation about it is with."""
    sender = sender.lower()
    if (incident.requester or "").lower() == sender:
        return True
    mailed = select(OUTBOX.c.id).where(OUTBOX.c.recipient == sender, OUTBOX.c.incident_id == incident.id).limit(1)
    watching = select(WATCHERS.c.email).where(WATCHERS.c.incident_id == incident.id, WATCHERS.c.email == sender)
    if conn.scalar(mailed) is not None or conn.scalar(watching) is not None:
        return True
    copied = select(COPIED.c.email).where(COPIED.c.incident_id == incident.id, COPIED.c.email == sender)
    return conn.scalar(copied) is not None


def thread_of(conn: Connection, incident_id: int, *, hops: int = 5) -> Thread | None:
    """The incident, or the one it was merged into (replies to a duplicate belong with the survivor)."""
    columns = (INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.occurrences, INCIDENTS.c.requester,
               INCIDENTS.c.resolved_at, INCIDENTS.c.merged_into_id, INCIDENTS.c.title)  # fmt: skip
    row = conn.execute(select(*columns).where(INCIDENTS.c.id == incident_id)).first()
    if row is None:
        return None
    thread = Thread(*row)
    if thread.merged_into_id is not None and hops > 0:
        return thread_of(conn, thread.merged_into_id, hops=hops - 1) or thread
    return thread


def follow_up_title(subject: str, old_title: str) -> str:
    """The title of the follow-up a late reply opens: the old incident's own title when the reply's subject is only
    ours about it behind a client's prefixes ("RE: [INC-1] Resolved: Printer jammed" gives "Printer jammed"), else
    the subject without those prefixes and tags. The requester's acknowledgement repeats it, and "[INC-2] RE: [INC-1]
    Resolved: Printer jammed" reads as though their request were both open and resolved."""
    rest = _ANSWERED.sub("", " ".join(subject.split()))
    old = " ".join(old_title.split())
    said = rest.casefold()
    if old and (said == old.casefold() or said.endswith(f": {old.casefold()}")):
        return old_title
    return rest or subject


def reply_route(
    thread: Thread,
    *,
    automatic: bool,
    now: datetime,
    reopen_window: float,
    sender_failed: bool = False,
    thanks: Callable[[], bool] = lambda: False,
) -> str:
    """What a reply to `thread` does: "add" to it, "reopen" it, open a "follow_up" linked to it, or record the
    requester's "thanks" on it.

    A person's reply to a resolved incident reopens it within `reopen_window` seconds of the resolution, and after
    that (or once it is closed) starts a new incident that names the old one. (An agent's verified answer to a
    resolved incident never comes here: it is their reply, hub/agent_mail.py.) Automatic mail (out-of-office,
    auto-replies) never reopens anything: it is only added to the timeline. Nor does a reply whose sender check
    failed (`sender_failed`: a forged From can name the requester): it is added, with its warning, for whoever works
    the incident to judge; a late one opens a follow-up as any new mail does. (A softfail's reply reopens as the
    sender's own would: unverified, not forged.) A reply that only thanks us (`thanks()`, asked only of a person's
    reply to a resolved or closed incident: hub/thanks.py) is the requester's thanks, whenever it comes: it neither
    reopens the incident nor starts a new one.
    """
    if automatic or thread.status not in ("resolved", "closed"):
        return "add"
    if thanks():
        return "thanks"
    if thread.status == "resolved" and thread.resolved_at is not None:
        resolved = thread.resolved_at
        if (now - resolved).total_seconds() <= reopen_window:
            return "add" if sender_failed else "reopen"
    return "follow_up"
