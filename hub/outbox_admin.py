"""What an admin can see and do about notifications: list them (those not yet delivered, or those in one state a
page at a time), retry dead ones, discard one.

Shared by `switchboard outbox` and the notification queue page (web/outbox.py). Each action writes a timeline entry
on the incident, so an incident's history says why a notice went out late or never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from hub import keyset
from hub.domain import format_ref
from hub.errors import BadInput
from hub.models import OutboxMessage, TimelineEntry, utcnow

UNDELIVERED = ("pending", "queued", "dead")
#: Every state a notification is in (outbound/jobs.py sets the last three).
STATES = ("pending", "queued", "dead", "sent", "discarded")
#: Rows on one page of the queue page.
PAGE = 100


@dataclass(frozen=True)
class OutboxItem:
    """One undelivered notification, as lists show it."""

    id: int
    delivery_id: str
    status: str
    kind: str
    channel: str
    recipient: str
    incident: str | None  # INC-n
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    give_up_at: datetime | None  # a pending one still failing then is dead (outbound/retry.py)
    created_at: datetime


@dataclass(frozen=True)
class OutboxPage:
    """One page of notifications, newest first, and where the pages beside it start (None at either end)."""

    items: list[OutboxItem]
    older: int | None  # `before` for the next page back: the last id shown
    newer: int | None  # `after` for the page before it: the first id shown


#: What lists show of a row: not its subject, body or HTML, which can be large.
_SHOWN = select(OutboxMessage.id, OutboxMessage.delivery_id, OutboxMessage.status, OutboxMessage.kind,
                OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.incident_id, OutboxMessage.attempts,
                OutboxMessage.last_error, OutboxMessage.next_attempt_at, OutboxMessage.give_up_at,
                OutboxMessage.created_at)  # fmt: skip


def undelivered(session: Session, *, dead_only: bool = False, limit: int = 1000) -> list[OutboxItem]:
    """Notifications not delivered (pending, queued or dead), oldest first; with `dead_only` only dead ones."""
    statuses = ("dead",) if dead_only else UNDELIVERED
    rows = session.execute(_SHOWN.where(OutboxMessage.status.in_(statuses)).order_by(OutboxMessage.id).limit(limit))
    return [_item(row) for row in rows]


def listed(
    session: Session, statuses: tuple[str, ...], *, before: int | None = None, after: int | None = None,
    limit: int = PAGE,
) -> OutboxPage:  # fmt: skip
    """A page of the notifications in `statuses`, newest first: those older than id `before`, or newer than id
    `after`, or the newest. Keyset pages on id (ix_outbox_status_id, hub/keyset.py)."""
    found = keyset.page(session, _SHOWN, key=OutboxMessage.id, within=OutboxMessage.status.in_(statuses),
                        key_of=lambda row: row.id, fetch=session.execute, after=before, before=after,
                        descending=True, limit=limit)  # fmt: skip
    return OutboxPage([_item(row) for row in found.rows], older=found.after, newer=found.before)


def _item(row: Row[*tuple[Any, ...]]) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        delivery_id=row.delivery_id,
        status=row.status,
        kind=row.kind,
        channel=row.channel,
        recipient=row.recipient,
        incident=format_ref(row.incident_id) if row.incident_id is not None else None,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        give_up_at=row.give_up_at,
        created_at=row.created_at,
    )


def retry(session: Session, outbox_id: int, *, by: str = "admin") -> None:
    """Send a dead notification again: back to pending, due now, with a fresh give-up time."""
    row = _get(session, outbox_id)
    if row.status != "dead":
        raise BadInput(f"notification {outbox_id} is {row.status}, not dead; only dead ones can be retried")
    _revive(session, row, by)


def retry_all_dead(session: Session, *, by: str = "admin") -> int:
    """Send every dead notification again; returns how many."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead").with_for_update()).all()
    for row in rows:
        _revive(session, row, by)
    return len(rows)


def discard(session: Session, outbox_id: int, *, by: str = "admin") -> None:
    """Give up on an undelivered notification for good (it stays on record, marked discarded)."""
    row = _get(session, outbox_id)
    if row.status not in UNDELIVERED:
        raise BadInput(f"notification {outbox_id} is already {row.status}; only undelivered ones can be discarded")
    row.status = "discarded"
    row.job_id = None
    row.next_attempt_at = None
    _note(session, row, f"{row.kind} to {row.recipient} discarded by {by}")


def _get(session: Session, outbox_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None:
        raise BadInput(f"no notification {outbox_id}; `switchboard outbox list` shows the undelivered ones")
    return row


def _revive(session: Session, row: OutboxMessage, by: str) -> None:
    row.status = "pending"
    row.next_attempt_at = None
    row.give_up_at = None
    row.job_id = None
    row.updated_at = utcnow()
    _note(session, row, f"{row.kind} to {row.recipient} retried by {by}")


def _note(session: Session, row: OutboxMessage, summary: str) -> None:
    if row.incident_id is not None:
        session.add(
            TimelineEntry(
                incident_id=row.incident_id,
                kind="notification",
                summary=summary,
                data={"delivery_id": row.delivery_id, "attempts": row.attempts},
            )
        )
