"""Measurements a process takes of itself: ingest latency for /metrics, and log lines that carry a request id.

Counts of stored things come from the database (hub/figures.py); only what is never stored — how long it took to
accept an event — is measured in process. Gunicorn runs several worker processes, and the SMTP listener is
another, so when PROMETHEUS_MULTIPROC_DIR is set (`switchboard up` and `switchboard web` set it) prometheus_client
keeps the histogram in files there and /metrics adds up every process's share.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
from collections.abc import MutableMapping
from pathlib import Path
from typing import TextIO

from prometheus_client import Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Seconds from the first byte of a request or message to its answer after the commit.
INGEST_SECONDS = Histogram(
    "switchboard_ingest_seconds",
    "Time to accept one request or message: parsed, stored durably and answered",
    labelnames=["source"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

#: The id of the request this thread or task is serving, for every log line it writes.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def prepare_multiprocess_dir(home: Path, environ: MutableMapping[str, str]) -> None:
    """Point `environ` (the children's) at a fresh metrics folder under `home`, unless one is already set.

    Files left by an earlier run would add stale observations, so the folder is emptied first.
    """
    if environ.get(MULTIPROC_ENV):
        return
    folder = home / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    environ[MULTIPROC_ENV] = str(folder)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(process: str, level: int = logging.INFO) -> None:
    """Send every log record through `log_handler(process)`."""
    root = logging.getLogger()
    root.handlers[:] = [log_handler(process)]
    root.setLevel(level)


def log_handler(process: str, stream: TextIO | None = None) -> logging.Handler:
    """One line per record, `key=value` fields then the message, with the process name and the request id (if
    any), so a request can be followed through `grep request_id=...` across the web and SMTP logs."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter(
            f"%(asctime)s level=%(levelname)s process={process} logger=%(name)s request_id=%(request_id)s "
            "msg=%(message)s"
        )
    )
    return handler
