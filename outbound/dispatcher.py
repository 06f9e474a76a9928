"""Move owed notifications from the outbox table onto the RQ queue.

The outbox is the source of truth: a row is marked 'queued' only in the transaction that also saw its job enqueued,
so if Redis is down the rows simply stay 'pending' and go out when it returns. Rows are claimed with
SELECT ... FOR UPDATE SKIP LOCKED, so several dispatchers can run against PostgreSQL (SQLite serialises writers
anyway). Jobs for one batch go to Redis in one pipeline, not one round trip per row.

A row can also be 'queued' with no job that will ever run it: the worker crashed and RQ gave up on the job, or Redis
lost its data. The sweep finds queued rows untouched for `stale_after` seconds whose job is gone or finished and
enqueues them again; delivery is idempotent for rows already sent, so a spurious re-enqueue costs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import JobStatus
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from hub.db import Database
from hub.errors import StorageUnavailable
from hub.models import OutboxMessage, utcnow
from outbound import jobs
from outbound.errors import QueueUnavailable
from outbound.queue import FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, default_retry, job_id_for

log = logging.getLogger("switchboard.outbound")

#: Job statuses after which RQ will not run the job again; any other status means its row must be left alone.
_DONE = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})

#: Rows per transaction and per Redis pipeline.
BATCH = 100


def dispatch_once(
    db: Database,
    queue: Queue,
    *,
    batch: int = BATCH,
    stale_after: float = 300,
    retry: Retry | None = None,
    sweep: bool = True,
) -> int:
    """Enqueue up to `batch` pending rows (and, with `sweep`, stale queued ones); returns how many were enqueued.

    When Redis is unreachable nothing changes, a warning is logged and 0 is returned: the outbox keeps the rows.
    """
    try:
        return move_batch(db, queue, batch=batch, stale_after=stale_after, retry=retry, sweep=sweep)
    except QueueUnavailable as exc:
        log.warning("%s; notifications stay pending in the outbox until it is back", exc)
        return 0


def move_batch(
    db: Database,
    queue: Queue,
    *,
    batch: int = BATCH,
    stale_after: float = 300,
    retry: Retry | None = None,
    sweep: bool = True,
) -> int:
    """Like `dispatch_once`, but raises QueueUnavailable when Redis is down (for callers that back off or report)."""
    if not _anything_to_do(db, stale_after if sweep else None):
        return 0  # a cheap read, so an idle dispatcher never takes SQLite's write lock
    try:
        with db.transaction() as session:
            pending = _claim(session, OutboxMessage.status == "pending", batch)
            rows = [*pending, *(_claim(session, _stale(stale_after), batch) if sweep else [])]
            if not rows:
                return 0
            moved = _enqueue(queue, rows, retry or default_retry())
            lost = len([row for row in moved if row.status == "queued"])
            if lost:
                log.warning("re-enqueued %d queued notification(s) whose job was lost, failed or finished", lost)
            now = utcnow()
            for row in rows:
                # Rows whose job is still alive are only touched: the job will deliver them, and the sweep
                # looks at them again only after another `stale_after` seconds.
                row.status = "queued"
                row.updated_at = now
            return len(moved)  # committed on leaving the block; any error above rolls every row back
    except redis.RedisError as exc:
        # Not only ConnectionError and TimeoutError: a Redis that is out of memory, loading or read-only
        # refuses writes too, and in every case the rows stay pending until it is back.
        raise QueueUnavailable(f"Redis is unavailable ({type(exc).__name__}: {exc})") from exc


def run_dispatcher(
    db: Database,
    queue: Queue,
    *,
    interval: float = 0.2,
    stop: threading.Event | None = None,
    batch: int = BATCH,
    stale_after: float = 300,
    upkeep: Callable[[], object] | None = None,
) -> None:
    """Dispatch until `stop` is set: at once again while batches come back full, else every `interval` seconds.

    `upkeep` runs with each sweep for stale jobs (about every 30 s): the hub's periodic chores, passed in so this
    module knows nothing of them.

    Redis or the database being away is waited out with a growing pause (at most 5 s), logged when it starts and
    when it ends rather than on every attempt.
    """
    stop = stop or threading.Event()
    sweep_every = max(interval, min(30.0, stale_after / 4))
    next_sweep = 0.0
    failures = 0
    while not stop.is_set():
        sweep = time.monotonic() >= next_sweep
        try:
            moved = move_batch(db, queue, batch=batch, stale_after=stale_after, sweep=sweep)
        except (QueueUnavailable, StorageUnavailable) as exc:
            if failures == 0:
                log.warning("dispatcher paused: %s; retrying until it is back", exc)
            failures += 1
            stop.wait(min(5.0, interval * 2 ** min(failures, 8)))
            continue
        if failures:
            log.warning("dispatcher resumed after %d failed attempt(s)", failures)
            failures = 0
        if sweep:
            next_sweep = time.monotonic() + sweep_every
            if upkeep is not None:
                try:
                    upkeep()
                except StorageUnavailable as exc:
                    log.warning("periodic upkeep skipped: %s", exc)
        if moved < batch:
            stop.wait(interval)


# -- the pieces ------------------------------------------------------------------------------------------


def _anything_to_do(db: Database, stale_after: float | None) -> bool:
    pending = exists().where(OutboxMessage.status == "pending")
    with db.read() as session:
        if session.scalar(select(pending)):
            return True
        if stale_after is None:
            return False
        return bool(session.scalar(select(exists().where(_stale(stale_after)))))


def _stale(stale_after: float) -> ColumnElement[bool]:
    """Queued rows nobody has vouched for in `stale_after` seconds: their job may be lost."""
    cutoff = utcnow() - timedelta(seconds=stale_after)
    return (OutboxMessage.status == "queued") & (OutboxMessage.updated_at <= cutoff)


def _claim(session: Session, condition: ColumnElement[bool], batch: int) -> list[OutboxMessage]:
    """Lock up to `batch` rows, skipping rows another dispatcher holds (PostgreSQL; SQLite ignores the hint)."""
    query = (
        select(OutboxMessage).where(condition).order_by(OutboxMessage.id).limit(batch).with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _enqueue(queue: Queue, rows: Sequence[OutboxMessage], retry: Retry) -> list[OutboxMessage]:
    """Enqueue the rows whose job RQ will not run anyway; returns them. Two round trips for the whole batch.

    A job still alive under the row's id (queued, running, waiting for a retry) is left alone. A finished one
    (failed, finished, stopped) is deleted in the same MULTI/EXEC as its replacement, so RQ's registries stay true.
    """
    ids = [job_id_for(row.delivery_id) for row in rows]
    statuses = _job_statuses(queue, ids)
    chosen = [
        (row, job_id, status)
        for row, job_id, status in zip(rows, ids, statuses, strict=True)
        if status is None or status in _DONE
    ]
    if not chosen:
        return []
    with queue.connection.pipeline() as pipe:
        for _, job_id, status in chosen:
            if status is not None:
                _discard(queue, job_id, pipe)
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    jobs.deliver,
                    args=(row.id,),
                    job_id=job_id,
                    retry=retry,
                    timeout=JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                    on_failure=Callback(jobs.on_delivery_failure),
                )
                for row, job_id, _ in chosen
            ],
            pipeline=pipe,
        )
        pipe.execute()
    return [row for row, _, _ in chosen]


def _job_statuses(queue: Queue, job_ids: Sequence[str]) -> list[str | None]:
    """Each job's status in one round trip (None: no such job); only the status field, not the pickled call."""
    with queue.connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(queue.job_class.key_for(job_id), "status")
        return [value.decode() if value else None for value in pipe.execute()]


def _discard(queue: Queue, job_id: str, pipe: Pipeline) -> None:
    """Remove a finished job and its registry entries (in `pipe`), so its replacement starts clean."""
    try:
        job = queue.job_class.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except (NoSuchJobError, DeserializationError):
        pipe.delete(queue.job_class.key_for(job_id))
        return
    job.delete(pipeline=pipe)
