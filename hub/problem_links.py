"""Linking an incident to a problem that already exists, by hand, and taking the link back.

Problems gather incidents when they are filed from a recurrence suggestion, and later incidents of the same
recurrence join on their own (hub/problems.py); an agent who recognises the cause in an incident that looks
different needs to say so. Who may do it is who may file problems (agents and admins). An incident is part of one
problem at most, so linking it elsewhere moves it; only problems still being worked (new, investigating, known
error) take incidents. Each change is one transaction with its timeline entry and audit record.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import audit, revisions
from hub.agent_action import Actor, NoSuchPart, TriageError, locked
from hub.db import Database
from hub.lookback_cache import SUGGESTIONS_REVISION
from hub.models import Problem, TimelineEntry
from hub.numbers import reference
from hub.problems import ACTIVE, no_problem

#: How many open problems the incident page offers to choose from (the newest; the rest are typed).
OFFERED = 200


def link(db: Database, incident_id: int, problem_id: int, actor: Actor) -> bool:
    """Make INC-`incident_id` part of PRB-`problem_id`; False when it already was."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        problem = session.get(Problem, problem_id)
        if problem is None:
            raise NoSuchPart(no_problem(f"PRB-{problem_id}"))
        if problem.state not in ACTIVE:
            raise TriageError(f"{problem.ref} is {problem.state.replace('_', ' ')}: link the incident to an open "
                              "problem, or set this one back to investigating first")  # fmt: skip
        if incident.problem_id == problem.id:
            return False
        before = f"PRB-{incident.problem_id}" if incident.problem_id else None
        incident.problem_id = problem.id
        revisions.bump(session, SUGGESTIONS_REVISION)
        summary = f"Linked to {problem.ref}: {problem.title} (by {actor.name})" + (
            f", moved from {before}" if before else ""
        )
        session.add(
            TimelineEntry(incident_id=incident.id, kind="problem", summary=summary, data={"problem": problem.ref})
        )
        audit.record(session, actor.name, "problem.link", problem.ref, incident=incident.ref, before=before)
        return True


def unlink(db: Database, incident_id: int, actor: Actor) -> str | None:
    """Take INC-`incident_id` out of its problem; the problem's reference, or None when it was part of none."""
    with db.transaction() as session:
        incident = locked(session, incident_id)
        if incident.problem_id is None:
            return None
        ref = f"PRB-{incident.problem_id}"
        incident.problem_id = None
        revisions.bump(session, SUGGESTIONS_REVISION)
        session.add(TimelineEntry(incident_id=incident.id, kind="problem", data={"problem": ref, "unlinked": True},
                                  summary=f"Unlinked from {ref} by {actor.name}"))  # fmt: skip
        audit.record(session, actor.name, "problem.unlink", ref, incident=incident.ref)
        return ref


def open_problems(session: Session, limit: int = OFFERED) -> list[tuple[str, str]]:
    """(reference, title) of the newest problems that take incidents, for the incident page to offer."""
    rows = session.execute(
        select(Problem.id, Problem.title).where(Problem.state.in_(ACTIVE)).order_by(Problem.id.desc()).limit(limit)
    )
    return [(f"PRB-{number}", title) for number, title in rows]


def chosen(session: Session, typed: str) -> int:
    """The problem someone typed or picked: its reference (`PRB-3`, or `PRB-3: its title` as the page offers it),
    else the title of an open problem, whole; NoSuchPart saying what to type otherwise."""
    head = typed.strip().split(":", 1)[0]
    number = reference("PRB", head)
    if number is not None:
        return number
    title = typed.strip().lower()
    found = session.scalars(
        select(Problem.id).where(func.lower(Problem.title) == title, Problem.state.in_(ACTIVE)).limit(2)
    ).all()
    if len(found) == 1:
        return found[0]
    if not title:
        raise NoSuchPart("choose a problem: type its reference, like PRB-3, or its title")
    which = "several open problems have" if found else "no open problem has"
    raise NoSuchPart(f"{which} the title {typed.strip()[:100]!r}; type the problem's reference, like PRB-3")
