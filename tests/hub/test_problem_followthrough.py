"""A problem's open incidents past the request's batch resolved in the background: a batch per transaction through
the same resolve, as the person who asked, until none is open; stopped by reopening the problem; continued after a
crash without resolving any twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select, update

from hub import problem_followthrough, problems, triage
from hub.db import Database
from hub.intake import Intake
from hub.models import Incident, Problem, TimelineEntry
from hub.problem_followthrough import Batch
from hub.problem_resolution import resolution_text
from tests.hub.test_problem_resolution import AGENT, LEAD, MAIL, investigated, request, resolution_mails, statuses


def marked_problem(db: Database, intake: Intake, count: int) -> tuple[int, tuple[int, ...]]:
    """A resolved problem with `count` open incidents, marked as the request past its batch marks it."""
    made = tuple(request(intake, f"user{n}@example.org") for n in range(count))
    number = investigated(db, made)
    problems.update_problem(db, number, LEAD, state="resolved")
    with db.transaction() as session:
        problem = session.get(Problem, number)
        assert problem is not None
        problem_followthrough.mark(problem, LEAD)
    return number, made


def mark_of(db: Database, number: int) -> tuple[str | None, bool]:
    with db.read() as session:
        problem = session.get(Problem, number)
        assert problem is not None
        return problem.resolving_by, problem.resolving_since is not None


def history_of(db: Database, number: int) -> list[str]:
    with db.read() as session:
        return [problems.what_happened(e.action, e.detail) for e in problems.history(session, f"PRB-{number}")]


def test_past_the_first_batch_the_rest_are_resolved_by_the_sweep_and_each_requester_told_once(
    database: Database, stored_intake: Intake
) -> None:
    made = tuple(request(stored_intake, f"user{n}@example.org") for n in range(250))
    number = investigated(database, made)

    updated = problems.update_problem(database, number, LEAD, state="resolved", resolve_incidents=MAIL)

    assert updated.resolved is not None and (len(updated.resolved.refs), updated.resolved.still_open) == (100, 150)
    assert updated.said().endswith("; the other 150 are being resolved in the background")
    assert statuses(database, *made) == ["resolved"] * 100 + ["open"] * 150
    assert mark_of(database, number) == (LEAD, True)

    assert problem_followthrough.sweep(database, MAIL) == 150

    assert statuses(database, *made) == ["resolved"] * 250
    assert mark_of(database, number) == (None, False)
    told = Counter(recipient for _, recipient in resolution_mails(database))
    assert told == {f"user{n}@example.org": 1 for n in range(250)}
    with database.read() as session:
        said = resolution_text(session.get_one(Problem, number))
        resolutions = set(session.scalars(select(Incident.resolution).where(Incident.id.in_(made))))
        bys = Counter(
            e.data["by"] for e in session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "resolved"))
        )
    assert resolutions == {said} and bys == {LEAD: 250}


def test_a_requester_of_several_incidents_is_sent_one_mail_a_batch(db: Database, intake: Intake) -> None:
    """Batches are transactions of their own, and nothing keeps what the last one mailed: one mail each."""
    made = tuple(request(intake, "ann@example.org", f"VPN drop {n}") for n in range(5))
    number = investigated(db, made)
    problems.update_problem(db, number, LEAD, state="resolved")
    with db.transaction() as session:
        problem_followthrough.mark(session.get_one(Problem, number), LEAD)
    assert problem_followthrough.sweep(db, MAIL, limit=3) == 5
    assert resolution_mails(db) == [(made[0], "ann@example.org"), (made[3], "ann@example.org")]


def test_each_background_batch_is_its_own_entry_in_the_problems_history(db: Database, intake: Intake) -> None:
    number, made = marked_problem(db, intake, 3)
    assert problem_followthrough.resolve_batch(db, number, MAIL, limit=2) == Batch(
        (f"INC-{made[0]}", f"INC-{made[1]}"), still_open=1, finished=False
    )
    assert problem_followthrough.resolve_batch(db, number, MAIL, limit=2) == Batch((f"INC-{made[2]}",), 0, True)
    assert history_of(db, number)[-2:] == [
        f"resolved 2 open incidents with it in the background (INC-{made[0]}, INC-{made[1]}), 1 still open",
        f"resolved 1 open incident with it in the background (INC-{made[2]}), none left open",
    ]
    assert problem_followthrough.resolve_batch(db, number, MAIL) is None  # the mark is gone: nothing more to do


def test_the_request_that_marks_the_problem_says_so_in_its_history(db: Database, intake: Intake) -> None:
    made = tuple(request(intake, f"user{n}@example.org") for n in range(101))
    number = investigated(db, made)
    problems.update_problem(db, number, LEAD, state="resolved", resolve_incidents=MAIL)
    assert history_of(db, number)[-1] == (
        f"resolved it, resolved 100 open incidents with it (INC-{made[0]}, INC-{made[1]}, INC-{made[2]}, "
        f"INC-{made[3]}, INC-{made[4]}, INC-{made[5]}, INC-{made[6]}, INC-{made[7]}, INC-{made[8]}, INC-{made[9]} "
        "and 90 more), the other 1 is being resolved in the background"
    )


def test_reopening_the_problem_stops_the_background_resolving_and_its_history_says_so(
    db: Database, intake: Intake
) -> None:
    number, made = marked_problem(db, intake, 5)
    problem_followthrough.resolve_batch(db, number, MAIL, limit=2)

    problems.update_problem(db, number, LEAD, state="investigating")

    assert mark_of(db, number) == (None, False)
    assert (
        history_of(db, number)[-1]
        == "set it investigating, stopped resolving its incidents in the background (3 still open)"
    )
    assert problem_followthrough.sweep(db, MAIL) == 0
    assert statuses(db, *made) == ["resolved"] * 2 + ["open"] * 3


def test_a_batch_that_finds_the_problem_no_longer_resolved_stops_and_says_why(db: Database, intake: Intake) -> None:
    """As when a problem was reopened by a process that does not know the mark (an older version mid-upgrade)."""
    number, made = marked_problem(db, intake, 2)
    with db.transaction() as session:
        session.execute(update(Problem).where(Problem.id == number).values(state="investigating"))
    assert problem_followthrough.resolve_batch(db, number, MAIL) == Batch((), still_open=2, finished=True)
    assert mark_of(db, number) == (None, False) and statuses(db, *made) == ["open", "open"]
    assert history_of(db, number)[-1] == (
        "stopped resolving its incidents in the background as it is investigating now (2 still open)"
    )


def test_closing_the_problem_meanwhile_lets_the_background_resolving_finish(db: Database, intake: Intake) -> None:
    number, made = marked_problem(db, intake, 3)
    problems.update_problem(db, number, LEAD, state="closed")
    assert problem_followthrough.sweep(db, MAIL, limit=2) == 3
    assert statuses(db, *made) == ["resolved"] * 3


def test_a_fresh_sweep_after_a_crash_between_batches_continues_without_resolving_any_twice(
    db: Database, intake: Intake
) -> None:
    number, made = marked_problem(db, intake, 5)
    problem_followthrough.resolve_batch(db, number, MAIL, limit=2)  # then the worker died: the mark stays
    assert mark_of(db, number) == (LEAD, True)

    assert problem_followthrough.sweep(db, MAIL, limit=2) == 3

    assert statuses(db, *made) == ["resolved"] * 5
    with db.read() as session:
        resolves = Counter(session.scalars(select(TimelineEntry.incident_id).where(TimelineEntry.kind == "resolved")))
    assert resolves == dict.fromkeys(made, 1)
    assert sorted(resolution_mails(db)) == sorted((i, f"user{n}@example.org") for n, i in enumerate(made))


def test_an_agent_resolving_one_meanwhile_leaves_it_to_them(db: Database, intake: Intake) -> None:
    number, made = marked_problem(db, intake, 3)
    triage.change_status(db, made[1], "resolve", AGENT, MAIL, resolution="Rebooted the router.")
    assert problem_followthrough.resolve_batch(db, number, MAIL) == Batch((f"INC-{made[0]}", f"INC-{made[2]}"), 0, True)
    with db.read() as session:
        assert session.get(Incident, made[1]).resolution == "Rebooted the router."  # type: ignore[union-attr]
