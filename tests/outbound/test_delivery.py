"""Delivery end to end: outbox row -> dispatcher -> RQ -> worker -> a real SMTP relay, and what the row records."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.config import Settings
from hub.db import Database
from hub.models import TimelineEntry, utcnow
from hub.outbox import body_of
from ingest.pipeline import make_intake
from outbound import runtime
from outbound.dispatcher import dispatch_once
from outbound.jobs import deliver
from tests.delivery import deliver_everything, work
from tests.outbound.conftest import Parts, owe_acknowledgement, row


def test_pending_acknowledgement_reaches_relay_with_threading_headers(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db, message_id="<question-1@example.com>")
    assert dispatch_once(parts.db, parts.queue) == 1
    work(parts.queue)
    [received] = parts.sink.handler.wait_for(1)
    msg = received.message
    assert received.mail_from == parts.settings.desk_address and received.rcpt_tos == ["ann@example.com"]
    assert msg["Message-ID"] == owed.message_id
    assert msg["In-Reply-To"] == "<question-1@example.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Switchboard-Delivery"] == owed.delivery_id
    assert msg["Subject"].startswith(f"[INC-{owed.incident_id}] ")
    assert msg["To"] == "ann@example.com" and msg["Date"] is not None
    assert f"INC-{owed.incident_id}" in msg.get_body(("plain",)).get_content()


def test_delivered_acknowledgement_is_multipart_alternative_with_the_same_headers(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db, title="Printer <b>on fire</b>", message_id="<q-2@example.com>")
    text, html = body_of(owed)  # the row keeps what its body is rendered from, when it is sent
    assert owed.template == "acknowledgement" and html is not None
    deliver_everything(parts.queue, parts.db)
    [received] = parts.sink.handler.wait_for(1)
    msg = received.message
    assert msg.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in msg.iter_parts()] == ["text/plain", "text/html"]
    # What the worker sends is the row's body, plus the requester's link it signs as it sends (hub/request_links.py).
    sent_text, tracked = re.subn(r"See where it stands at any time: \S+/requests/\S+\n", "",
                                 msg.get_body(("plain",)).get_content().replace("\r\n", "\n"))  # fmt: skip
    assert tracked == 1 and sent_text == text  # CRLF on the wire
    sent_html, tracked = re.subn(r'<p><a href="\S+/requests/[^"]+">See where it stands</a> at any time.</p>\n', "",
                                 msg.get_body(("html",)).get_content().replace("\r\n", "\n"))  # fmt: skip
    assert tracked == 1 and sent_html == html and "Printer &lt;b&gt;on fire&lt;/b&gt;" in sent_html
    assert (msg["Message-ID"], msg["X-Switchboard-Delivery"]) == (owed.message_id, owed.delivery_id)
    assert (msg["In-Reply-To"], msg["References"]) == ("<q-2@example.com>", "<q-2@example.com>")
    assert (msg["Auto-Submitted"], msg["X-Auto-Response-Suppress"]) == ("auto-replied", "All")
    assert msg["Subject"] == f"[INC-{owed.incident_id}] Printer <b>on fire</b>"


def test_delivered_row_is_marked_sent_with_timeline_entry(any_parts: Parts) -> None:
    parts = any_parts
    owed = owe_acknowledgement(parts.intake, parts.db)
    dispatch_once(parts.db, parts.queue)
    work(parts.queue)
    sent = row(parts.db, owed.id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert sent.sent_at is not None
    with parts.db.read() as session:
        summaries = session.scalars(
            select(TimelineEntry.summary).where(TimelineEntry.incident_id == owed.incident_id)
        ).all()
    assert "acknowledgement to ann@example.com sent" in summaries


def test_second_delivery_of_sent_row_sends_nothing(parts: Parts) -> None:
    owed = owe_acknowledgement(parts.intake, parts.db)
    assert deliver(owed.id) == "sent"
    assert deliver(owed.id) == "sent"
    parts.sink.handler.wait_for(1)
    assert len(parts.sink.handler.received) == 1
    assert row(parts.db, owed.id).attempts == 1


def test_relay_deferring_once_is_retried_then_delivered(parts: Parts) -> None:
    parts.sink.handler.replies = ["451 4.3.0 try later"]
    owed = owe_acknowledgement(parts.intake, parts.db)
    deliver_everything(parts.queue, parts.db)
    parts.sink.handler.wait_for(1)
    delivered = row(parts.db, owed.id)
    assert (delivered.status, delivered.attempts) == ("sent", 2)
    assert "451" in (delivered.last_error or "")  # the deferral is kept on record


def test_relay_refusing_marks_row_dead_with_error(parts: Parts) -> None:
    parts.sink.handler.replies = ["550 5.1.1 no such user"]
    owed = owe_acknowledgement(parts.intake, parts.db)
    deliver_everything(parts.queue, parts.db)
    dead = row(parts.db, owed.id)
    assert (dead.status, dead.attempts) == ("dead", 1)  # not retried: retrying cannot help
    assert "550 5.1.1 no such user" in (dead.last_error or "")
    assert parts.sink.handler.received == []


def test_row_still_failing_at_its_give_up_time_is_dead_with_last_error(parts: Parts) -> None:
    runtime.install(replace(parts.settings, retry_first=1.0, retry_cap=1.0, retry_give_up=0.0), parts.db)
    parts.sink.handler.replies = ["452 4.3.1 still busy"]
    owed = owe_acknowledgement(parts.intake, parts.db)
    deliver_everything(parts.queue, parts.db)
    dead = row(parts.db, owed.id)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "gave up after 1 attempt(s)" in (dead.last_error or "") and "452 4.3.1 still busy" in (dead.last_error or "")


def test_unreachable_relay_is_recorded_and_scheduled_within_the_first_retry_delay(
    parts: Parts, closed_port: int
) -> None:
    relay_down = replace(parts.settings, smtp_relay=f"smtp://127.0.0.1:{closed_port}", retry_first=10.0, retry_cap=60.0)
    runtime.install(relay_down, parts.db)
    owed = owe_acknowledgement(parts.intake, parts.db)
    before = utcnow()
    assert deliver(owed.id) == "pending"
    pending = row(parts.db, owed.id)
    assert pending.attempts == 1 and "relay unavailable" in (pending.last_error or "")
    assert "check that the relay SWITCHBOARD_SMTP_RELAY names is running" in (pending.last_error or "")
    assert pending.next_attempt_at is not None
    assert before + timedelta(seconds=5) <= pending.next_attempt_at <= utcnow() + timedelta(seconds=10)
    assert pending.give_up_at is not None and pending.give_up_at > utcnow() + timedelta(hours=23)


def test_rows_of_one_job_are_delivered_together_and_recorded_one_by_one(parts: Parts) -> None:
    parts.sink.handler.replies = ["550 5.1.1 no such user"]  # whichever row the relay sees first is refused
    owed = [owe_acknowledgement(parts.intake, parts.db, message_id=f"<m{i}@y>") for i in range(4)]
    assert dispatch_once(parts.db, parts.queue) == 4 and len(parts.queue.job_ids) == 1
    work(parts.queue)
    statuses = sorted(row(parts.db, o.id).status for o in owed)
    assert statuses == ["dead", "sent", "sent", "sent"]
    assert len(parts.sink.handler.received) == 3


def test_console_backend_logs_message_and_marks_row_sent(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.smtp_relay is None
    runtime.install(settings, db)
    try:
        owed = owe_acknowledgement(make_intake(settings, db), db)
        with caplog.at_level(logging.INFO, logger="switchboard.outbound"):
            assert deliver(owed.id) == "sent"
    finally:
        runtime.reset()
    assert row(db, owed.id).status == "sent"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "switchboard.outbound")
    assert "To: ann@example.com" in logged and f"[INC-{owed.incident_id}]" in logged
