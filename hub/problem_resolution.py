"""Resolving the incidents a problem explains along with the problem: ITIL's last step once the root cause is fixed.

Each open incident linked to the problem (not merged, not resolved or closed already) is resolved as an agent's
resolve does it, through the same code (`hub.triage.status_change`: status, resolution, SLA clocks, timeline entry
naming the actor, the requester's resolution mail and the followers' notices through the outbox; a requester of
several of them is sent one mail, hub/problem_mail.py), inside the
transaction that resolves the problem, so it is all or nothing. The resolution names the problem and its root
cause, which is what the requester wants to hear: the underlying cause is fixed.

A resolve costs a few dozen statements, so one request resolves at most BATCH incidents, the oldest first; the
workers resolve the rest in the background, a batch per transaction (hub/problem_followthrough.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hub.agent_action import MAX_TEXT, Actor, Mail
from hub.domain import format_ref
from hub.models import Incident, Problem
from hub.notices import Notice
from hub.problem_mail import owe_together
from hub.problem_states import BATCH
from hub.triage import TRANSITIONS, status_change

#: The statuses a resolve starts from: what "open" means here (waiting on the requester included).
RESOLVABLE = tuple(sorted(TRANSITIONS["resolve"][0]))
#: References a sentence lists before it says "and N more".
LISTED = 10


@dataclass(frozen=True)
class Resolved:
    """The incidents resolved with a problem, and how many of its incidents are still open after them."""

    refs: tuple[str, ...]
    still_open: int


def open_count(session: Session, problem_id: int) -> int:
    """How many of the problem's incidents resolving it would resolve: what its page offers."""
    return open_counts(session, [problem_id]).get(problem_id, 0)


def open_counts(session: Session, problem_ids: list[int]) -> dict[int, int]:
    """`open_count` of several problems in one query (those with none open are left out)."""
    if not problem_ids:
        return {}
    rows = session.execute(select(Incident.problem_id, func.count()).where(*_open_of(problem_ids))
                           .group_by(Incident.problem_id))  # fmt: skip
    return {int(problem_id): int(count) for problem_id, count in rows if problem_id is not None}


def resolution_text(problem: Problem) -> str:
    """What each incident's resolution says: the problem fixed, and its root cause when it is written down."""
    text = f"The underlying problem, {problem.ref} ({problem.title}), is resolved."
    if problem.root_cause.strip():
        text += f"\n\nRoot cause: {problem.root_cause.strip()}"
    return text[:MAX_TEXT]


def resolve_open(session: Session, problem: Problem, actor: Actor, mail: Mail, *, limit: int = BATCH) -> Resolved:
    """Resolve the problem's oldest `limit` open incidents in the caller's transaction, each as an agent would.

    They are locked first, in id order, and only those still open once locked are taken: on PostgreSQL an agent
    resolving one meanwhile is waited for and that incident left alone, rather than failing the whole change."""
    ids = session.scalars(
        select(Incident.id).where(*_open_of([problem.id])).order_by(Incident.id).limit(limit).with_for_update()
    ).all()
    resolution = resolution_text(problem)
    held: list[Notice] = []  # the requesters' mails, one a requester once all are resolved (hub/problem_mail.py)
    for incident_id in ids:
        status_change(session, incident_id, "resolve", actor, mail, resolution=resolution, held=held)
    owe_together(session.connection(), held, problem=problem.ref, problem_title=problem.title)
    session.flush()
    return Resolved(tuple(format_ref(i) for i in ids), open_count(session, problem.id))


def listed(refs: tuple[str, ...] | list[str]) -> str:
    """`INC-7, INC-9, INC-12`; past LISTED references, the first ones and `and 190 more`."""
    shown = ", ".join(refs[:LISTED])
    return shown + (f" and {len(refs) - LISTED:,} more" if len(refs) > LISTED else "")


def said(ref: str, state: str, resolved: Resolved) -> str:
    """The answer to resolving a problem with its incidents, for the page, the API and the command line:
    `PRB-4 resolved; 3 open incidents resolved with it (INC-7, INC-9, INC-12)`."""
    head = f"{ref} {state.replace('_', ' ')}"
    count = len(resolved.refs)
    if not count:
        text = f"{head}; none of its incidents was open"
    else:
        text = f"{head}; {_incidents(count)} resolved with it ({listed(resolved.refs)})"
    if resolved.still_open:
        text += f"; {in_background(resolved.still_open)}"
    return text


def in_background(still_open: int) -> str:
    """`the other 1,900 are being resolved in the background`: what becomes of those past the request's batch."""
    return f"the other {still_open:,} {'is' if still_open == 1 else 'are'} being resolved in the background"


def _incidents(count: int) -> str:
    return f"{count:,} open incident{'s' if count != 1 else ''}"


def _open_of(problem_ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    return Incident.problem_id.in_(problem_ids), Incident.merged_into_id.is_(None), Incident.status.in_(RESOLVABLE)
