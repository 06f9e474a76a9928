"""Redis goes away while events keep arriving: ingest still answers 202, the outbox grows, and when Redis is back
every notification is delivered exactly once, each with its own delivery id."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from hub import accounts
from hub.config import Settings
from hub.db import Database
from hub.domain import RuleSpec
from hub.net import free_port
from hub.redis_server import RedisServer
from hub.rulebook import add_rule
from outbound import runtime
from outbound.dispatcher import dispatch_once
from outbound.queue import connect, make_queue
from tests.outbound.conftest import rows_of, work
from tests.servers import SmtpSink
from web import create_app


def test_events_during_a_redis_outage_are_accepted_and_delivered_once_after(
    tmp_path: Path, settings: Settings, db: Database, smtp_sink: SmtpSink
) -> None:
    redis_server = RedisServer(tmp_path / "redis", port=free_port(), persist=False).start()
    wired = replace(settings, redis_url=redis_server.url, smtp_relay=smtp_sink.url)
    runtime.install(wired, db)
    with db.transaction() as session:
        accounts.create_user(session, email="oncall@example.com", password="correct horse", role="agent")
        secret = accounts.create_integration(session, name="prom")[1]
    with db.transaction() as session:
        add_rule(session, RuleSpec(id=0, name="to on-call", field="source", op="exists",
                                   set_assignee="oncall@example.com"))  # fmt: skip
    client = create_app(wired, db=db).test_client()
    connection = connect(redis_server.url)
    queue = make_queue(connection)
    try:
        redis_server.stop()  # Redis is down from here on
        for n in range(12):
            body = json.dumps({"title": f"Disk full on db{n}", "dedup_key": f"disk-{n}"})
            response = client.post("/api/v1/events/prom", data=body, content_type="application/json",
                                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
            assert response.status_code == 202
        assert client.get("/healthz").status_code == 503
        assert dispatch_once(db, queue) == 0  # nothing can be queued: the outbox keeps it all
        assert {row.status for row in rows_of(db)} == {"pending"}

        redis_server.start()  # Redis is back (empty: it kept nothing)
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
        runtime.reset()
        redis_server.stop()
