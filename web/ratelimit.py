"""Per-integration request limits, counted in Redis so every web process shares one count.

A fixed one-minute window: simple, one round trip (INCR + EXPIRE in a pipeline), and good enough to stop a
misconfigured tool from flooding the hub. When Redis does not answer, requests are let through: the limit
protects the hub, and refusing alerts because a counter is unavailable would do more harm than a flood.
"""

from __future__ import annotations

import logging
import time

import redis

from hub.accounts import IntegrationRef

log = logging.getLogger(__name__)
WINDOW = 60


def retry_after(client: redis.Redis | None, integration: IntegrationRef, now: float | None = None) -> int | None:
    """Seconds the sender should wait when over its limit, else None (also when there is no limit or no Redis)."""
    if integration.rate_limit is None or client is None:
        return None
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    key = f"switchboard:ratelimit:{integration.id}:{window}"
    try:
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW * 2)
        count = int(pipe.execute()[0])
    except redis.RedisError as exc:
        log.warning("rate limit for %s not checked, Redis is unavailable: %s", integration.name, exc)
        return None
    if count <= integration.rate_limit:
        return None
    return max(1, int((window + 1) * WINDOW - now))
