"""Resolving the rest of a problem's open incidents in the background, a batch per transaction, until none is open.

Resolving a problem with its incidents resolves the oldest BATCH of them in the request, all or nothing with the
problem (hub/problem_resolution.py). When more are open, the problem is marked: who asked (`resolving_by`) and when
(`resolving_since`). The workers then take the rest a batch at a time (outbound/problem_incidents.py hands them one
job per batch), each batch its own transaction through the same `resolve_open`, named as the person who asked, so
the incidents, timelines and mails are those of the first batch. The mark makes it crash-safe: a worker killed
mid-batch loses only that batch's transaction, the mark stays, and the next batch handed continues; `resolve_open`
takes only incidents still open, locked, so none is resolved twice.

Reopening the problem (back to investigating) stops it: its cause is not fixed after all. Closing it does not:
closing confirms the fix, and a closed problem's incidents could not be resolved with it any other way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.agent_action import Actor, Mail
from hub.db import Database
from hub.models import Problem, utcnow
from hub.problem_resolution import open_count, resolve_open
from hub.problem_states import BATCH

#: The states in which a problem's incidents go on being resolved in the background.
FOLLOWED = ("resolved", "closed")
#: The audit action of each background batch, and of the sweep finding the problem reopened.
ACTION = "problem.resolving"


@dataclass(frozen=True)
class Batch:
    """One background batch: the incidents it resolved, how many are still open after it, and whether that was the
    end (none left open, or the problem no longer resolved, and the mark cleared)."""

    refs: tuple[str, ...]
    still_open: int
    finished: bool


def marked(session: Session) -> list[int]:
    """The problems whose incidents are being resolved, the longest waiting first (through the index on the mark,
    so asking every dispatcher round costs next to nothing)."""
    query = select(Problem.id).where(Problem.resolving_since.is_not(None))
    return list(session.scalars(query.order_by(Problem.resolving_since, Problem.id)))


def mark(problem: Problem, actor: str) -> None:
    """Record, in the caller's transaction, that `actor` asked for the problem's open incidents to be resolved."""
    problem.resolving_by, problem.resolving_since = actor, utcnow()


def unmark(problem: Problem) -> None:
    problem.resolving_by = problem.resolving_since = None


def resolve_batch(db: Database, problem_id: int, mail: Mail, *, limit: int = BATCH) -> Batch | None:
    """Resolve the next `limit` open incidents of a marked problem in a transaction of its own, and record it in the
    problem's history; None when the problem is not marked (any more). The problem's row is locked first, so a
    person reopening it meanwhile waits for the batch, or the batch for them and then stops."""
    with db.transaction() as session:
        problem = session.get(Problem, problem_id, with_for_update=True)
        if problem is None or problem.resolving_since is None:
            return None
        actor = problem.resolving_by or "cli"
        if problem.state not in FOLLOWED:
            still_open = open_count(session, problem.id)
            unmark(problem)
            audit.record(session, actor, ACTION, problem.ref, stopped=still_open, now=problem.state)
            return Batch((), still_open, finished=True)
        resolved = resolve_open(session, problem, Actor(actor), mail, limit=limit)
        if not resolved.still_open:
            unmark(problem)
        audit.record(session, actor, ACTION, problem.ref, incidents_resolved=list(resolved.refs),
                     still_open=resolved.still_open)  # fmt: skip
        return Batch(resolved.refs, resolved.still_open, finished=not resolved.still_open)


def sweep(db: Database, mail: Mail, *, limit: int = BATCH) -> int:
    """Every marked problem's incidents, batch after batch until none is open; returns how many were resolved.

    The workers do the same a job per batch; this is their work in one call, which continues wherever the marks
    say (after a crash, say)."""
    with db.read() as session:
        problem_ids = marked(session)
    resolved = 0
    for problem_id in problem_ids:
        while (batch := resolve_batch(db, problem_id, mail, limit=limit)) is not None:
            resolved += len(batch.refs)
            if batch.finished or not batch.refs:
                break
    return resolved
