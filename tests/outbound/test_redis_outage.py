"""Redis goes away while events keep arriving: ingest still answers 202, the outbox grows, and when Redis is back
every notification is delivered exactly once, each with its own delivery id."""

from __future__ import annotations

from hub.db import Database
from outbound.dispatcher import dispatch_once
from outbound.queue import connect, make_queue
from tests.delivery import work
from tests.outbound.conftest import OnCall, rows_of
from tests.servers import SmtpSink


def test_events_during_a_redis_outage_are_accepted_and_delivered_once_after(
    on_call: OnCall, db: Database, smtp_sink: SmtpSink
) -> None:
    connection = connect(on_call.redis.url)
    queue = make_queue(connection)
    try:
        on_call.redis.stop()  # Redis is down from here on
        assert [on_call.alert(n) for n in range(12)] == [202] * 12
        assert on_call.client.get("/healthz").status_code == 503
        assert on_call.client.get("/healthz/intake").status_code == 200  # a balancer in front of the intake keeps it
        assert dispatch_once(db, queue) == 0  # nothing can be queued: the outbox keeps it all
        assert {row.status for row in rows_of(db)} == {"pending"}

        on_call.redis.start()  # Redis is back (empty: it kept nothing)
        while dispatch_once(db, queue):
            pass
        work(queue)
        received = smtp_sink.handler.wait_for(12)
        deliveries = [r.message["X-Switchboard-Delivery"] for r in received]
        assert len(deliveries) == 12 and len(set(deliveries)) == 12
        assert {row.status for row in rows_of(db)} == {"sent"}
        assert dispatch_once(db, queue) == 0 and len(smtp_sink.handler.received) == 12  # and nothing twice
    finally:
        connection.close()
