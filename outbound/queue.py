"""The notifications queue: its name, its Redis connection and the job options, in one place.

The dispatcher (producer) and the worker (consumer) both build their queue here, so they cannot disagree on the
name or on how long a delivery may take.
"""

from __future__ import annotations

import uuid

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue

QUEUE_NAME = "notifications"

#: Outbox rows one job delivers: RQ costs a few milliseconds per job, so rows travel together, while each row
#: keeps its own retry state (a row that fails is rescheduled alone, not the whole job).
JOB_ROWS = 50

#: Sends run this many at a time within a job (per worker process): receivers wait on the network, not the CPU.
SENDERS = 16

#: A job is at most ceil(JOB_ROWS / SENDERS) rounds of sends, each bounded by socket timeouts (10 s HTTP, 30 s
#: SMTP per operation); anything past this is stuck, not slow, and RQ stops it (its rows are then retried).
JOB_TIMEOUT = 300

#: Results only matter to RQ's dashboards; the outbox row is the record, so keep Redis small.
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600


def connect(redis_url: str, *, timeout: float | None = 1.0) -> redis.Redis:
    """A Redis client that fails fast: the dispatcher holds a database transaction while it talks to Redis
    (on SQLite, the write lock every ingest waits for), so a Redis that is away must cost at most a second,
    without retries; the dispatcher tries again on its next round anyway.

    The worker passes `timeout=None` for reads, because RQ blocks on BLPOP and sets its own socket timeout.
    """
    return redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=1.0,
        socket_timeout=timeout,
        health_check_interval=30,
        retry=RedisRetry(NoBackoff(), 0),
    )


def make_queue(connection: redis.Redis) -> Queue:
    """The notifications queue on this connection (explicit `connection=`, as RQ 2+ requires)."""
    return Queue(QUEUE_NAME, connection=connection, default_timeout=JOB_TIMEOUT)


def new_job_id() -> str:
    """A batch job's id; rows record it, so a late callback or sweep never touches rows another job now holds."""
    return f"batch-{uuid.uuid4()}"
