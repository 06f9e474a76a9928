"""Fixtures for outbound tests: the hub wired to the test's Redis and SMTP sink, and helpers to make outbox rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rq import Queue

from hub import accounts
from hub.channels import channel_notices, create_channel, incident_facts
from hub.config import Settings
from hub.db import Database
from hub.domain import InboundEvent, RuleSpec
from hub.intake import Intake, Raw
from hub.models import OutboxMessage
from hub.net import free_port
from hub.outbox import owe
from hub.redis_server import RedisServer
from hub.rulebook import add_rule
from ingest.pipeline import make_intake
from outbound import runtime
from outbound.queue import connect, make_queue
from tests.conftest import KEYS
from tests.delivery import signal_handlers_kept
from tests.outbound.receiver import Receiver
from tests.servers import SmtpSink
from web import create_app

RAW = Raw(source="email", content_type="message/rfc822", body=b"Subject: Printer on fire\r\n\r\nHelp.\r\n")


@dataclass(frozen=True)
class Parts:
    """The real parts a delivery touches: settings pointing at them, the database, the queue and the sink."""

    settings: Settings
    db: Database
    queue: Queue
    intake: Intake
    sink: SmtpSink


@pytest.fixture(autouse=True)
def keep_signal_handlers() -> Iterator[None]:
    with signal_handlers_kept():
        yield


#: Retries due at once, so a test drives them with dispatch + work instead of waiting.
NO_WAIT = {"retry_first": 0.0, "retry_cap": 0.0}


@pytest.fixture
def parts(settings: Settings, db: Database, redis_url: str, smtp_sink: SmtpSink) -> Iterator[Parts]:
    """The parts on the test's SQLite file."""
    yield from _wired(replace(settings, redis_url=redis_url, smtp_relay=smtp_sink.url, **NO_WAIT), db, smtp_sink)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def any_parts(
    database_url: str, database: Database, settings: Settings, redis_url: str, smtp_sink: SmtpSink
) -> Iterator[Parts]:
    """The parts on SQLite, and in a second run on PostgreSQL (where SKIP LOCKED matters)."""
    relayed = replace(settings, database_url=database_url, redis_url=redis_url, smtp_relay=smtp_sink.url, **NO_WAIT)
    yield from _wired(relayed, database, smtp_sink)


def _wired(settings: Settings, db: Database, sink: SmtpSink) -> Iterator[Parts]:
    runtime.install(settings, db)
    connection = connect(settings.redis_url or "")
    try:
        yield Parts(settings, db, make_queue(connection), make_intake(settings, db), sink)
    finally:
        runtime.reset()
        connection.close()


def email_from_ann(title: str = "Printer on fire", message_id: str = "<x@y>") -> InboundEvent:
    return InboundEvent(source="email", title=title, requester="ann@example.com", message_id=message_id)


def owe_acknowledgement(intake: Intake, db: Database, **kw: str) -> OutboxMessage:
    """Open an incident from an email, which owes its requester an acknowledgement; return that outbox row."""
    outcome = intake.record(RAW, email_from_ann(**kw))
    rows = [row for row in rows_of(db) if row.incident_id == outcome.incident_id]
    assert len(rows) == 1 and rows[0].kind == "acknowledgement"
    return rows[0]


def rows_of(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.query(OutboxMessage).order_by(OutboxMessage.id))


def row(db: Database, outbox_id: int) -> OutboxMessage:
    with db.read() as session:
        found = session.get(OutboxMessage, outbox_id)
        assert found is not None
        return found


ALERT = Raw(source="generic", content_type="application/json", body=b'{"title": "Disk full on db1"}')


def add_channel(db: Database, kind: str, name: str, url: str, **options: object) -> str | None:
    """Store a channel; returns its signing secret (webhooks)."""
    with db.transaction() as session:
        return create_channel(session, kind=kind, name=name, url=url, **options, keys=KEYS)[1]  # type: ignore[arg-type]


def owe_to_channel(intake: Intake, db: Database, name: str, title: str = "Disk full on db1") -> OutboxMessage:
    """Open an incident from an alert and owe channel `name` its notice, as a rule naming the channel would."""
    outcome = intake.record(ALERT, InboundEvent(source="generic", title=title, severity="critical"))
    assert outcome.incident_id is not None
    facts = incident_facts(kind="opened", incident_id=outcome.incident_id, title=title, priority=1,
                           severity="critical", status="open", assignee="oncall@example.com", category="outage",
                           base_url="https://desk.example")  # fmt: skip
    with db.transaction() as session:
        owed, missing = channel_notices(session.connection(), [name], facts, desk_address="helpdesk@localhost")
        assert not missing
        owe(session.connection(), outcome.incident_id, owed)
    [found] = [r for r in rows_of(db) if r.incident_id == outcome.incident_id and r.recipient == name]
    return found


@dataclass(frozen=True)
class OnCall:
    """An app whose alerts (integration `prom`) are assigned to oncall@example.com, notified through a Redis
    server of the test's own, which it may stop and start."""

    redis: RedisServer
    settings: Settings
    client: FlaskClient
    secret: str

    def alert(self, n: int) -> int:
        """Post alert number `n` (its own dedup key, so its own incident and notice); the HTTP status."""
        body = json.dumps({"title": f"Disk full on db{n}", "dedup_key": f"disk-{n}"})
        return self.client.post("/api/v1/events/prom", data=body, content_type="application/json",
                                headers={"Authorization": f"Bearer {self.secret}"}).status_code  # fmt: skip


@pytest.fixture
def on_call(tmp_path: Path, settings: Settings, db: Database, smtp_sink: SmtpSink) -> Iterator[OnCall]:
    redis_server = RedisServer(tmp_path / "redis", port=free_port(), persist=False).start()
    wired = replace(settings, redis_url=redis_server.url, smtp_relay=smtp_sink.url, retry_first=0.1, retry_cap=0.5)
    runtime.install(wired, db)
    with db.transaction() as session:
        accounts.create_user(session, email="oncall@example.com", password="correct horse", role="agent")
        secret = accounts.create_integration(session, name="prom")[1]
    with db.transaction() as session:
        add_rule(session, RuleSpec(id=0, name="to on-call", field="source", op="exists",
                                   set_assignee="oncall@example.com"))  # fmt: skip
    try:
        yield OnCall(redis_server, wired, create_app(wired, db=db).test_client(), secret)
    finally:
        runtime.reset()
        redis_server.stop()
