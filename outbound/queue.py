"""The notifications queue: its name, its Redis connection and the job options, in one place.

The dispatcher (producer) and the worker (consumer) both build their queue here, so they cannot disagree on the
name or on how long a delivery may take.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry

QUEUE_NAME = "notifications"

#: Seconds between retries of a transiently failed delivery: about three minutes in all, then the row is dead.
RETRY_INTERVALS = (10, 20, 40, 60, 60)

#: A delivery is one SMTP conversation (30 s socket timeout); anything longer is stuck, not slow.
JOB_TIMEOUT = 120

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


def default_retry() -> Retry:
    """RQ's retry policy for deliveries: transient failures are tried again with growing gaps."""
    return Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))


def job_id_for(delivery_id: str) -> str:
    """The RQ job id of an outbox row, derived from its delivery id so a repeat enqueue is recognisable."""
    return f"delivery-{delivery_id}"
