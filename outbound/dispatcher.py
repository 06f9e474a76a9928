"""Move owed notifications from the outbox table onto the RQ queue, a batch of rows per job.

The outbox is the source of truth: rows are marked 'queued' with the id of the job that will hold them, committed,
and only then is the job enqueued (so a worker never sees a job before its rows); should Redis refuse the job, the
rows go back to 'pending', so if Redis is down they simply wait and go out when it returns. A pending row is
due when its `next_attempt_at` (set after a failed attempt) has passed. Rows are claimed
with SELECT ... FOR UPDATE SKIP LOCKED, so several dispatchers can run against PostgreSQL (SQLite serialises
writers anyway). All jobs of one round go to Redis in one pipeline.

A row can also be 'queued' under a job that will never run it: Redis lost its data, the job failed without its
callback putting the rows back, or its worker was killed mid-job (RQ notices that only much later). The sweep finds
queued rows untouched for `stale_after` seconds and looks at their job: gone, finished, failed, or started more than
`stuck_after` seconds ago (longer than any job may run) means lost, and the rows go out again in a new job. A row's
delivery id never changes, so a receiver can drop the repeat should the lost job have sent it after all.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypedDict, Unpack

import redis
from rq import Callback, Queue
from rq.job import JobStatus
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from hub.db import Database
from hub.errors import StorageUnavailable
from hub.models import OutboxMessage, utcnow
from outbound import jobs
from outbound.errors import QueueUnavailable
from outbound.queue import FAILURE_TTL, JOB_ROWS, JOB_TIMEOUT, RESULT_TTL, new_job_id

log = logging.getLogger("switchboard.outbound")

#: Job statuses after which RQ will not run the job again.
_DONE = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED})

#: Rows per transaction and per Redis pipeline (split into jobs of JOB_ROWS).
BATCH = 500

#: A job started longer ago than this has outlived its timeout: its worker died with it.
STUCK_AFTER = JOB_TIMEOUT + 60.0

#: A queued row unvouched for this long (seconds) is checked against Redis: its job may be lost.
STALE_AFTER = 300.0


class BatchOptions(TypedDict, total=False):
    """`move_batch`'s knobs, named once so `dispatch_once` passes them on without restating them or their defaults."""

    batch: int
    job_rows: int
    stale_after: float
    stuck_after: float
    sweep: bool


def dispatch_once(db: Database, queue: Queue, **options: Unpack[BatchOptions]) -> int:
    """Enqueue up to `batch` due rows (and, with `sweep`, lost queued ones); returns how many rows were enqueued.

    When Redis is unreachable nothing changes, a warning is logged and 0 is returned: the outbox keeps the rows.
    """
    try:
        return move_batch(db, queue, **options)
    except QueueUnavailable as exc:
        log.warning("%s; notifications stay pending in the outbox until it is back", exc)
        return 0


def move_batch(
    db: Database,
    queue: Queue,
    *,
    batch: int = BATCH,
    job_rows: int = JOB_ROWS,
    stale_after: float = STALE_AFTER,
    stuck_after: float = STUCK_AFTER,
    sweep: bool = True,
) -> int:
    """Like `dispatch_once`, but raises QueueUnavailable when Redis is down (for callers that back off or report)."""
    if not _anything_to_do(db, utcnow(), stale_after if sweep else None):
        return 0  # a cheap read, so an idle dispatcher never takes SQLite's write lock
    try:
        queue.connection.ping()  # Redis away: leave the database alone
        with db.transaction() as session:
            now = utcnow()
            ids = _claim(session, _due(now), batch)
            lost: list[int] = []
            if sweep:
                lost, alive = _sweep(session, queue, now, stale_after, stuck_after, batch)
                for vouched, outbox_ids in alive.items():  # their job will deliver them: look again later
                    session.execute(
                        update(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids)).values(updated_at=vouched)
                    )
            rows = [*ids, *lost]
            chunks = [(new_job_id(), rows[i : i + job_rows]) for i in range(0, len(rows), job_rows)]
            for job_id, chunk in chunks:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(chunk))
                    .values(status="queued", job_id=job_id, updated_at=now)
                )
        # Enqueued only after the commit: a worker quick enough to take a job at once must find its rows queued
        # under its id (it skips any it does not hold).
        if not chunks:
            return 0
        try:
            _enqueue(queue, chunks)
        except redis.RedisError:
            _release(db, [job_id for job_id, _ in chunks])
            raise
        if lost:
            log.warning("re-enqueued %d queued notification(s) whose job was lost, failed or stuck", len(lost))
        return len(rows)
    except redis.RedisError as exc:
        # Not only ConnectionError and TimeoutError: a Redis that is out of memory, loading or read-only
        # refuses writes too, and in every case the rows stay pending until it is back.
        raise QueueUnavailable(f"Redis is unavailable ({type(exc).__name__}: {exc})") from exc


def _release(db: Database, job_ids: list[str]) -> None:
    """Put rows back to pending when their jobs could not be enqueued (should this fail too, the sweep finds
    them: their jobs do not exist)."""
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.job_id.in_(job_ids), OutboxMessage.status == "queued")
            .values(status="pending", job_id=None)
        )


def run_dispatcher(
    db: Database,
    queue: Queue,
    *,
    interval: float = 0.2,
    stop: threading.Event | None = None,
    batch: int = BATCH,
    stale_after: float = STALE_AFTER,
    stuck_after: float = STUCK_AFTER,
    upkeep: Callable[[], object] | None = None,
    each_round: Callable[[], object] | None = None,
) -> None:
    """Dispatch until `stop` is set: at once again while batches come back full, else every `interval` seconds.

    `upkeep` runs with each sweep for lost jobs (about every 30 s): the hub's periodic chores, passed in so this
    module knows nothing of them. `each_round` runs every round, for other timed work that must not wait 30 s
    (handing escalation steps to RQ's scheduler).

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
            moved = move_batch(db, queue, batch=batch, stale_after=stale_after, stuck_after=stuck_after, sweep=sweep)
            if each_round is not None:
                each_round()
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


def _due(now: datetime) -> ColumnElement[bool]:
    return (OutboxMessage.status == "pending") & or_(
        OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now
    )


def _stale(now: datetime, stale_after: float) -> ColumnElement[bool]:
    """Queued rows nobody has vouched for in `stale_after` seconds: their job may be lost."""
    return (OutboxMessage.status == "queued") & (OutboxMessage.updated_at <= now - timedelta(seconds=stale_after))


def _anything_to_do(db: Database, now: datetime, stale_after: float | None) -> bool:
    with db.read() as session:
        if session.scalar(select(exists().where(_due(now)))):
            return True
        if stale_after is None:
            return False
        return bool(session.scalar(select(exists().where(_stale(now, stale_after)))))


def _claim(session: Session, condition: ColumnElement[bool], batch: int) -> list[int]:
    """Lock up to `batch` rows, skipping rows another dispatcher holds (PostgreSQL; SQLite ignores the hint)."""
    query = (
        select(OutboxMessage.id)
        .where(condition)
        .order_by(OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _sweep(
    session: Session, queue: Queue, now: datetime, stale_after: float, stuck_after: float, batch: int
) -> tuple[list[int], dict[datetime, list[int]]]:
    """Stale queued rows split by what Redis knows of their job, in one round trip: the lost ones, and the
    alive ones by the `updated_at` that brings them up again when worth a look.

    That is `stale_after` from now, but for a started job no later than when it outlives `stuck_after`: a
    worker killed a minute into a job would otherwise be found out only after two sweeps, about ten minutes."""
    query = (
        select(OutboxMessage.id, OutboxMessage.job_id)
        .where(_stale(now, stale_after))
        .order_by(OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    stale = list(session.execute(query))
    if not stale:
        return [], {}
    job_ids = sorted({job_id for _, job_id in stale if job_id})
    states = dict(zip(job_ids, job_states(queue, job_ids), strict=True))
    cutoff = now.timestamp() - stuck_after
    lost: list[int] = []
    alive: dict[datetime, list[int]] = {}
    for outbox_id, job_id in stale:
        status, started = states.get(job_id or "", (None, None))
        if status is None or status in _DONE or (status == JobStatus.STARTED and (started or 0) < cutoff):
            lost.append(outbox_id)
            continue
        vouched = now
        if status == JobStatus.STARTED and started is not None:  # stuck at started + stuck_after, stale then
            vouched = min(now, datetime.fromtimestamp(started + stuck_after - stale_after, now.tzinfo))
        alive.setdefault(vouched, []).append(outbox_id)
    return lost, alive


def job_states(queue: Queue, job_ids: Sequence[str]) -> list[tuple[str | None, float | None]]:
    """Each job's status and start time in one round trip (None: no such job); not the pickled call."""
    with queue.connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(queue.job_class.key_for(job_id), "status", "started_at")
        answers = pipe.execute()
    states: list[tuple[str | None, float | None]] = []
    for status, started_at in answers:
        started = None
        if started_at:
            try:
                started = datetime.fromisoformat(started_at.decode().replace("Z", "+00:00")).timestamp()
            except ValueError:
                started = None
        states.append((status.decode() if status else None, started))
    return states


def _enqueue(queue: Queue, chunks: Sequence[tuple[str, list[int]]]) -> None:
    """One job per chunk, all in one MULTI/EXEC."""
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(
            [
                Queue.prepare_data(
                    jobs.deliver_batch,
                    args=(chunk, job_id),
                    job_id=job_id,
                    timeout=JOB_TIMEOUT,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                    on_failure=Callback(jobs.on_batch_failure),
                )
                for job_id, chunk in chunks
            ],
            pipeline=pipe,
        )
        pipe.execute()
