"""The dispatcher: outbox rows onto RQ in batches, nothing lost when Redis is away, lost jobs found again."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from hub.net import free_port
from outbound.dispatcher import dispatch_once, run_dispatcher
from outbound.queue import connect, job_id_for, make_queue
from tests.outbound.conftest import Parts, owe_acknowledgement, row, rows_of, work
from tests.servers import wait_until


def test_dispatch_enqueues_pending_row_as_job_named_by_delivery_id(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    assert dispatch_once(parts.db, parts.queue) == 1
    queued = row(parts.db, owed.id)
    assert (queued.status, queued.attempts) == ("queued", 0)
    job = Job.fetch(job_id_for(owed.delivery_id), connection=parts.queue.connection)
    assert (job.func_name == "outbound.jobs.deliver" and job.args == [owed.id]) or job.args == (owed.id,)
    assert job.retries_left == 5 and parts.queue.job_ids == [job.id]


def test_concurrent_dispatchers_enqueue_each_row_once(any_parts: Parts) -> None:
    parts = any_parts
    for i in range(30):
        owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>")
    start = threading.Barrier(4)

    def dispatcher() -> int:
        start.wait()
        total = 0
        while moved := dispatch_once(parts.db, parts.queue, batch=3):
            total += moved
        return total

    with ThreadPoolExecutor(4) as pool:
        counts = list(pool.map(lambda _: dispatcher(), range(4)))
    assert sum(counts) == 30
    assert len(parts.queue.job_ids) == 30 and {r.status for r in rows_of(parts.db)} == {"queued"}


def test_dispatch_moves_at_most_batch_rows_oldest_first(parts: Parts) -> None:
    owed = [owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>") for i in range(3)]
    assert dispatch_once(parts.db, parts.queue, batch=2) == 2
    assert [r.status for r in rows_of(parts.db)] == ["queued", "queued", "pending"]
    assert dispatch_once(parts.db, parts.queue, batch=2) == 1
    assert parts.queue.job_ids == [job_id_for(o.delivery_id) for o in owed]


def test_dispatch_with_redis_unreachable_leaves_rows_pending(parts: Parts, caplog: pytest.LogCaptureFixture) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    closed = connect(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="switchboard.outbound"):
        assert dispatch_once(parts.db, make_queue(closed)) == 0
    assert row(parts.db, owed.id).status == "pending"
    assert "Redis is unavailable" in caplog.text
    assert dispatch_once(parts.db, parts.queue) == 1  # and it goes out once Redis is back


def test_queued_row_whose_job_vanished_is_reenqueued_and_delivered(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    parts.queue.connection.flushdb()  # Redis lost its data
    assert dispatch_once(parts.db, parts.queue, stale_after=300) == 0  # too recent to suspect
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 1
    work(parts.queue)
    parts.sink.handler.wait_for(1)
    assert row(parts.db, owed.id).status == "sent"


def test_queued_row_whose_job_failed_is_reenqueued(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    # What RQ leaves after a worker crashed mid-job and its retries were used up: a failed job, a 'queued' row.
    job = Job.fetch(job_id_for(owed.delivery_id), connection=parts.queue.connection)
    parts.queue.remove(job)
    job.set_status(JobStatus.FAILED)
    parts.queue.failed_job_registry.add(job, exc_string="AbandonedJobError")
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 1
    assert job.id not in parts.queue.failed_job_registry.get_job_ids()
    work(parts.queue)
    parts.sink.handler.wait_for(1)
    assert row(parts.db, owed.id).status == "sent"


def test_queued_row_whose_job_is_alive_is_left_alone(parts: Parts) -> None:
    owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 0
    assert len(parts.queue.job_ids) == 1


def start_dispatcher(parts: Parts, queue: Queue) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    loop = threading.Thread(target=run_dispatcher, args=(parts.db, queue), kwargs={"stop": stop, "interval": 0.05})
    loop.start()
    return stop, loop


def test_run_dispatcher_moves_rows_until_stopped(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    stop, loop = start_dispatcher(parts, parts.queue)
    try:
        wait_until(lambda: row(parts.db, owed.id).status == "queued", timeout=10, message="the row to be queued")
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()


def test_run_dispatcher_waits_out_redis_outage(parts: Parts, caplog: pytest.LogCaptureFixture) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    with caplog.at_level(logging.WARNING, logger="switchboard.outbound"):
        stop, loop = start_dispatcher(parts, make_queue(connect(f"redis://127.0.0.1:{free_port()}/0")))
        try:
            wait_until(lambda: "dispatcher paused" in caplog.text, timeout=10, message="the pause to be logged")
        finally:
            stop.set()
            loop.join(timeout=10)
    assert not loop.is_alive() and row(parts.db, owed.id).status == "pending"
    assert caplog.text.count("dispatcher paused") == 1  # logged when it starts, not on every attempt
