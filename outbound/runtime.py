"""What a delivery job needs from its process: settings and a database, made once per process.

RQ calls jobs as plain functions with ids, so they cannot be handed a `Database`. Instead the first job in a
process builds one from `Settings.from_env()` (or from settings the worker command or a test installed) and keeps
it. The runtime is keyed by PID: a forking worker's child must not use its parent's pooled connections, so a new
process gets its own database.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from hub.config import Settings
from hub.db import Database


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    pid: int
    owns_db: bool = True  # False when the caller passed its own Database in, and will dispose of it


_lock = threading.Lock()
_settings: Settings | None = None  # installed explicitly; otherwise read from the environment
_runtime: Runtime | None = None


def install(settings: Settings, db: Database | None = None) -> Runtime:
    """Use these settings (and this database, if given) for jobs run in this process from now on."""
    global _settings, _runtime
    with _lock:
        _release(_runtime)
        _settings = settings
        if db is None:
            _runtime = Runtime(settings, _connect(settings), os.getpid())
        else:
            _runtime = Runtime(settings, db, os.getpid(), owns_db=False)
        return _runtime


def current() -> Runtime:
    """This process's runtime, built on first use (and again after a fork)."""
    global _runtime
    runtime = _runtime
    if runtime is not None and runtime.pid == os.getpid():
        return runtime
    with _lock:
        if _runtime is not None and _runtime.pid == os.getpid():
            return _runtime
        _release(_runtime)
        settings = _settings or Settings.from_env()
        _runtime = Runtime(settings, _connect(settings), os.getpid())
        return _runtime


def reset() -> None:
    """Forget the installed settings and runtime (tests call this between cases)."""
    global _settings, _runtime
    with _lock:
        _release(_runtime)
        _settings = None
        _runtime = None


def _connect(settings: Settings) -> Database:
    return Database.connect(settings.database_url, timeout=settings.db_timeout)


def _release(runtime: Runtime | None) -> None:
    if runtime is None or not runtime.owns_db:
        return
    if runtime.pid == os.getpid():
        runtime.db.dispose()
    else:
        # Inherited across fork: drop the pool without closing sockets the parent is still using.
        runtime.db.engine.dispose(close=False)
