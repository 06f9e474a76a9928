"""`GET /healthz`: whether this web process can reach what it depends on, for load balancers and `up`.

`GET /healthz/intake`: whether it can take alerts and mail, for a load balancer in front of the intake alone. That
needs only the database: while Redis is away the webhooks still answer 202 and the outbox keeps the notifications
till it returns, so a balancer asking `/healthz` would stop the intake for nothing. Redis's state is still said."""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from hub.errors import StorageUnavailable
from web.responses import json_response
from web.services import Services, services

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not configured"


@bp.get("/healthz")
def healthz() -> Response:
    """200 when every dependency answers; 503 naming the ones that did not (details go to the log, not out)."""
    return _answer(needed=("database", "redis"))


@bp.get("/healthz/intake")
def intake() -> Response:
    """200 while the database answers, whatever Redis does (its state said beside); 503 when the database does not."""
    return _answer(needed=("database",))


def _answer(needed: tuple[str, ...]) -> Response:
    """Every dependency's state; 200 when those `needed` answer, else 503."""
    svc = services()
    checks = {"database": _database(svc), "redis": _redis(svc)}
    healthy = all(checks[name] == OK for name in needed)
    return json_response({"status": OK if healthy else UNAVAILABLE, **checks}, 200 if healthy else 503)


def _database(svc: Services) -> str:
    try:
        svc.db.ping()
    except StorageUnavailable as exc:
        log.warning("healthz: %s", exc)
        return UNAVAILABLE
    return OK


def _redis(svc: Services) -> str:
    client = svc.redis()
    if client is None:
        return NOT_CONFIGURED
    import redis  # loaded with the client (web/services.py), so only looked up here

    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        log.warning("healthz: redis unavailable: %s", exc)
        return UNAVAILABLE
    return OK
