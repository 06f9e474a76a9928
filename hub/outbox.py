"""Writing what an incident change owes: timeline entries and outbox notices, in the caller's transaction.

The intake (events) and the maintenance sweeps (auto-resolve) both change incidents; both record the change and
the notices it owes through these few functions, so a notice is never written without its timeline entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from hub import ack_links, approval_links, notices, request_links
from hub.mail_templates import DEFAULTS, MailTemplates
from hub.models import OutboxMessage, utcnow
from hub.statements import (
    BOUNCED_UNTIL,
    INSERT_OUTBOX,
    INSERT_TIMELINE,
    IS_ACTIVE_USER,
    MARK_BOUNCED,
    RECENT_FOR_INCIDENT,
    RECENT_TO_ADDRESS,
)


def entry(incident_id: int, kind: str, summary: str, *, event_id: int | None = None, data: Any = None) -> dict:
    return {"incident_id": incident_id, "at": utcnow(), "kind": kind, "summary": summary, "event_id": event_id,
            "data": data}  # fmt: skip


def turned_down(incident_id: int, kind: str, people: Iterable[str]) -> list[dict]:
    """Timeline lines for the notices people chose not to get (hub/mail_choices.py): none is written to the outbox,
    and the timeline says why, where it says who else was told."""
    return [
        entry(incident_id, "notification", f"{kind} to {person} not mailed: turned off by them") for person in people
    ]


def outbox_row(incident_id: int | None, notice: notices.Notice) -> dict[str, Any]:
    now = utcnow()
    return {
        "delivery_id": notice.delivery_id,
        "incident_id": incident_id,
        "kind": notice.kind,
        "channel": notice.channel,
        "recipient": notice.recipient,
        "subject": notice.subject,
        "body": notice.text,  # a templated mail's body is rendered when it is sent, from template and facts
        "headers": notice.headers,
        "message_id": notice.message_id,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "payload": notice.data,
        "html": None,
        "template": notice.template,
        "facts": notice.facts,
        "attachment_ids": list(notice.attachment_ids) or None,
    }


def body_of(
    row: OutboxMessage, templates: MailTemplates = DEFAULTS, secret_key: str | None = None
) -> tuple[str, str | None]:
    """(plain text, HTML or None) of an outbox row as it is sent: a templated mail's rendered from its facts.

    With the installation's `secret_key` (the worker's), mail gains the signed links made as it is sent: asking a
    person to act on an incident, its "Acknowledge" link (hub/ack_links.py); telling a requester about their
    request, its "Follow your request" link (hub/request_links.py); asking a person to approve one, its "Approve or
    reject" link (hub/approval_links.py)."""
    if row.template is None:
        return row.body, row.html
    facts = row.facts or {}
    if secret_key is not None and "base_url" in facts:
        base_url = facts["base_url"]
        # a copy to someone the requester copied (hub/copied.py) carries no link to the requester's own page
        for links in (ack_links.LINKS,) if facts.get("copy_of") else (ack_links.LINKS, request_links.LINKS):
            facts = {**facts, **links.facts(secret_key, base_url, row.template, row.incident_id, row.recipient)}
        facts = {**facts, **approval_links.facts(secret_key, base_url, row.template, facts, row.recipient)}
    return templates.render_body(row.template, facts)


#: How long automatic mail to an address pauses after it bounced.
BOUNCE_PAUSE = timedelta(days=1)
#: Automatic mail caps: at most this many per address, and per incident, within CAP_WINDOW.
PER_ADDRESS = 30
PER_INCIDENT = 10
CAP_WINDOW = timedelta(minutes=10)


def owe(
    conn: Connection,
    incident_id: int,
    owed: Sequence[notices.Notice],
    also: Sequence[dict] = (),
    *,
    automatic: bool = True,
    opened: bool = False,
) -> None:
    """Write notices to the outbox with a timeline entry each (plus `also`), in the caller's transaction.

    Automatic notices over the caps are not sent; their timeline entry says so, so nothing is dropped silently.
    A person's own mail (`automatic=False`, an agent's reply) is never held back by the caps. `opened`: the
    incident is new in this transaction, so nothing was mailed about it yet (one read fewer on the hot path).
    """
    entries = [*also]
    if owed and automatic:
        owed, capped = _within_caps(conn, incident_id, owed, opened=opened)
        entries += [
            entry(incident_id, "notification", f"{n.kind} to {n.recipient} not sent: {why}") for n, why in capped
        ]
    entries += [
        entry(incident_id, "notification", f"{n.kind} to {n.recipient} queued{_suggesting(n)}",
              data={"delivery_id": n.delivery_id})
        for n in owed
    ]  # fmt: skip
    if entries:
        INSERT_TIMELINE.execute_many(conn, entries)
    if owed:
        INSERT_OUTBOX.execute_many(conn, [outbox_row(incident_id, n) for n in owed])


def _suggesting(notice: notices.Notice) -> str:
    """What the timeline says of the knowledge articles a mail suggests (hub/knowledge.py), so the agent knows what
    the requester was pointed to."""
    suggested = (notice.facts or {}).get("suggested")
    return f", suggesting {'; '.join(a['title'] for a in suggested)}" if suggested else ""


def is_active_user(conn: Connection, email: str) -> bool:
    return bool(IS_ACTIVE_USER.scalar(conn, {"email": email.lower()}))


def _within_caps(
    conn: Connection, incident_id: int, owed: Sequence[notices.Notice], *, opened: bool = False
) -> tuple[list[notices.Notice], list[tuple[notices.Notice, str]]]:
    since = utcnow() - CAP_WINDOW
    minutes = int(CAP_WINDOW.total_seconds() // 60)
    if opened:
        for_incident = 0
    else:
        for_incident = int(RECENT_FOR_INCIDENT.scalar(conn, {"incident": incident_id, "since": since}) or 0)
    keep: list[notices.Notice] = []
    capped: list[tuple[notices.Notice, str]] = []
    now = utcnow()
    for notice in owed:
        if notice.channel != "email":  # the caps protect mailboxes from loops; a webhook or chat room takes all
            keep.append(notice)
            continue
        if until := BOUNCED_UNTIL.scalar(conn, {"address": notice.recipient, "now": now}):
            capped.append((notice, f"the address bounced; automatic mail to it pauses until {str(until)[:16]} UTC"))
            continue
        to_address = int(RECENT_TO_ADDRESS.scalar(conn, {"recipient": notice.recipient, "since": since}) or 0)
        to_address += sum(1 for kept in keep if kept.recipient == notice.recipient)
        if for_incident + sum(1 for kept in keep if kept.channel == "email") >= PER_INCIDENT:
            capped.append((notice, f"{PER_INCIDENT} mails about this incident in {minutes} min already"))
        elif to_address >= PER_ADDRESS:
            capped.append((notice, f"{PER_ADDRESS} mails to this address in {minutes} min already"))
        else:
            keep.append(notice)
    return keep, capped


def mark_bounced(conn: Connection, addresses: Sequence[str], reason: str) -> None:
    """Pause automatic mail to addresses our mail bounced from (for BOUNCE_PAUSE)."""
    statement = MARK_BOUNCED[conn.dialect.name]
    for address in addresses:
        statement.execute(conn, {"address": address.lower(), "until": utcnow() + BOUNCE_PAUSE, "reason": reason[:500]})
