"""Escalation steps on RQ's own scheduler, with a real Redis, worker and SMTP sink: fired when due, survive a
restart of every process, waited out while Redis is down, and found again if Redis loses them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from hub import escalation, rulebook, triage
from hub.accounts import create_user
from hub.agent_action import Actor, Mail
from hub.domain import InboundEvent
from hub.models import Escalation, Incident, utcnow
from outbound import escalations
from outbound.errors import QueueUnavailable
from outbound.queue import connect, make_queue
from rules import rules_file
from tests.delivery import deliver_everything
from tests.outbound.conftest import ALERT, Parts
from tests.servers import wait_until
from tests.web.helpers import csrf_token
from web import create_app


def escalating(parts: Parts, first_after: timedelta = timedelta(minutes=5)) -> int:
    """An incident whose rule starts a one-step policy telling oncall@example.com."""
    with parts.db.transaction() as session:
        create_user(session, email="oncall@example.com", password="long enough", role="agent")
        escalation.create_policy(session, "page", [escalation.Step(first_after, ("oncall@example.com",))])
        parsed = rules_file.parse_file("rules:\n- name: page\n  when: {field: severity, op: equals, value: critical}\n"
                                       "  set: {escalation: page}\n")  # fmt: skip
        rulebook.replace_all(session, parsed.rules, parsed.settings)
    outcome = parts.intake.record(ALERT, InboundEvent(source="generic", title="DB down", severity="critical"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def step(parts: Parts) -> Escalation:
    with parts.db.read() as session:
        found = session.scalars(select(Escalation).order_by(Escalation.id)).first()
        assert found is not None
        return found


def make_due(parts: Parts, ago: timedelta = timedelta(seconds=1)) -> None:
    with parts.db.transaction() as session:
        session.execute(update(Escalation).values(due_at=utcnow() - ago))


def run_scheduler_and_jobs(parts: Parts) -> None:
    """A burst worker with RQ's scheduler: moves due scheduled jobs onto the queue, runs them, returns."""
    SimpleWorker([parts.queue], connection=parts.queue.connection).work(burst=True, with_scheduler=True)


def test_a_step_is_handed_to_rqs_scheduler_for_its_due_time(parts: Parts) -> None:
    escalating(parts)
    assert escalations.schedule(parts.db, parts.queue) == 1
    owed = step(parts)
    assert owed.status == "queued"
    assert owed.job_id in ScheduledJobRegistry(queue=parts.queue).get_job_ids()


def test_a_due_step_is_fired_by_a_worker_and_its_mail_delivered(parts: Parts) -> None:
    escalating(parts)
    make_due(parts)
    escalations.schedule(parts.db, parts.queue)
    run_scheduler_and_jobs(parts)
    assert step(parts).status == "done"
    deliver_everything(parts.queue, parts.db)
    [mail] = [r for r in parts.sink.handler.wait_for(1) if r.rcpt_tos == ["oncall@example.com"]]
    assert "unacknowledged" in mail.message["Subject"]


def test_a_scheduled_step_survives_a_restart_of_every_process(parts: Parts) -> None:
    escalating(parts, first_after=timedelta(seconds=2))
    escalations.schedule(parts.db, parts.queue)
    parts.queue.connection.close()  # every process gone; only Redis (and the database) remember
    fresh = make_queue(connect(parts.settings.redis_url or ""))
    waiting = ScheduledJobRegistry(queue=fresh)  # RQ counts whole seconds: due there, and due in the database
    wait_until(lambda: waiting.get_jobs_to_schedule() and utcnow() >= step(parts).due_at, timeout=10,
               message="the step to fall due")  # fmt: skip
    SimpleWorker([fresh], connection=fresh.connection).work(burst=True, with_scheduler=True)
    assert step(parts).status == "done"


def test_while_redis_is_down_the_step_waits_in_the_database(parts: Parts) -> None:
    escalating(parts)
    dead = make_queue(connect("redis://127.0.0.1:1/0"))
    with pytest.raises(QueueUnavailable):
        escalations.schedule(parts.db, dead)
    assert step(parts).status == "scheduled"
    assert escalations.schedule(parts.db, parts.queue) == 1


def test_a_step_redis_lost_is_scheduled_again_and_fires_once(parts: Parts) -> None:
    escalating(parts)
    escalations.schedule(parts.db, parts.queue)
    parts.queue.connection.flushall()  # Redis lost everything
    make_due(parts, ago=escalations.LOST_AFTER + timedelta(seconds=5))
    assert escalations.schedule(parts.db, parts.queue) == 1
    run_scheduler_and_jobs(parts)
    assert step(parts).status == "done"


def test_acknowledged_before_it_is_due_nobody_is_told(parts: Parts) -> None:
    incident_id = escalating(parts)
    escalations.schedule(parts.db, parts.queue)
    triage.change_status(parts.db, incident_id, "acknowledge", Actor("a@example.com"),
                         Mail("desk@example.com", "http://x"))  # fmt: skip
    make_due(parts)
    run_scheduler_and_jobs(parts)
    deliver_everything(parts.queue, parts.db)
    assert all(r.rcpt_tos != ["oncall@example.com"] for r in parts.sink.handler.received)


def test_the_delivered_escalation_mail_acknowledges_from_its_link_without_a_login(parts: Parts) -> None:
    incident_id = escalating(parts)
    make_due(parts)
    escalations.schedule(parts.db, parts.queue)
    run_scheduler_and_jobs(parts)
    deliver_everything(parts.queue, parts.db)
    [mail] = [r.message for r in parts.sink.handler.wait_for(1) if r.rcpt_tos == ["oncall@example.com"]]
    text = mail.get_body(("plain",)).get_content()
    [url] = re.findall(rf"Acknowledge it without logging in: {re.escape(parts.settings.base_url)}(/ack/\S+)", text)
    client = create_app(parts.settings, db=parts.db).test_client()
    page = client.get(url).get_data(as_text=True)
    pressed = client.post(url, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert pressed.status_code == 200 and "Acknowledged as oncall@example.com" in pressed.get_data(as_text=True)
    with parts.db.read() as session:
        assert session.get_one(Incident, incident_id).status == "acknowledged"
