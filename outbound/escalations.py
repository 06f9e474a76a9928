"""Escalation steps on RQ's scheduler: the dispatcher hands each owed step over with `enqueue_at`, a worker fires it.

The `escalations` table is the source of truth (hub/escalation.py). A step is marked `queued` with its job id
only after the commit has seen it, then handed to RQ; if Redis refuses, it goes back to `scheduled`. RQ keeps
scheduled jobs in Redis, so they survive a restart of every process; if Redis itself lost them, the sweep finds
queued steps long past due whose job is gone and schedules them again. Firing is idempotent, so a step handed
over twice still notifies once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import escalation
from hub.db import Database
from hub.mail_templates import MailTemplates
from hub.models import Escalation, utcnow
from outbound import runtime
from outbound.errors import QueueUnavailable
from outbound.queue import FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL

log = logging.getLogger("switchboard.outbound")

BATCH = 100
#: A queued step this long past due with no live job was lost (Redis flushed, say): schedule it again.
LOST_AFTER = timedelta(minutes=2)


def escalate(escalation_id: int) -> str:
    """The job RQ's scheduler runs when a step is due."""
    rt = runtime.current()
    fired = escalation.fire(rt.db, escalation_id, desk_address=rt.settings.desk_address,
                            base_url=rt.settings.base_url, templates=MailTemplates.at(rt.settings.home))  # fmt: skip
    return f"stopped: {fired.stopped}" if fired.stopped else f"notified {', '.join(fired.notified) or 'nobody'}"


def schedule(db: Database, queue: Queue) -> int:
    """Hand steps owed to RQ's scheduler, and re-hand lost ones; returns how many. Cheap when there are none."""
    now = utcnow()
    with db.read() as session:
        waiting = session.scalar(
            select(Escalation.id)
            .where(
                (Escalation.status == "scheduled")
                | ((Escalation.status == "queued") & (Escalation.due_at < now - LOST_AFTER))
            )
            .limit(1)
        )
    if waiting is None:
        return 0
    try:
        queue.connection.ping()
        with db.transaction() as session:
            lost = _lost(session, queue, now)
            rows = session.execute(
                select(Escalation.id, Escalation.due_at)
                .where(Escalation.status == "scheduled")
                .order_by(Escalation.due_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            handed = [(row.id, row.due_at, f"escalation-{row.id}-{uuid.uuid4().hex[:8]}") for row in rows]
            for step_id, _, job_id in handed:
                session.execute(
                    update(Escalation).where(Escalation.id == step_id).values(status="queued", job_id=job_id)
                )
        try:
            for step_id, due_at, job_id in handed:
                queue.enqueue_at(due_at, escalate, step_id, job_id=job_id, job_timeout=JOB_TIMEOUT,
                                 result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)  # fmt: skip
        except redis.RedisError:
            with db.transaction() as session:
                session.execute(
                    update(Escalation)
                    .where(Escalation.job_id.in_([job_id for _, _, job_id in handed]), Escalation.status == "queued")
                    .values(status="scheduled", job_id=None)
                )
            raise
    except redis.RedisError as exc:
        raise QueueUnavailable(f"Redis is unavailable ({type(exc).__name__}: {exc})") from exc
    if lost:
        log.warning("scheduled %d escalation step(s) again whose job was lost", lost)
    return len(handed)


def _lost(session: Session, queue: Queue, now: datetime) -> int:
    """Queued steps long past due whose job Redis no longer has (or that failed): back to `scheduled`."""
    rows = session.execute(
        select(Escalation.id, Escalation.job_id).where(
            Escalation.status == "queued", Escalation.due_at < now - LOST_AFTER
        )
    ).all()
    gone = []
    for step_id, job_id in rows:
        try:
            status = Job.fetch(job_id, connection=queue.connection).get_status() if job_id else None
        except NoSuchJobError:
            status = None
        if status in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            gone.append(step_id)
    if gone:
        session.execute(update(Escalation).where(Escalation.id.in_(gone)).values(status="scheduled", job_id=None))
    return len(gone)
