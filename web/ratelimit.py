"""Limits counted in Redis, so every web process shares one count: per-integration requests, and failed logins.

Fixed windows: simple, one round trip (INCR + EXPIRE in a pipeline), and good enough to stop a misconfigured
tool from flooding the hub or a script from guessing passwords. When Redis does not answer, requests are let
through: refusing alerts or logins because a counter is unavailable would do more harm than the flood.
"""

from __future__ import annotations

import logging
import time

import redis

from hub.accounts import IntegrationRef

log = logging.getLogger(__name__)
WINDOW = 60


#: Failed logins allowed per address within LOGIN_WINDOW seconds. Counted per address, not per client IP: behind a
#: reverse proxy every client has the proxy's address, and one noisy client would lock everyone out.
LOGIN_PER_EMAIL = 5
LOGIN_WINDOW = 900


def _hit(client: redis.Redis, name: str, window: int, now: float) -> tuple[int, int]:
    """Count one more in the current fixed window of `window` seconds: (count so far, seconds until it ends)."""
    slot = int(now // window)
    key = f"switchboard:limit:{name}:{slot}"
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window * 2)
    return int(pipe.execute()[0]), max(1, int((slot + 1) * window - now))


def _count(client: redis.Redis, name: str, window: int, now: float) -> tuple[int, int]:
    slot = int(now // window)
    value = client.get(f"switchboard:limit:{name}:{slot}")
    return int(value or 0), max(1, int((slot + 1) * window - now))


def retry_after(client: redis.Redis | None, integration: IntegrationRef, now: float | None = None) -> int | None:
    """Seconds the sender should wait when over its limit, else None (also when there is no limit or no Redis)."""
    if integration.rate_limit is None or client is None:
        return None
    try:
        count, wait = _hit(client, f"integration:{integration.id}", WINDOW, time.time() if now is None else now)
    except redis.RedisError as exc:
        log.warning("rate limit for %s not checked, Redis is unavailable: %s", integration.name, exc)
        return None
    return wait if count > integration.rate_limit else None


def _login_key(email: str) -> str:
    return f"login:{email.strip().lower()}"


def login_locked(client: redis.Redis | None, email: str, now: float | None = None) -> int | None:
    """Seconds until this address may try again after too many failed logins, else None."""
    if client is None:
        return None
    try:
        count, wait = _count(client, _login_key(email), LOGIN_WINDOW, time.time() if now is None else now)
    except redis.RedisError as exc:
        log.warning("login attempts not counted, Redis is unavailable: %s", exc)
        return None
    return wait if count >= LOGIN_PER_EMAIL else None


def login_failed(client: redis.Redis | None, email: str, now: float | None = None) -> None:
    """Count a failed login against the address."""
    if client is None:
        return
    try:
        _hit(client, _login_key(email), LOGIN_WINDOW, time.time() if now is None else now)
    except redis.RedisError as exc:
        log.warning("failed login not counted, Redis is unavailable: %s", exc)
