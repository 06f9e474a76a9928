"""Which problem a change is meant to fix, and what a problem's page says of the changes that fix it.

Problem management finds a cause; change enablement removes it. A change names at most one problem (the one it
fixes, typed as the incident page's link is: a reference or an open problem's title, `hub.problem_links.chosen`),
and only a problem still being worked takes one. Linking is audited on both, so the change's history and the
problem's say it. A change carried out well is news to the problem's manager, not a decision: the page offers
"Resolve the problem" and nothing resolves it on its own, since a fix can be deployed and still not cure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.agent_action import NoSuchPart, TriageError
from hub.models import AuditEntry, Change, Problem
from hub.problem_links import chosen
from hub.problems import ACTIVE


@dataclass(frozen=True)
class Fix:
    """A change meant to fix a problem, as the problem's page lists it."""

    ref: str
    title: str
    state: str
    planned_start: datetime | None
    implemented_at: datetime | None
    #: Carried out with the outcome `implemented` (whatever review or close came after).
    succeeded: bool


def set_problem(session: Session, change: Change, typed: str | None, actor: str) -> str | None:
    """Make `change` fix the problem typed (a reference like PRB-3, or an open problem's title), or fix none when
    `typed` is empty, in the caller's transaction; the problem's reference now, or None. Audited on the change
    (`change.problem`) and on each problem it joins or leaves (`problem.link`, `problem.unlink` with `change=`)."""
    before = f"PRB-{change.problem_id}" if change.problem_id is not None else None
    problem = None
    if (typed or "").strip():
        problem = session.get(Problem, chosen(session, typed or ""))
        if problem is None:
            raise NoSuchPart(f"there is no problem {(typed or '').strip()[:20]}; `switchboard problem list` shows them")
        if problem.state not in ACTIVE and problem.id != change.problem_id:
            raise TriageError(f"{problem.ref} is {problem.state.replace('_', ' ')}: a change can fix an open "
                              "problem; set this one back to investigating first")  # fmt: skip
    after = problem.ref if problem is not None else None
    if after == before:
        return after
    change.problem_id = problem.id if problem is not None else None
    audit.record(session, actor, "change.problem", change.ref, **{"from": before, "to": after})
    if before is not None:
        audit.record(session, actor, "problem.unlink", before, change=change.ref)
    if after is not None:
        audit.record(session, actor, "problem.link", after, change=change.ref)
    return after


def fixes(session: Session, problem_id: int) -> list[Fix]:
    """The changes meant to fix the problem, planned or carried out first first (two queries: the changes, then
    the outcome their `finish` gave, which a later review or close no longer shows in their state)."""
    rows = session.execute(
        select(Change.id, Change.title, Change.state, Change.planned_start, Change.implemented_at)
        .where(Change.problem_id == problem_id)
        .order_by(Change.id)
    ).all()
    outcomes = _outcomes(session, [f"CHG-{row.id}" for row in rows if row.state in ("reviewed", "closed")])
    return [
        Fix(f"CHG-{r.id}", r.title, r.state, r.planned_start, r.implemented_at,
            succeeded=r.state == "implemented" or outcomes.get(f"CHG-{r.id}") == "implemented")
        for r in rows
    ]  # fmt: skip


def fixed_by(found: list[Fix]) -> Fix | None:
    """The change that carried out a fix most recently, if any did: what the problem's page tells its manager."""
    done = [fix for fix in found if fix.succeeded and fix.implemented_at is not None]
    return max(done, key=lambda fix: fix.implemented_at or datetime.min) if done else None


def _outcomes(session: Session, refs: list[str]) -> dict[str, str]:
    if not refs:
        return {}
    rows = session.execute(
        select(AuditEntry.target, AuditEntry.detail)
        .where(AuditEntry.action == "change.finish", AuditEntry.target.in_(refs))
        .order_by(AuditEntry.id)
    )
    return {target: str((detail or {}).get("to")) for target, detail in rows}
