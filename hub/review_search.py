"""Post-incident reviews owed and written, filtered and a page at a time: what `GET /api/v1/reviews` and
`switchboard review list` read (the /reviews page shows hub/reviews.py's `owed` and `listing`).

A row is a major incident whose review is written (a draft or published) or owed and not started: resolved, its
declaration standing, not merged (a duplicate's review is its survivor's), as `reviews.owed` says. One is overdue
while its review is owed and unpublished `due` after its resolution. The rows are found from the few incidents that
have a review or a standing declaration, never from the incidents' status index, which holds every resolved
incident (major_incidents.standing_rows says why); the newest incident first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.orm import Session

from hub import major_incidents
from hub.models import Incident, IncidentReview, MajorIncident, Problem, ReviewAction
from hub.reviews import DONE

#: A review's states as listed: "not_started" is owed with no draft yet.
STATES = ("not_started", "draft", "published")


@dataclass(frozen=True)
class Listed:
    """A major incident's review as the list gives it: its state, when it is due and how its follow-ups stand."""

    ref: str
    title: str
    status: str  # the incident's
    coordinator: str  # its latest declaration's
    resolved_at: datetime | None
    state: str  # one of STATES
    due_at: datetime | None  # while owed
    overdue: bool
    started_by: str | None
    started_at: datetime | None
    published_by: str | None
    published_at: datetime | None
    actions: int
    unfiled: int  # not yet filed as problems
    open: int  # filed, and their problems not yet resolved or closed


@dataclass(frozen=True)
class Found:
    reviews: list[Listed]
    total: int  # how many match in all, over every page


_STANDING = select(MajorIncident.incident_id).where(MajorIncident.ended_at.is_(None))
#: Owed: resolved, its declaration standing, not merged, and its review not published.
_OWED = and_(
    Incident.id.in_(_STANDING),
    Incident.status.in_(major_incidents.RESOLVED),
    Incident.merged_into_id.is_(None),
    or_(IncidentReview.id.is_(None), IncidentReview.state != "published"),
)
_COORDINATOR = (
    select(MajorIncident.coordinator)
    .where(MajorIncident.incident_id == Incident.id)
    .order_by(MajorIncident.id.desc())
    .limit(1)
    .correlate(Incident)
    .scalar_subquery()
    .label("coordinator")
)


def search(
    session: Session,
    now: datetime,
    due: timedelta,
    *,
    states: Sequence[str] = (),
    overdue: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> Found:
    """The reviews in `states` (every one when none is given), only the overdue ones if asked, newest incident first:
    `limit` of them from `offset`, and how many match in all. Three queries: the count, the page, its actions."""
    candidates = union(select(IncidentReview.incident_id), _STANDING).subquery()
    conditions: list[ColumnElement[bool]] = [or_(IncidentReview.id.is_not(None), _OWED)]
    if states:
        conditions.append(or_(*(_state_condition(state) for state in states)))
    if overdue:
        conditions.append(and_(_OWED, Incident.resolved_at <= now - due))
    base = (
        select(Incident.id)
        .select_from(candidates)
        .join(Incident, Incident.id == candidates.c[0])
        .outerjoin(IncidentReview, IncidentReview.incident_id == Incident.id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    query = (
        base.add_columns(Incident.title, Incident.status, Incident.resolved_at, _COORDINATOR,
                         IncidentReview.id.label("review_id"), IncidentReview.state, IncidentReview.started_by,
                         IncidentReview.started_at, IncidentReview.published_by, IncidentReview.published_at,
                         _OWED.label("owed"))
        .order_by(Incident.id.desc())
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    rows = session.execute(query).all()
    actions = _actions(session, [row.review_id for row in rows if row.review_id is not None])
    found = []
    for row in rows:
        (number, title, status, resolved_at, coordinator, review_id, state, started_by, started_at, published_by,
         published_at, owed) = row  # fmt: skip
        due_at = resolved_at + due if owed and resolved_at is not None else None
        done = actions.get(review_id, [])
        filed = [problem_state for problem_state in done if problem_state is not None]
        found.append(Listed(f"INC-{number}", title, status, coordinator, resolved_at, state or "not_started", due_at,
                            due_at is not None and due_at <= now, started_by, started_at, published_by, published_at,
                            len(done), len(done) - len(filed),
                            sum(1 for s in filed if s not in DONE)))  # fmt: skip
    return Found(found, int(total))


def _state_condition(state: str) -> ColumnElement[bool]:
    if state == "not_started":
        return IncidentReview.id.is_(None)
    return IncidentReview.state == state


def _actions(session: Session, review_ids: list[int]) -> dict[int, list[str | None]]:
    """Each review's follow-ups as the states of the problems they were filed as (None: not filed yet)."""
    if not review_ids:
        return {}
    query = (
        select(ReviewAction.review_id, Problem.state)
        .outerjoin(Problem, Problem.id == ReviewAction.problem_id)
        .where(ReviewAction.review_id.in_(review_ids))
    )
    found: dict[int, list[str | None]] = {}
    for review_id, state in session.execute(query):
        found.setdefault(review_id, []).append(state)
    return found
