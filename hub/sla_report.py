"""SLA attainment over a period, per priority, group (the assignee) and service: one grouped query each.

Attainment counts decided clocks only: a clock is met when it stopped (first response, resolution) by its due
time, breached when it stopped later or is still running past it; clocks still running in time are "open".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from hub.models import Incident

DEFAULT_PERIOD = timedelta(days=30)
DIMENSIONS = {"priority": Incident.priority, "group": Incident.assignee, "service": Incident.service}


@dataclass(frozen=True)
class Attainment:
    """One line of the report: how many incidents under an SLA, and how their two clocks ended."""

    key: str
    incidents: int
    resolution_met: int
    resolution_breached: int
    response_met: int
    response_breached: int

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


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def attainment(
    db: Session | Connection, dimension: str, since: datetime, until: datetime, now: datetime
) -> list[Attainment]:
    """Incidents opened in [since, until) under an SLA, grouped by `dimension` (priority, group or service)."""
    column = DIMENSIONS[dimension]
    i = Incident
    running = and_(i.resolved_at.is_(None), i.sla_paused_at.is_(None))
    responded = func.coalesce(i.acknowledged_at, i.resolved_at)
    query = (
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
        )
        .where(i.sla_policy_id.is_not(None), i.first_seen >= since, i.first_seen < until)
        .group_by(column)
        .order_by(column)
    )
    rows = db.execute(query).all()
    return [
        Attainment(_label(dimension, key), int(n), int(rm or 0), int(rb or 0), int(fm or 0), int(fb or 0))
        for key, n, rm, rb, fm, fb in rows
    ]


def _label(dimension: str, key: object) -> str:
    if key is None:
        return "(none)"
    return f"P{key}" if dimension == "priority" else str(key)
