"""A problem's open incidents resolved in the background on the workers (hub/problem_followthrough.py): the
dispatcher hands each marked problem one job at a time, each job one batch, so that deliveries queued meanwhile go
out between batches rather than after all of them.

A job's id names its problem (`problem-incidents-<id>`), so a problem has at most one job waiting or running; when
it has ended and the mark is still there, the next round hands the next batch. A job whose worker was killed stays
`started` in Redis: past STUCK_AFTER it counts as lost and the batch is handed again (its transaction was rolled
back with the worker). A failed batch is handed again after RETRY_AFTER, not at once in a loop.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from hub import problem_followthrough
from hub.agent_action import Mail
from hub.db import Database
from hub.models import utcnow
from outbound import runtime
from outbound.dispatcher import job_states
from outbound.errors import QueueUnavailable
from outbound.queue import FAILURE_TTL, RESULT_TTL

log = logging.getLogger("switchboard.outbound")

#: A batch is BATCH resolves of up to 20 ms each: one running this long is stuck, not slow.
BATCH_TIMEOUT = 60
#: A job started this long ago and not ended lost its worker: hand the batch again.
STUCK_AFTER = BATCH_TIMEOUT + 60.0
#: A batch that failed (an incident that cannot be resolved, say) is tried again this long after it started.
RETRY_AFTER = 60.0
#: Job states in which a problem's job will still run, or is running.
_PENDING = frozenset({JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.STARTED})


def job_id(problem_id: int) -> str:
    return f"problem-incidents-{problem_id}"


def resolve_batch(problem_id: int) -> str:
    """The job: the problem's next batch of open incidents, as the person who asked."""
    rt = runtime.current()
    batch = problem_followthrough.resolve_batch(rt.db, problem_id, Mail.of(rt.settings))
    if batch is None:
        return "not marked"
    return f"resolved {len(batch.refs)}, {batch.still_open} still open" + (", finished" if batch.finished else "")


def schedule(db: Database, queue: Queue, now: datetime | None = None) -> int:
    """Hand the next batch of each marked problem whose job has ended (or was lost); returns how many were handed.
    One indexed read when no problem is marked, as nearly always."""
    with db.read() as session:
        problem_ids = problem_followthrough.marked(session)
    if not problem_ids:
        return 0
    at = (now or utcnow()).timestamp()
    try:
        states = job_states(queue, [job_id(p) for p in problem_ids])
        handed = 0
        for problem_id, (status, started) in zip(problem_ids, states, strict=True):
            lost = status == JobStatus.STARTED and (started or 0) < at - STUCK_AFTER
            failed_lately = status == JobStatus.FAILED and (started or 0) > at - RETRY_AFTER
            if (status in _PENDING and not lost) or failed_lately:
                continue
            if lost:
                log.warning("the batch of PRB-%d's incidents was lost with its worker; handing it again", problem_id)
            if status is not None:
                _forget(queue, job_id(problem_id))
            queue.enqueue(resolve_batch, problem_id, job_id=job_id(problem_id), job_timeout=BATCH_TIMEOUT,
                          result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)  # fmt: skip
            handed += 1
    except redis.RedisError as exc:
        raise QueueUnavailable(f"Redis is unavailable ({type(exc).__name__}: {exc})") from exc
    return handed


def _forget(queue: Queue, ended: str) -> None:
    """The problem's last job, ended or lost, out of Redis and its registries, so its id can name the next one."""
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(ended, connection=queue.connection).delete()
