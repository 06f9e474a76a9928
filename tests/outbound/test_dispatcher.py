"""The dispatcher: outbox rows onto RQ in batches, nothing lost when Redis is away, lost jobs found again."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from hub.models import OutboxMessage, utcnow
from outbound.dispatcher import dispatch_once, run_dispatcher
from outbound.queue import connect, make_queue
from tests.delivery import work
from tests.outbound.conftest import Parts, owe_acknowledgement, row, rows_of
from tests.servers import wait_until


def jobs_of(queue: Queue) -> list[Job]:
    return [Job.fetch(job_id, connection=queue.connection) for job_id in queue.job_ids]


def test_dispatch_enqueues_pending_rows_as_one_job_that_holds_them(parts: Parts) -> None:
    owed = [owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>") for i in range(3)]
    assert dispatch_once(parts.db, parts.queue) == 3
    [job] = jobs_of(parts.queue)
    assert job.func_name == "outbound.jobs.deliver_batch"
    assert list(job.args[0]) == [o.id for o in owed] and job.args[1] == job.id
    assert {(r.status, r.job_id, r.attempts) for r in rows_of(parts.db)} == {("queued", job.id, 0)}


def test_dispatch_splits_rows_into_jobs_of_job_rows(parts: Parts) -> None:
    for i in range(5):
        owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>")
    assert dispatch_once(parts.db, parts.queue, job_rows=2) == 5
    assert [len(job.args[0]) for job in jobs_of(parts.queue)] == [2, 2, 1]


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
    enqueued = [outbox_id for job in jobs_of(parts.queue) for outbox_id in job.args[0]]
    assert sorted(enqueued) == [r.id for r in rows_of(parts.db)]
    assert {r.status for r in rows_of(parts.db)} == {"queued"}


def test_dispatch_moves_at_most_batch_rows_oldest_first(parts: Parts) -> None:
    for i in range(3):
        owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>")
    assert dispatch_once(parts.db, parts.queue, batch=2) == 2
    assert [r.status for r in rows_of(parts.db)] == ["queued", "queued", "pending"]
    assert dispatch_once(parts.db, parts.queue, batch=2) == 1


def test_row_waiting_for_its_next_attempt_is_left_pending_until_due(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    with parts.db.transaction() as session:
        waiting = session.get(OutboxMessage, owed.id)
        assert waiting is not None
        waiting.next_attempt_at = utcnow() + timedelta(minutes=5)
    assert dispatch_once(parts.db, parts.queue) == 0
    with parts.db.transaction() as session:
        waiting = session.get(OutboxMessage, owed.id)
        assert waiting is not None
        waiting.next_attempt_at = utcnow() - timedelta(seconds=1)
    assert dispatch_once(parts.db, parts.queue) == 1


def test_dispatch_with_redis_unreachable_leaves_rows_pending(
    parts: Parts, caplog: pytest.LogCaptureFixture, closed_port: int
) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    closed = connect(f"redis://127.0.0.1:{closed_port}/0")
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


def test_queued_row_whose_job_failed_is_reenqueued_in_a_new_job(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    # What RQ leaves when a job failed and its callback could not put the rows back: a failed job, a queued row.
    [job] = jobs_of(parts.queue)
    parts.queue.remove(job)
    job.set_status(JobStatus.FAILED)
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 1
    assert row(parts.db, owed.id).job_id not in (None, job.id)
    work(parts.queue)
    parts.sink.handler.wait_for(1)
    assert row(parts.db, owed.id).status == "sent"


def test_queued_row_whose_job_is_alive_is_left_alone(parts: Parts) -> None:
    owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 0
    assert len(parts.queue.job_ids) == 1


def test_queued_row_whose_job_started_too_long_ago_is_reenqueued(parts: Parts) -> None:
    """A worker killed mid-job leaves the job 'started' forever; longer than any job may run means it died."""
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    [job] = jobs_of(parts.queue)
    parts.queue.remove(job)
    job.set_status(JobStatus.STARTED)
    parts.queue.connection.hset(job.key, "started_at", "2020-01-01T00:00:00.000000Z")
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 1
    assert row(parts.db, owed.id).job_id != job.id


def test_queued_row_whose_job_started_recently_is_left_alone(parts: Parts) -> None:
    owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    [job] = jobs_of(parts.queue)
    parts.queue.remove(job)
    job.set_status(JobStatus.STARTED)
    parts.queue.connection.hset(job.key, "started_at", utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert dispatch_once(parts.db, parts.queue, stale_after=0) == 0


def test_queued_row_whose_job_started_recently_comes_up_again_when_the_job_would_be_stuck(parts: Parts) -> None:
    """A worker killed a minute into a job: the next look is when the job outlives any job, not a whole
    `stale_after` after this one (which made a killed worker's notifications wait about ten minutes)."""
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    [job] = jobs_of(parts.queue)
    parts.queue.remove(job)
    job.set_status(JobStatus.STARTED)
    started = (utcnow() - timedelta(seconds=60)).replace(microsecond=0)
    parts.queue.connection.hset(job.key, "started_at", started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    with parts.db.transaction() as session:  # dispatched a little over `stale_after` ago
        session.get_one(OutboxMessage, owed.id).updated_at = utcnow() - timedelta(seconds=301)

    assert dispatch_once(parts.db, parts.queue, stale_after=300, stuck_after=360) == 0
    assert row(parts.db, owed.id).updated_at == started + timedelta(seconds=360 - 300)  # stale when it is stuck


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


def test_run_dispatcher_waits_out_redis_outage(
    parts: Parts, caplog: pytest.LogCaptureFixture, closed_port: int
) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    with caplog.at_level(logging.WARNING, logger="switchboard.outbound"):
        stop, loop = start_dispatcher(parts, make_queue(connect(f"redis://127.0.0.1:{closed_port}/0")))
        try:
            wait_until(lambda: "dispatcher paused" in caplog.text, timeout=10, message="the pause to be logged")
        finally:
            stop.set()
            loop.join(timeout=10)
    assert not loop.is_alive() and row(parts.db, owed.id).status == "pending"
    assert caplog.text.count("dispatcher paused") == 1  # logged when it starts, not on every attempt
