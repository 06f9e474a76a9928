"""Things break, notifications still arrive: a worker killed mid-job, Redis away while events keep coming,
receivers and relays failing for now or for good, and auto-responders that would make mail loops.

Real parts throughout: worker processes started as `switchboard worker` starts them, a Redis server stopped and
started again, an HTTP receiver and an SMTP sink on loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from rq import Worker

from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent
from hub.intake import Raw
from hub.outbox import PER_ADDRESS
from outbound.dispatcher import dispatch_once, run_dispatcher
from outbound.queue import connect, make_queue
from tests.delivery import deliver_everything, work
from tests.outbound.conftest import OnCall, Parts, add_channel, owe_to_channel, row, rows_of
from tests.outbound.receiver import Receiver, Reply
from tests.servers import SmtpSink, wait_until

REPO = Path(__file__).resolve().parents[2]


def worker_process(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    """`switchboard worker` in its own process, on the test's database, Redis and relay."""
    env = os.environ | {
        "SWITCHBOARD_HOME": str(settings.home),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SWITCHBOARD_SMTP_RELAY": settings.smtp_relay or "",
        "SECRET_KEY": "test-secret-key",
        "SWITCHBOARD_RETRY_FIRST": "0.1",
        "SWITCHBOARD_RETRY_CAP": "0.5",
    }
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)  # noqa: SIM115
    # A session of its own: the worker's scheduler child goes down with it when the test kills the group.
    process = subprocess.Popen([sys.executable, "-m", "hub", "worker", *args], env=env, cwd=REPO, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    _logs[process.pid] = log.name
    log.close()
    return process


_logs: dict[int, str] = {}


def finish(process: subprocess.Popen[bytes], *, burst: bool = False) -> str:
    """Stop the worker (SIGTERM, warm; a burst worker is left to finish by itself) and return what it logged."""
    if process.poll() is None and not burst:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60 if burst else 20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    path = _logs.pop(process.pid, None)
    if path is None:
        return ""
    text = Path(path).read_text(errors="replace")
    os.unlink(path)
    return text


# -- 1. a worker killed in the middle of a job -------------------------------------------------------------


def test_notification_held_by_a_worker_killed_mid_job_is_delivered_by_the_next_worker(
    parts: Parts, receiver: Receiver
) -> None:
    add_channel(parts.db, "webhook", "ops", receiver.url)
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    receiver.hold.set()  # the receiver takes the request and does not answer: the worker is mid-job
    assert dispatch_once(parts.db, parts.queue) == 1
    first = worker_process(parts.settings)
    try:
        assert receiver.arrived.wait(30), finish(first)
        os.killpg(first.pid, signal.SIGKILL)  # kill -9: the worker and its scheduler child, no goodbye
        first.wait(10)
    finally:
        finish(first)
    receiver.hold.clear()
    receiver.released.set()
    assert row(parts.db, owed.id).status == "queued"  # the dead worker never recorded anything

    # RQ would notice the abandoned job only after its heartbeat expires; the sweep sees a job that started
    # longer ago than any job may run (here: at once) and hands the row to a new job.
    assert dispatch_once(parts.db, parts.queue, stale_after=0, stuck_after=0) == 1
    second = worker_process(parts.settings, "--burst")
    log = finish(second, burst=True)
    assert second.returncode == 0, log
    assert row(parts.db, owed.id).status == "sent", log
    hits = receiver.wait_for(1)
    assert {hit.headers["x-switchboard-delivery"] for hit in hits} == {owed.delivery_id}  # a repeat, if any, says so


# -- 2. Redis away for a while as events keep arriving ------------------------------------------------------


@pytest.mark.parametrize("outage", [3.0])
def test_events_during_a_redis_outage_are_accepted_and_each_notification_delivered_under_one_id(
    on_call: OnCall, db: Database, smtp_sink: SmtpSink, outage: float
) -> None:
    queue = make_queue(connect(on_call.redis.url))
    stop = threading.Event()
    dispatcher = threading.Thread(target=run_dispatcher, args=(db, queue),
                                  kwargs={"stop": stop, "interval": 0.05, "stale_after": 1.0})  # fmt: skip
    dispatcher.start()
    worker = worker_process(on_call.settings)
    sent = 0
    spacing = (outage + 2.0) / (PER_ADDRESS - 5)  # all to one assignee: stay under the per-address mail cap

    def post_for(seconds: float) -> None:
        nonlocal sent
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert on_call.alert(sent) == 202
            sent += 1
            time.sleep(spacing)

    try:
        wait_until(lambda: Worker.all(connection=queue.connection), timeout=30, message="the worker to start")
        post_for(1.0)
        on_call.redis.stop()
        post_for(outage)  # ingest keeps answering 2xx: the outbox simply grows
        on_call.redis.start()  # back, and empty: every job it held is gone
        post_for(1.0)
        try:
            wait_until(lambda: {r.status for r in rows_of(db)} == {"sent"}, timeout=60,
                       message="every notification to be sent")  # fmt: skip
        except AssertionError as exc:
            raise AssertionError(f"{exc}; rows: {[(r.id, r.status, r.job_id) for r in rows_of(db)]}\n"
                                 f"worker log:\n{finish(worker)[-3000:]}") from None  # fmt: skip
        received = smtp_sink.handler.wait_for(sent)
        ids = [r.message["X-Switchboard-Delivery"] for r in received]
        assert set(ids) == {r.delivery_id for r in rows_of(db)} and len(rows_of(db)) == sent
    finally:
        stop.set()
        dispatcher.join(10)
        log = finish(worker)
        queue.connection.close()
    assert not dispatcher.is_alive(), log


# -- 3. failures for now, and for good ----------------------------------------------------------------------


def test_receiver_answering_500_then_200_is_retried_and_succeeds(parts: Parts, receiver: Receiver) -> None:
    add_channel(parts.db, "webhook", "ops", receiver.url)
    receiver.replies = [Reply(500, body=b"database is restarting")]
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    deliver_everything(parts.queue, parts.db)
    delivered = row(parts.db, owed.id)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert "HTTP 500: database is restarting" in (delivered.last_error or "")
    assert [h.headers["x-switchboard-delivery"] for h in [*receiver.refused, *receiver.hits]] == [owed.delivery_id] * 2


def test_receiver_answering_400_is_dead_lettered_at_once(parts: Parts, receiver: Receiver) -> None:
    add_channel(parts.db, "webhook", "ops", receiver.url)
    receiver.replies = [Reply(400, body=b"unknown field")]
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    deliver_everything(parts.queue, parts.db)
    dead = row(parts.db, owed.id)
    assert (dead.status, dead.attempts) == ("dead", 1) and "HTTP 400: unknown field" in (dead.last_error or "")
    assert len(receiver.refused) == 1 and receiver.hits == []


def test_relay_answering_451_then_250_is_retried(parts: Parts) -> None:
    """Also covered for a single row in test_delivery.py; here through a worker process, as in production."""
    from tests.outbound.conftest import owe_acknowledgement

    parts.sink.handler.replies = ["451 4.7.1 greylisted, try again"]
    owed = owe_acknowledgement(parts.intake, parts.db)
    for _ in range(10):
        if row(parts.db, owed.id).status == "sent":
            break
        dispatch_once(parts.db, parts.queue)
        finish(process := worker_process(parts.settings, "--burst"), burst=True)
        assert process.returncode == 0
        time.sleep(0.1)  # the worker's own policy (0.1 s first retry) decides when the row is due again
    delivered = row(parts.db, owed.id)
    assert (delivered.status, delivered.attempts) == ("sent", 2) and "451 4.7.1" in (delivered.last_error or "")
    assert len(parts.sink.handler.wait_for(1)) == 1


def test_receivers_retry_after_is_honoured(parts: Parts, receiver: Receiver) -> None:
    add_channel(parts.db, "webhook", "ops", receiver.url)
    receiver.replies = [Reply(429, headers={"Retry-After": "1"})]
    owed = owe_to_channel(parts.intake, parts.db, "ops")
    dispatch_once(parts.db, parts.queue)
    work(parts.queue)
    waiting = row(parts.db, owed.id)
    assert waiting.status == "pending" and waiting.next_attempt_at is not None
    # Our own policy (NO_WAIT) would retry at once; the receiver asked for a second, and gets it.
    assert (waiting.next_attempt_at - waiting.updated_at).total_seconds() >= 0.99
    wait_until(lambda: dispatch_once(parts.db, parts.queue), timeout=5, message="the row to be due again")
    work(parts.queue)
    assert row(parts.db, owed.id).status == "sent"
    refused_at, delivered_at = waiting.updated_at, row(parts.db, owed.id).sent_at
    assert delivered_at is not None and (delivered_at - refused_at).total_seconds() >= 1.0


# -- 4. auto-responders answering each other ----------------------------------------------------------------


def test_auto_responders_that_hide_it_get_no_more_mail_than_the_caps_allow(parts: Parts) -> None:
    """Two requesters whose responders answer every mail with a new one (no Auto-Submitted, a fresh subject, so
    each answer opens an incident and owes an acknowledgement): the per-address cap ends the loop. Responders that
    say what they are get nothing at all: tests/hub/test_intake.py::test_auto_submitted_email_gets_no_acknowledgement.
    """
    raw = Raw(source="email", content_type="message/rfc822", body=b"...")
    for n in range(PER_ADDRESS + 10):
        for responder in ("robot-a@example.com", "robot-b@example.com"):
            event = InboundEvent(source="email", title=f"Re: your ticket ({n})", requester=responder,
                                 message_id=f"<{responder}-{n}@example.com>")  # fmt: skip
            parts.intake.record(raw, event)
    deliver_everything(parts.queue, parts.db, rounds=20)
    received = parts.sink.handler.received
    per_address = {addr: sum(1 for r in received if r.rcpt_tos == [addr])
                   for addr in ("robot-a@example.com", "robot-b@example.com")}  # fmt: skip
    assert per_address == {"robot-a@example.com": PER_ADDRESS, "robot-b@example.com": PER_ADDRESS}
