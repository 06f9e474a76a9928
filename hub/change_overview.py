"""Change enablement at a glance, for the dashboard: what is planned to start in the days ahead, what waits for the
viewer's approval, and what is still being carried out past its planned end.

Each is one read through the index on (state, planned_start): the states are named, so a desk whose deploy tools
have recorded tens of thousands of changes reads only the few still ahead of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from hub.change_states import format_ref
from hub.models import Change, ChangeApproval

#: Changes not yet carried out nor called off: the ones a desk plans its day around.
AHEAD = ("new", "assessed", "approved", "scheduled", "implementing")
#: Rows listed in each part; a desk with more follows the link to the list.
SHOWN = 10


@dataclass(frozen=True)
class Listed:
    """One change as the dashboard names it."""

    ref: str
    title: str
    state: str
    planned_start: datetime | None
    planned_end: datetime | None


@dataclass(frozen=True)
class ChangeOverview:
    planned: list[Listed]  # starting between the two times asked for, in time order
    awaiting_me: list[Listed]  # assessed, naming the viewer as an approver who has not decided yet
    overrunning: list[Listed]  # implementing past the planned end, longest overdue first


_COLUMNS = (Change.id, Change.title, Change.state, Change.planned_start, Change.planned_end)
#: What each read gives: the columns of `Listed`.
Row = Select[int, str, str, datetime | None, datetime | None]


def planned_between(start: datetime, end: datetime, limit: int = SHOWN) -> Row:
    """Changes still ahead whose planned start falls in [start, end), soonest first."""
    return (
        select(*_COLUMNS)
        .where(Change.state.in_(AHEAD), Change.planned_start >= start, Change.planned_start < end)
        .order_by(Change.planned_start, Change.id)
        .limit(limit)
    )


def awaiting_approval_by(approver: str) -> Select[int, str, str, datetime | None, datetime | None, list[str]]:
    """Assessed changes that take approvals and have no decision from `approver` yet, soonest planned first. The
    approvers are a JSON list, which neither database indexes alike: the caller keeps the rows naming `approver`,
    from the few assessed changes the index finds."""
    decided = exists().where(ChangeApproval.change_id == Change.id, ChangeApproval.approver == approver)
    return (
        select(*_COLUMNS, Change.approvers)
        .where(Change.state == "assessed", Change.type != "standard", ~decided)
        .order_by(Change.planned_start, Change.id)
    )


def overrunning(now: datetime, limit: int = SHOWN) -> Row:
    """Changes being implemented past their planned end: a window overrun the desk should hear about."""
    return (
        select(*_COLUMNS)
        .where(Change.state == "implementing", Change.planned_end < now)
        .order_by(Change.planned_end, Change.id)
        .limit(limit)
    )


def read(session: Session, start: datetime, end: datetime, viewer: str | None, now: datetime) -> ChangeOverview:
    """The overview for planned starts in [start, end) (the viewer's days), and approvals awaited from `viewer`
    (None: someone who may not approve, who is shown none)."""
    mine: list[Listed] = []
    if viewer is not None:
        who = viewer.strip().lower()
        rows = session.execute(awaiting_approval_by(who))
        mine = [_listed(*row[:5]) for row in rows if who in (a.lower() for a in row.approvers or ())][:SHOWN]
    return ChangeOverview(
        planned=[_listed(*row) for row in session.execute(planned_between(start, end))],
        awaiting_me=mine,
        overrunning=[_listed(*row) for row in session.execute(overrunning(now))],
    )


def _listed(change_id: int, title: str, state: str, start: datetime | None, end: datetime | None) -> Listed:
    return Listed(format_ref(change_id), title, state, start, end)
