"""Which post-incident reviews are owed, overdue and written, filtered and a page at a time: the one definition the
/reviews page, the dashboard's overdue count, `GET /api/v1/reviews` and `switchboard review list` all read.

A row is a major incident whose review is written (a draft or published) or owed and not started. A review is owed
by an incident resolved with its declaration standing and not merged (a duplicate's review is its survivor's), until
it is published; it is overdue while owed `due` after the incident's resolution. The rows are found from the few
incidents that have a review or a standing declaration, never from the incidents' status index, which holds every
resolved incident (major_incidents.standing_rows says why). How each review's follow-ups stand is counted in the
same statement, so a page of any length is one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union
from sqlalchemy.orm import Session

from hub import major_incidents
from hub.models import Incident, IncidentReview, MajorIncident, Problem, ReviewAction
from hub.reviews import DONE

#: A review's states as listed: "not_started" is owed with no draft yet.
STATES = ("not_started", "draft", "published")


@dataclass(frozen=True)
class Listed:
    """A major incident's review as the lists give it: its state, when it is due and how its follow-ups stand."""

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
class Wanted:
    """Which reviews: those in `states` (every one when none is given), and of those only the ones owed, or only
    the overdue ones."""

    states: Sequence[str] = ()
    owed: bool = False
    overdue: bool = False


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
#: The review's follow-ups (none when it is not started), each count one lookup in review_actions' review_id index.
_FOLLOW_UPS = (
    select(func.count()).select_from(ReviewAction).where(ReviewAction.review_id == IncidentReview.id)
    .correlate(IncidentReview)
)  # fmt: skip
_ACTIONS = _FOLLOW_UPS.scalar_subquery().label("actions")
_UNFILED = _FOLLOW_UPS.where(ReviewAction.problem_id.is_(None)).scalar_subquery().label("unfiled")
_OPEN = (
    _FOLLOW_UPS.join(Problem, Problem.id == ReviewAction.problem_id)
    .where(Problem.state.not_in(DONE))
    .scalar_subquery()
    .label("open")
)


def search(
    session: Session, now: datetime, due: timedelta, wanted: Wanted = Wanted(), *, limit: int = 100, offset: int = 0
) -> Found:
    """`page` and `count` together, for a list read a page at a time (the API): two queries."""
    return Found(page(session, now, due, wanted, limit=limit, offset=offset), count(session, now, due, wanted))


def page(
    session: Session,
    now: datetime,
    due: timedelta,
    wanted: Wanted = Wanted(),
    *,
    longest_owed_first: bool = False,
    limit: int | None = 100,
    offset: int = 0,
) -> list[Listed]:
    """The reviews `wanted`, the newest incident first or the longest owed first (the earliest resolved), `limit`
    of them (all when None) from `offset`: one query. The page is chosen first and only its rows are read in full,
    so the coordinator and follow-ups are looked up for the rows shown, not for every one that matches."""
    order = (
        (Incident.resolved_at.is_(None), Incident.resolved_at, Incident.id)
        if longest_owed_first
        else (Incident.id.desc(),)
    )
    shown = _matching(now, due, wanted).order_by(*order).limit(limit).offset(offset).subquery()
    query = (
        select(Incident.id, Incident.title, Incident.status, Incident.resolved_at, _COORDINATOR, IncidentReview.state,
               IncidentReview.started_by, IncidentReview.started_at, IncidentReview.published_by,
               IncidentReview.published_at, _OWED.label("owed"), _ACTIONS, _UNFILED, _OPEN)
        .select_from(shown)
        .join(Incident, Incident.id == shown.c.id)
        .outerjoin(IncidentReview, IncidentReview.incident_id == Incident.id)
        .order_by(*order)
    )  # fmt: skip
    found = []
    for row in session.execute(query):
        due_at = row.resolved_at + due if row.owed and row.resolved_at is not None else None
        found.append(Listed(f"INC-{row.id}", row.title, row.status, row.coordinator, row.resolved_at,
                            row.state or "not_started", due_at, due_at is not None and due_at <= now, row.started_by,
                            row.started_at, row.published_by, row.published_at, row.actions, row.unfiled,
                            row.open))  # fmt: skip
    return found


def count(session: Session, now: datetime, due: timedelta, wanted: Wanted = Wanted()) -> int:
    """How many reviews are `wanted` (the dashboard's overdue ones, the API's total): one query."""
    return int(session.scalar(select(func.count()).select_from(_matching(now, due, wanted).subquery())) or 0)


def _matching(now: datetime, due: timedelta, wanted: Wanted) -> Select[int]:
    """The ids of the incidents whose reviews are `wanted`, joined to their review, if any."""
    candidates = union(select(IncidentReview.incident_id), _STANDING).subquery()
    conditions: list[ColumnElement[bool]] = [or_(IncidentReview.id.is_not(None), _OWED)]
    if wanted.states:
        conditions.append(or_(*(_state_condition(state) for state in wanted.states)))
    if wanted.owed:
        conditions.append(_OWED)
    if wanted.overdue:
        conditions.append(and_(_OWED, Incident.resolved_at <= now - due))
    return (
        select(Incident.id)
        .select_from(candidates)
        .join(Incident, Incident.id == candidates.c[0])
        .outerjoin(IncidentReview, IncidentReview.incident_id == Incident.id)
        .where(*conditions)
    )


def _state_condition(state: str) -> ColumnElement[bool]:
    if state == "not_started":
        return IncidentReview.id.is_(None)
    return IncidentReview.state == state
