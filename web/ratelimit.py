"""Limits counted in Redis, so every web process shares one count: per-integration requests, failed logins,
answers to a satisfaction survey and requests for status updates.

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


def _over(client: redis.Redis | None, name: str, limit: int, window: int, now: float | None) -> int | None:
    """Count one more against `name`: seconds to wait when that makes more than `limit` in the window, else None
    (also when there is no Redis)."""
    if client is None:
        return None
    try:
        count, wait = _hit(client, name, window, time.time() if now is None else now)
    except redis.RedisError as exc:
        log.warning("limit %s not checked, Redis is unavailable: %s", name, exc)
        return None
    return wait if count > limit else None


def retry_after(client: redis.Redis | None, integration: IntegrationRef, now: float | None = None) -> int | None:
    """Seconds the sender should wait when over its limit, else None (also when there is no limit or no Redis)."""
    if integration.rate_limit is None:
        return None
    return _over(client, f"integration:{integration.id}", integration.rate_limit, WINDOW, now)


#: Answers a requester may send to one incident's satisfaction survey per SURVEY_WINDOW seconds. Each change is a
#: timeline entry; a script flipping Good and Bad would otherwise bury the incident's history.
SURVEY_ANSWERS = 10
SURVEY_WINDOW = 3600


def survey_retry_after(client: redis.Redis | None, incident_id: int, now: float | None = None) -> int | None:
    """Count one answer to the incident's survey: seconds to wait when over SURVEY_ANSWERS this hour, else None."""
    return _over(client, f"survey:{incident_id}", SURVEY_ANSWERS, SURVEY_WINDOW, now)


#: Requests for status updates by mail from everyone, per SUBSCRIBE_WINDOW seconds: each may send a confirmation
#: mail, so this bounds how much unasked-for mail a script could make the desk send. Enough for a crowd signing up
#: during an outage. Not counted per client: behind a reverse proxy every client has the proxy's address (the
#: database refuses a second confirmation to one address within ten minutes, hub/status_subscriptions.py).
SUBSCRIBE_IN_ALL = 300
SUBSCRIBE_WINDOW = 3600


def subscribe_retry_after(client: redis.Redis | None, now: float | None = None) -> int | None:
    """Count one request for status updates: seconds to wait when over SUBSCRIBE_IN_ALL this hour, else None."""
    return _over(client, "subscribe", SUBSCRIBE_IN_ALL, SUBSCRIBE_WINDOW, now)


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
