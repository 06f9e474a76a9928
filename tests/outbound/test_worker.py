"""The notifications worker: a stop asked for while it starts is honoured before it takes any job."""

from __future__ import annotations

import threading

from outbound.dispatcher import dispatch_once
from outbound.worker import NotificationWorker
from tests.outbound.conftest import Parts, owe_acknowledgement, row


def test_stop_requested_during_startup_stops_before_taking_a_job(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    worker = NotificationWorker([parts.queue], connection=parts.queue.connection)
    worker.early_stop = threading.Event()
    worker.early_stop.set()  # as if SIGTERM arrived before RQ installed its handlers
    assert worker.work(burst=False) is False  # returns instead of blocking on the queue
    assert row(parts.db, owed.id).status == "queued" and len(parts.queue.job_ids) == 1
