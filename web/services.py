"""What one web app holds for its whole life: settings, the database, the intake, and a Redis client.

These are made once per app in `create_app` (never per request, never at import) and reached from views through
`services()`, so the hot event path does no set-up work of its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from flask import current_app

from hub.accounts import IntegrationKeys
from hub.config import Settings
from hub.db import Database
from hub.intake import Intake
from hub.knowledge import KnowledgeCache
from hub.lookback_cache import LookbackCache
from hub.sealed import Keyring

if TYPE_CHECKING:
    import redis

EXTENSION_KEY = "switchboard"

#: /healthz must answer quickly even when Redis is gone, so a dead Redis costs at most this long.
REDIS_TIMEOUT = 0.5


@dataclass
class Services:
    """The long-lived objects behind one app."""

    settings: Settings
    db: Database
    intake: Intake
    integrations: IntegrationKeys
    owns_db: bool = False  # True when create_app opened the database itself, so close() may dispose it
    _redis: redis.Redis | None = field(default=None, init=False, repr=False)
    _redis_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @cached_property
    def articles(self) -> KnowledgeCache:
        """The published articles, indexed once per app (read again when their revision moves): the suggestions
        beside an incident's reply box, the desk's question form and the API's. Per app, not per process: the
        revision counts within one database, so a process serving another database (a test's) must not reuse it."""
        return KnowledgeCache()

    @cached_property
    def suggestion_lookback(self) -> LookbackCache:
        """The look-back part of problem suggestions, kept a minute (hub/lookback_cache.py): /problems and the
        API's listing read only the burst window on most visits. Per app, as `articles` is."""
        return LookbackCache()

    @cached_property
    def keys(self) -> Keyring:
        """What seals and opens the secrets kept in the database (derived from the settings' keys once)."""
        return Keyring.of(self.settings)

    def redis(self) -> redis.Redis | None:
        """The Redis client, made once (create_app asks as it builds the app; the client connects on its first
        command); None when no REDIS_URL is set."""
        if self.settings.redis_url is None:
            return None
        with self._redis_lock:
            if self._redis is None:
                self._redis = _redis_client(self.settings.redis_url)
            return self._redis

    def close(self) -> None:
        """Release connections (tests and embedders call this; gunicorn workers just exit)."""
        if self._redis is not None:
            self._redis.close()
        if self.owns_db:
            self.db.dispose()


def _redis_client(url: str) -> redis.Redis:
    """A client that gives up quickly: no retries, and REDIS_TIMEOUT for each connect and command."""
    # Here, not at the top: without REDIS_URL nothing needs the library (50 ms of a worker's start, most of it
    # redis.asyncio, which `import redis` brings along); with it, create_app makes the client as it starts.
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No retries: a request must not wait seconds on a Redis that is down (health and rate limits both have an
    # answer for that).
    return Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )


def services() -> Services:
    """The current app's services."""
    found: Services = current_app.extensions[EXTENSION_KEY]
    return found
