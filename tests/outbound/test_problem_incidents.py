"""A problem's incidents past the request's batch resolved by the workers, with a real Redis and worker: the
dispatcher hands one batch at a time per problem until none is open, never two at once, stops handing when the
problem is reopened, and hands again a batch lost with its worker."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from rq.job import Job, JobStatus
from sqlalchemy import select

from hub import problem_followthrough, problems
from hub.agent_action import Mail
from hub.models import OutboxMessage, Problem, utcnow
from outbound import problem_incidents
from tests.delivery import work
from tests.hub.test_problem_resolution import LEAD, investigated, request, statuses
from tests.outbound.conftest import Parts


def resolving(parts: Parts, count: int) -> tuple[int, tuple[int, ...]]:
    """A problem resolved with its `count` open incidents, as a person asks on its page."""
    made = tuple(request(parts.intake, f"user{n}@example.org") for n in range(count))
    number = investigated(parts.db, made)
    problems.update_problem(parts.db, number, LEAD, state="resolved", resolve_incidents=Mail.of(parts.settings))
    return number, made


def still_marked(parts: Parts, number: int) -> bool:
    with parts.db.read() as session:
        return session.get_one(Problem, number).resolving_since is not None


def test_the_workers_resolve_the_rest_a_batch_per_job_and_each_requester_is_told_once(parts: Parts) -> None:
    number, made = resolving(parts, 250)
    assert statuses(parts.db, *made).count("resolved") == 100

    handed = 0
    while still_marked(parts, number):
        handed += problem_incidents.schedule(parts.db, parts.queue)
        work(parts.queue)

    assert handed == 2  # 100 and 50
    assert statuses(parts.db, *made) == ["resolved"] * 250
    with parts.db.read() as session:
        told = Counter(session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "resolved")))
    assert told == {f"user{n}@example.org": 1 for n in range(250)}
    assert problem_incidents.schedule(parts.db, parts.queue) == 0


def test_a_problem_whose_batch_waits_for_a_worker_is_not_handed_another(parts: Parts) -> None:
    resolving(parts, 101)
    assert problem_incidents.schedule(parts.db, parts.queue) == 1
    assert problem_incidents.schedule(parts.db, parts.queue) == 0
    assert len(parts.queue) == 1


def test_a_reopened_problem_is_handed_no_more_batches(parts: Parts) -> None:
    number, made = resolving(parts, 101)
    problems.update_problem(parts.db, number, LEAD, state="investigating")
    assert problem_incidents.schedule(parts.db, parts.queue) == 0
    assert statuses(parts.db, *made).count("open") == 1


def test_a_batch_lost_with_its_worker_is_handed_again_and_resolves_the_rest(parts: Parts) -> None:
    number, made = resolving(parts, 101)
    problem_incidents.schedule(parts.db, parts.queue)
    job = Job.fetch(problem_incidents.job_id(number), connection=parts.queue.connection)
    parts.queue.remove(job)  # a worker took it and was killed: started in Redis, never ended
    job.set_status(JobStatus.STARTED)
    parts.queue.connection.hset(job.key, "started_at", datetime.now(UTC).isoformat().replace("+00:00", "Z"))

    assert problem_incidents.schedule(parts.db, parts.queue) == 0  # not yet: it may only be slow
    later = utcnow() + timedelta(seconds=problem_incidents.STUCK_AFTER + 1)
    assert problem_incidents.schedule(parts.db, parts.queue, now=later) == 1
    work(parts.queue)

    assert statuses(parts.db, *made) == ["resolved"] * 101 and not still_marked(parts, number)
    assert problem_followthrough.sweep(parts.db, Mail.of(parts.settings)) == 0
