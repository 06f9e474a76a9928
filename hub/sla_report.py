"""SLA attainment over a period, per priority, group (the assignee), service, kind and request type: one grouped
query each.

Incidents and service requests are measured apart: "kind" is a dimension of its own, so the two stand side by side,
and `kind` narrows every table to one of them. "request_type" counts service requests only, one row per type of the
request catalogue and "(none)" for requests asked without one (by mail, or an agent's kind change): an incident has
no type, so a row of them would only repeat the "kind" table's.

Attainment counts decided clocks only: a clock is met when it stopped (first response, resolution) by its due
time, breached when it stopped later or is still running past it; clocks still running in time are "open". The
next-update clock of an answered incident under a policy with an update target is met when the incident resolved
with no update deadline missed, breached once one was missed (`sla_update_missed_at`) or is overdue now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from hub.domain import KIND_WORDS
from hub.kind_filter import of_kind
from hub.models import Incident, RequestType, SlaPolicy

DEFAULT_PERIOD = timedelta(days=30)
DIMENSIONS = {
    "priority": Incident.priority,
    "group": Incident.assignee,
    "service": Incident.service,
    "kind": Incident.kind,
    "request_type": RequestType.name,
}


@dataclass(frozen=True)
class Attainment:
    """One line of the report: how many incidents under an SLA, and how their two clocks ended."""

    key: str
    incidents: int
    resolution_met: int
    resolution_breached: int
    response_met: int
    response_breached: int
    update_met: int = 0
    update_breached: int = 0

    @staticmethod
    def _share(met: int, breached: int) -> float | None:
        return met / (met + breached) if met + breached else None

    @property
    def resolution(self) -> float | None:
        """Share of decided resolution clocks that were met (None: none decided yet)."""
        return self._share(self.resolution_met, self.resolution_breached)

    @property
    def response(self) -> float | None:
        return self._share(self.response_met, self.response_breached)

    @property
    def update(self) -> float | None:
        return self._share(self.update_met, self.update_breached)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def attainment(
    db: Session | Connection,
    dimension: str,
    since: datetime,
    until: datetime,
    now: datetime,
    kind: str | None = None,
) -> list[Attainment]:
    """Incidents opened in [since, until) under an SLA, of `kind` only when given, grouped by `dimension` (one of
    DIMENSIONS)."""
    rows = db.execute(counted(dimension, since, until, now, kind)).all()
    return [
        Attainment(_label(dimension, key), *(int(v or 0) for v in counts))  # type: ignore[arg-type]
        for key, *counts in rows
    ]


def counted(
    dimension: str, since: datetime, until: datetime, now: datetime, kind: str | None = None
) -> Select[Any, int, int, int, int, int, int, int]:
    """The grouped statement `attainment` reads: the period's incidents found through the index on `first_seen`,
    the kind checked on each row found."""
    column = DIMENSIONS[dimension]
    i, p = Incident, SlaPolicy
    running = and_(i.resolved_at.is_(None), i.sla_paused_at.is_(None))
    responded = func.coalesce(i.acknowledged_at, i.resolved_at)
    updates_owed = and_(p.next_update.is_not(None), i.acknowledged_at.is_not(None))
    update_missed = or_(i.sla_update_missed_at.is_not(None), and_(running, i.sla_update_due_at < literal(now)))
    statement = (
        select(
            column,
            func.count(),
            _count(i.resolved_at <= i.sla_due_at),
            _count(or_(i.resolved_at > i.sla_due_at, and_(running, i.sla_due_at < literal(now)))),
            _count(responded <= i.sla_response_due_at),
            _count(
                or_(
                    responded > i.sla_response_due_at,
                    and_(responded.is_(None), i.sla_paused_at.is_(None), i.sla_response_due_at < literal(now)),
                )
            ),
            _count(and_(updates_owed, i.resolved_at.is_not(None), ~update_missed)),
            _count(and_(updates_owed, update_missed)),
        )
        .join(p, p.id == i.sla_policy_id)
        .where(i.first_seen >= since, i.first_seen < until, *of_kind(kind))
        .group_by(column)
        .order_by(column.asc().nulls_last())  # "(none)" last on both databases
    )
    if dimension == "request_type":
        # The type's name by its primary key, per row the period's index found; requests only.
        statement = statement.outerjoin(RequestType, RequestType.id == i.request_type_id).where(i.kind == "request")
    return statement


def _label(dimension: str, key: object) -> str:
    if key is None:
        return "(none)"
    if dimension == "kind":
        return KIND_WORDS.get(str(key), str(key))
    return f"P{key}" if dimension == "priority" else str(key)
