"""The delivery job RQ runs: a batch of outbox rows, by id, sent concurrently, each row's outcome recorded on it.

RQ's per-job cost (a few milliseconds: registries, status writes, result) would cap a job-per-notification design
at a few hundred a second, so one job carries up to `JOB_ROWS` rows. Retry state stays per row: a row that fails
for now goes back to 'pending' with its own `next_attempt_at` (the dispatcher picks it up when due), one that fails
for good or runs out of time goes 'dead' with its last error, and the job itself succeeds. The outcomes of a whole
batch are written in one transaction (on SQLite, one turn of the write lock instead of fifty).

A job delivers only the rows that are still 'queued' under its own id, so a row sent, discarded or handed to
another job meanwhile is never sent by this one (a sent row is never sent again). If the job dies instead (worker
killed, job timeout), its failure callback - or, failing that, the dispatcher's sweep - puts its rows back.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from redis import Redis
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.channels import ChannelSpec, channels_by_name
from hub.db import Database
from hub.errors import SwitchboardError
from hub.mail_templates import MailTemplates
from hub.models import OutboxMessage, TimelineEntry, utcnow
from hub.sealed import Keyring
from outbound import channels, runtime
from outbound.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from outbound.notification import Notification, files_named
from outbound.queue import SENDERS
from outbound.retry import RetryPolicy, after_failure

log = logging.getLogger("switchboard.outbound")

#: Statuses after which a row is never sent again.
FINAL_STATUSES = ("sent", "dead", "discarded")


@dataclass(frozen=True)
class Attempt:
    """What one send came to: sent, or failed for now (with the receiver's Retry-After) or for good."""

    outcome: Literal["sent", "transient", "permanent"]
    error: str | None = None
    retry_after: float | None = None


def deliver_batch(outbox_ids: list[int], job_id: str | None = None) -> dict[str, int]:
    """Send the rows `job_id` holds (None: every row not yet final) and record each outcome; returns counts."""
    rt = runtime.current()
    with rt.db.read() as session:
        rows = _deliverable(session, outbox_ids, job_id)
        templates = MailTemplates.at(rt.settings.home)
        files = files_named(session, rows)
        notifications = [Notification.from_row(row, templates, rt.settings.secret_key, files) for row in rows]
        wanted = [n.recipient for n in notifications if n.channel != "email"]
        endpoints = channels_by_name(session, wanted, Keyring.of(rt.settings))
    if not notifications:
        return {}
    attempts = _send_all(notifications, endpoints, rt)
    counts = _record(rt.db, RetryPolicy.from_settings(rt.settings), job_id, notifications, attempts)
    return counts


def deliver(outbox_id: int) -> str:
    """Deliver one row now, whatever job holds it (tests, and an admin's manual send); says what became of it."""
    deliver_batch([outbox_id])
    with runtime.current().db.read() as session:
        row = session.get(OutboxMessage, outbox_id)
        return "missing" if row is None else row.status


def on_batch_failure(
    job: Job,
    connection: Redis,
    exc_type: type[BaseException] | None,
    exc_value: BaseException | None,
    traceback: TracebackType | None,
    *_: Any,
) -> None:
    """RQ calls this when a batch job raised, timed out, or was abandoned by a worker that died mid-job.

    Rows the job still holds count one failed attempt each and go back to 'pending' under the retry policy (a row
    that kills every worker that tries it ends dead instead of looping). The sweep covers a callback that fails.
    """
    error = _describe(exc_type, exc_value)
    try:
        rt = runtime.current()
        policy = RetryPolicy.from_settings(rt.settings)
        with rt.db.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.job_id == job.id, OutboxMessage.status == "queued")
                .with_for_update()
            ).all()
            for row in rows:
                _failed(session, row, policy, Attempt("transient", error))
        if rows:
            log.warning("job %s failed (%s); %d notification(s) go back to the outbox", job.id, error, len(rows))
    except SwitchboardError as exc:
        log.error("could not put back the notifications of failed job %s (the sweep will): %s", job.id, exc)


# -- the pieces --------------------------------------------------------------------------------------------


def _deliverable(session: Session, outbox_ids: list[int], job_id: str | None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)).order_by(OutboxMessage.id)
    if job_id is not None:
        query = query.where(OutboxMessage.status == "queued", OutboxMessage.job_id == job_id)
    else:
        query = query.where(OutboxMessage.status.not_in(FINAL_STATUSES))
    return list(session.scalars(query))


_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _senders() -> ThreadPoolExecutor:
    """One pool per process (a forked child builds its own: threads do not survive fork)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(SENDERS, thread_name_prefix="sender"))
        return _pool[1]


def _send_all(
    notifications: list[Notification], endpoints: dict[str, ChannelSpec], rt: runtime.Runtime
) -> list[Attempt]:
    def attempt(notification: Notification) -> Attempt:
        try:
            channels.send(notification, rt.settings, endpoints.get(notification.recipient))
        except TransientDeliveryError as exc:
            return Attempt("transient", str(exc), exc.retry_after)
        except PermanentDeliveryError as exc:
            return Attempt("permanent", str(exc))
        except Exception as exc:  # a bug in a channel must cost one row an attempt, not the whole batch
            log.exception("unexpected error delivering %s", notification.delivery_id)
            return Attempt("transient", f"{type(exc).__name__}: {exc}")
        return Attempt("sent")

    if len(notifications) == 1:
        return [attempt(notifications[0])]
    return list(_senders().map(attempt, notifications))


def _record(
    db: Database, policy: RetryPolicy, job_id: str | None, notifications: list[Notification], attempts: list[Attempt]
) -> dict[str, int]:
    """Every outcome of the batch in one transaction; failures only on rows the job still holds."""
    by_id = {n.outbox_id: a for n, a in zip(notifications, attempts, strict=True)}
    counts = {"sent": 0, "retry": 0, "dead": 0}
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(list(by_id))).with_for_update()).all()
        for row in rows:
            attempt = by_id[row.id]
            if attempt.outcome == "sent":
                if row.status != "sent":  # even if discarded meanwhile: it did go out, and the record must say so
                    _sent(session, row)
                    counts["sent"] += 1
                continue
            if row.status in FINAL_STATUSES or (job_id is not None and row.job_id != job_id):
                continue  # someone else decided about this row meanwhile
            counts["retry" if _failed(session, row, policy, attempt) == "pending" else "dead"] += 1
    for notification, attempt in zip(notifications, attempts, strict=True):
        if attempt.outcome == "transient":
            log.warning("%s to %s deferred: %s", notification.kind, notification.recipient, attempt.error)
        elif attempt.outcome == "permanent":
            log.error("%s to %s failed for good: %s", notification.kind, notification.recipient, attempt.error)
    return counts


def _sent(session: Session, row: OutboxMessage) -> None:
    row.status = "sent"
    row.sent_at = utcnow()
    row.attempts += 1
    row.next_attempt_at = None
    row.job_id = None
    _note(session, row, f"{row.kind} to {row.recipient} sent")


def _failed(session: Session, row: OutboxMessage, policy: RetryPolicy, attempt: Attempt) -> str:
    now = utcnow()
    row.attempts += 1
    row.last_error = (attempt.error or "unknown error")[:2000]
    row.job_id = None
    row.updated_at = now
    if attempt.outcome == "permanent":
        row.status = "dead"
        row.next_attempt_at = None
        _note(session, row, f"{row.kind} to {row.recipient} could not be delivered", error=row.last_error[:500])
        return "dead"
    verdict = after_failure(
        policy, attempts=row.attempts, now=now, give_up_at=row.give_up_at, retry_after=attempt.retry_after
    )
    row.give_up_at = verdict.give_up_at
    row.status = verdict.status
    row.next_attempt_at = verdict.next_attempt_at
    if verdict.status == "dead":
        row.last_error = f"gave up after {row.attempts} attempt(s): {row.last_error}"[:2000]
        _note(session, row, f"{row.kind} to {row.recipient} could not be delivered", error=row.last_error[:500])
    return verdict.status


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
