"""The delivery job RQ runs: one outbox row, by id, delivered at least once and recorded exactly once.

`deliver` takes an id, not an object, so a job enqueued before a change to the row still sees the row as it is
now. It is safe to run twice: a row already marked sent is not sent again. Its failure callback makes sure that a
row whose retries are used up ends as 'dead' with its last error, never stuck as 'queued'.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from redis import Redis
from rq.job import Job
from sqlalchemy.orm import Session

from hub.db import Database
from hub.errors import SwitchboardError
from hub.models import OutboxMessage, TimelineEntry, utcnow
from outbound import channels, runtime
from outbound.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification

log = logging.getLogger("switchboard.outbound")

#: Statuses after which a row is never sent again.
FINAL_STATUSES = ("sent", "dead")


def deliver(outbox_id: int) -> str:
    """Send one outbox row through its channel and record the outcome; returns what became of it.

    Transient failures are recorded and re-raised so RQ's Retry tries again; permanent ones mark the row dead and
    return normally, since retrying cannot help.
    """
    rt = runtime.current()
    with rt.db.read() as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is None:
            log.warning("outbox row %s does not exist; nothing to deliver", outbox_id)
            return "missing"
        if row.status in FINAL_STATUSES:
            return f"already {row.status}"
        notification = Notification.from_row(row)
    try:
        channels.send(notification, rt.settings)
    except TransientDeliveryError as exc:
        _record_failed_attempt(rt.db, outbox_id, str(exc))
        log.warning("%s to %s deferred (will retry): %s", notification.kind, notification.recipient, exc)
        raise
    except PermanentDeliveryError as exc:
        _mark_dead(rt.db, outbox_id, str(exc), attempted=True)
        log.error("%s to %s failed for good: %s", notification.kind, notification.recipient, exc)
        return "dead"
    _mark_sent(rt.db, outbox_id)
    return "sent"


def on_delivery_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
    *_: Any,
) -> None:
    """RQ calls this after every failed run; once no retries are left, the row becomes dead with the last error.

    It also runs for a job whose worker died mid-delivery (RQ reports it as AbandonedJobError).
    """
    if job.retries_left:  # RQ will run the job again
        return
    outbox_id = int(job.args[0])
    try:
        _mark_dead(runtime.current().db, outbox_id, _describe(exc_type, exc_value), attempted=False)
    except SwitchboardError as exc:
        # The dispatcher's sweep re-enqueues queued rows whose job failed, so the row is not lost.
        log.error("could not mark outbox row %s dead after its last retry: %s", outbox_id, exc)


# -- recording outcomes, each in one transaction ---------------------------------------------------------


def _mark_sent(db: Database, outbox_id: int) -> None:
    with db.transaction() as session:
        row = _locked(session, outbox_id)
        if row is None:
            return
        row.status = "sent"
        row.sent_at = utcnow()
        row.attempts += 1
        _note(session, row, f"{row.kind} to {row.recipient} sent")


def _record_failed_attempt(db: Database, outbox_id: int, error: str) -> None:
    with db.transaction() as session:
        row = _locked(session, outbox_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error[:2000]
        row.updated_at = utcnow()  # the attempt vouches for the row, so the dispatcher's sweep leaves it alone


def _mark_dead(db: Database, outbox_id: int, error: str, *, attempted: bool) -> None:
    with db.transaction() as session:
        row = _locked(session, outbox_id)
        if row is None or row.status in FINAL_STATUSES:
            return
        row.status = "dead"
        row.last_error = error[:2000]
        if attempted:
            row.attempts += 1
        _note(session, row, f"{row.kind} to {row.recipient} could not be delivered", error=error[:500])


def _locked(session: Session, outbox_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, outbox_id, with_for_update=True)


def _note(session: Session, row: OutboxMessage, summary: str, **data: Any) -> None:
    if row.incident_id is None:
        return
    session.add(
        TimelineEntry(
            incident_id=row.incident_id,
            kind="notification",
            summary=summary,
            data={"delivery_id": row.delivery_id, "attempts": row.attempts, **data},
        )
    )


def _describe(exc_type: type[BaseException] | None, exc_value: BaseException | None) -> str:
    if isinstance(exc_value, DeliveryError):
        return str(exc_value)
    name = exc_type.__name__ if exc_type is not None else "unknown error"
    detail = str(exc_value) if exc_value is not None else ""
    if name == "AbandonedJobError" and not detail:
        detail = "the worker stopped while delivering"
    return f"{name}: {detail}" if detail else name
