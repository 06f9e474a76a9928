"""Problem management at a glance, for the dashboard: how many active problems are in each state, the oldest one
no one owns, and the known errors whose workaround the desk gives requesters. Three small reads, each through the
index on (state, owner), so a desk with thousands of problems filed over the years pays for the few it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.models import Problem
from hub.problem_states import ACTIVE

#: Shared known errors listed by name; the rest are behind the link to the known errors.
SHOWN = 5


@dataclass(frozen=True)
class Listed:
    """One problem as the dashboard names it."""

    ref: str
    title: str
    created_at: datetime


@dataclass(frozen=True)
class ProblemOverview:
    active: dict[str, int]  # state -> active problems in it, every active state present
    oldest_unowned: Listed | None
    shared_known_errors: list[Listed]  # newest first, at most SHOWN

    @property
    def total(self) -> int:
        return sum(self.active.values())


def active_by_state() -> Select[str, int]:
    """How many problems are in each active state (the index alone answers it)."""
    return select(Problem.state, func.count()).where(Problem.state.in_(ACTIVE)).group_by(Problem.state)


def oldest_unowned() -> Select[int, str, datetime]:
    """The active problem filed first that no one owns: the one most likely forgotten."""
    return (
        select(Problem.id, Problem.title, Problem.created_at)
        .where(Problem.state.in_(ACTIVE), Problem.owner.is_(None))
        .order_by(Problem.id)
        .limit(1)
    )


def shared_known_errors(limit: int = SHOWN) -> Select[int, str, datetime]:
    """The newest known errors whose workaround goes out in requesters' acknowledgements: what the desk tells
    people who call about them."""
    return (
        select(Problem.id, Problem.title, Problem.created_at)
        .where(Problem.state == "known_error", Problem.share_workaround.is_(True))
        .order_by(Problem.id.desc())
        .limit(limit)
    )


def read(session: Session) -> ProblemOverview:
    counts = dict.fromkeys(ACTIVE, 0) | {state: int(n) for state, n in session.execute(active_by_state())}
    first = session.execute(oldest_unowned()).first()
    return ProblemOverview(
        active=counts,
        oldest_unowned=_listed(*first) if first is not None else None,
        shared_known_errors=[_listed(*row) for row in session.execute(shared_known_errors())],
    )


def _listed(problem_id: int, title: str, created_at: datetime) -> Listed:
    return Listed(f"PRB-{problem_id}", title, created_at)
