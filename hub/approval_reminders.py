"""Approvals that wait too long are chased: the approver is mailed a reminder (hub/approvals.py asked them once).

The dispatcher's upkeep (`chore`, every half minute or so) reads the pending approvals due a reminder in one
indexed query, in batches: never reminded and asked more than SWITCHBOARD_APPROVAL_REMIND_HOURS ago, or last
reminded that long ago (`approvals.reminded_at`, migration 0055, and its index on (state, reminded_at, asked_at)).
Each one is claimed with a compare-and-set on `reminded_at` (the value read, NULL or a time), so of two dispatchers
reading the same approval one claims it and mails, the other finds it moved and does nothing; the claim, the
timeline entry and the mail are one transaction. The mail carries a fresh signed link, signed by the worker as it
sends, as the asking mail's is (hub/approval_links.py).

An approval on a resolved or closed incident is not chased (nor withdrawn: reopened, it is chased again), and an
approver no longer active is not mailed: the incident's timeline says so once, so an agent asks someone else.
Both are claimed all the same, so the next round does not read them again. `remind` is the same reminder sent now,
by an agent (`switchboard incident approval remind`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select, union_all, update
from sqlalchemy.orm import aliased

from hub import notices
from hub.agent_action import Actor, Mail, TriageError
from hub.approvals import DONE, NoSuchApproval
from hub.config import Settings
from hub.db import Database
from hub.domain import format_ref
from hub.durations import waited_for
from hub.models import Approval, Incident, TimelineEntry, User, utcnow
from hub.outbox import entry, owe

log = logging.getLogger("switchboard.approvals")

#: Approvals read (and claimed) per transaction; the step takes batches until none is left.
BATCH = 200

_APPROVER, _ASKER = aliased(User), aliased(User)

#: The pending approvals never reminded and asked before `cutoff`, and those last reminded before it: each arm a
#: range of the index on (state, reminded_at, asked_at) (as one OR, SQLite read every pending approval).
_DUE_IDS = union_all(
    select(Approval.id).where(
        Approval.state == "pending", Approval.reminded_at.is_(None), Approval.asked_at <= bindparam("cutoff")
    ),
    select(Approval.id).where(Approval.state == "pending", Approval.reminded_at <= bindparam("cutoff")),
).subquery()

_COLUMNS = (Approval.id, Approval.incident_id, Approval.asked_at, Approval.reminded_at, Approval.note,
            _APPROVER.email.label("approver"), _APPROVER.active,
            func.coalesce(_ASKER.email, Approval.asked_by_token).label("asker"), Incident.title,
            Incident.status)  # fmt: skip

#: The pending approvals due a reminder at `cutoff` (now less the period), oldest first, with what the mail says.
DUE = (
    select(*_COLUMNS)
    .join(_DUE_IDS, _DUE_IDS.c.id == Approval.id)
    .join(_APPROVER, _APPROVER.id == Approval.approver_id)
    .outerjoin(_ASKER, _ASKER.id == Approval.asked_by)
    .join(Incident, Incident.id == Approval.incident_id)
    .order_by(Approval.asked_at)
    .limit(bindparam("batch"))
)


@dataclass(frozen=True)
class Due:
    """One pending approval as the reminder needs it."""

    id: int
    incident_id: int
    asked_at: datetime
    reminded_at: datetime | None
    note: str
    approver: str
    active: bool
    asker: str | None
    title: str
    status: str


def remind_due(db: Database, mail: Mail, every: timedelta, now: datetime | None = None, batch: int = BATCH) -> int:
    """Mail a reminder for each pending approval not chased for `every` (since asked, or last reminded); returns
    how many were mailed. Safe with several dispatchers at once: each approval is claimed before it is mailed."""
    now = now or utcnow()
    mailed = 0
    while True:
        with db.transaction() as session:
            conn = session.connection()
            rows = [Due(**row._mapping) for row in conn.execute(DUE, {"cutoff": now - every, "batch": batch})]
            for due in rows:
                if _claimed(conn, due, now):
                    mailed += _chase(conn, due, now, mail, by=None)
        if len(rows) < batch:
            break
    if mailed:
        log.info("reminded %d approver(s) of approvals waiting longer than %s", mailed, waited_for(every))
    return mailed


def remind(db: Database, approval_id: int, actor: Actor, mail: Mail, now: datetime | None = None) -> Due:
    """Send approval `approval_id`'s approver a reminder now, as the dispatcher would (an agent chasing it); the
    dispatcher's next one then waits a whole period. Refused unless it is pending on an open incident and its
    approver is active: the message says what to do instead."""
    now = now or utcnow()
    with db.transaction() as session:
        conn = session.connection()
        found = conn.execute(DUE.where(Approval.id == approval_id), {"cutoff": now, "batch": 1}).first()
        if found is None:
            state = conn.scalar(select(Approval.state).where(Approval.id == approval_id))
            if state is None:
                raise NoSuchApproval(f"there is no approval {approval_id}; `switchboard incident approval list REF` "
                                     "lists them")  # fmt: skip
            raise TriageError(f"approval {approval_id} is {state}; only a pending approval is chased: ask again if "
                              "a decision is still needed")  # fmt: skip
        due = Due(**found._mapping)
        if due.status in DONE:
            raise TriageError(f"{format_ref(due.incident_id)} is {due.status}; reopen it, or withdraw the approval")
        if not due.active:
            raise TriageError(f"{due.approver} is no longer active; withdraw approval {due.id} and ask someone else")
        if not _claimed(conn, due, now):
            raise TriageError(f"approval {due.id} was just reminded or decided; nothing was sent")
        _chase(conn, due, now, mail, by=actor.name)
        return due


def chore(settings: Settings, db: Database) -> Callable[[], int]:
    """The upkeep step chasing approvals after SWITCHBOARD_APPROVAL_REMIND_HOURS (never when it is 0)."""
    mail, every = Mail.of(settings), timedelta(hours=settings.approval_remind_hours)

    def remind_approvers() -> int:
        return remind_due(db, mail, every) if settings.approval_remind_hours else 0

    return remind_approvers


def _claimed(conn: Connection, due: Due, now: datetime) -> bool:
    """Mark the approval reminded `now` if it is still pending and still reminded when it was read; False when
    another dispatcher (or a decision) came first."""
    as_read = Approval.reminded_at.is_(None) if due.reminded_at is None else Approval.reminded_at == due.reminded_at
    moved = conn.execute(
        update(Approval).where(Approval.id == due.id, Approval.state == "pending", as_read).values(reminded_at=now)
    )
    return moved.rowcount == 1


def _chase(conn: Connection, due: Due, now: datetime, mail: Mail, *, by: str | None) -> int:
    """The claimed approval's reminder and its timeline entry; 1 when mailed, 0 when it is not to be (a resolved
    incident: nothing; an approver no longer active: the timeline says so, once)."""
    if due.status in DONE:
        return 0
    if not due.active:
        if not _said_inactive(conn, due):
            summary = f"No reminder sent for approval {due.id}: {due.approver} is no longer active; ask someone else"
            data = {"approval": due.id, "approver": due.approver, "not_reminded": "inactive"}
            owe(conn, due.incident_id, [], also=[entry(due.incident_id, "approval", summary, data=data)])
        return 0
    waited = waited_for(now - due.asked_at)
    owed = notices.approval_reminder(
        incident_id=due.incident_id, title=due.title, approval_id=due.id, approver=due.approver,
        asked_by=due.asker or "", note=due.note, waited=waited, desk_address=mail.desk_address,
        base_url=mail.base_url, templates=mail.templates,
    )  # fmt: skip
    summary = f"Reminder sent to {due.approver}: approval {due.id} has waited {waited}"
    summary += f" (sent by {by})" if by else ""
    data = {"approval": due.id, "approver": due.approver, "reminded": True, **({"by": by} if by else {})}
    owe(conn, due.incident_id, [owed], also=[entry(due.incident_id, "approval", summary, data=data)],
        automatic=by is None)  # fmt: skip
    return 1


def _said_inactive(conn: Connection, due: Due) -> bool:
    """Whether the incident's timeline already says this approval's approver is no longer active (read through the
    timeline's index on the incident)."""
    said = conn.scalars(
        select(TimelineEntry.data).where(TimelineEntry.incident_id == due.incident_id, TimelineEntry.kind == "approval")
    )
    return any(isinstance(data, dict) and data.get("approval") == due.id and data.get("not_reminded") for data in said)
