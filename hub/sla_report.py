"""SLA attainment over a period, per priority, group (the assignee), service, kind and request type: one grouped
query each.

Incidents and service requests are measured apart: "kind" is a dimension of its own, so the two stand side by side,
and `kind` narrows every table to one of them. "request_type" counts service requests only, one row per type of the
request catalogue and "(none)" for requests asked without one (by mail, or an agent's kind change): an incident has
no type, so a row of them would only repeat the "kind" table's.

Attainment counts decided clocks only, met or breached as hub/sla_outcomes.py defines them (the incident list's
`sla=` filter lists by the same conditions); clocks still running in time are "open". Each line keeps the value it
groups by (`value`), so its counts can link to the list narrowed to that priority, group, service or type; a
"(none)" group or service links to `no_assignee=1` / `no_service=1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, case, func, select
from sqlalchemy.orm import Session

from hub import sla_outcomes
from hub.domain import KIND_WORDS
from hub.kind_filter import of_kind
from hub.models import Incident, RequestType, SlaPolicy
from hub.sla_outcomes import OUTCOMES

DEFAULT_PERIOD = timedelta(days=30)
#: The incident list's argument per dimension, narrowing it to one line's incidents.
LIST_ARGUMENTS = {"priority": "priority", "group": "assignee", "service": "service", "kind": "kind",
                  "request_type": "request_type"}  # fmt: skip
#: The incident list's flag per dimension for a "(none)" line's incidents (a request type has none: no link).
NONE_ARGUMENTS = {"group": "no_assignee", "service": "no_service"}
#: The CSV's columns, as the page's: the line's dimension and name, its incidents, then per clock met, breached and
#: the attainment (a percentage; empty while none is decided).
COLUMNS = ("by", "name", "incidents", "resolution_met", "resolution_breached", "resolution_attainment",
           "response_met", "response_breached", "response_attainment", "update_met", "update_breached",
           "update_attainment")  # fmt: skip
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
    value: object = None  # what the line groups by as stored (a priority's number; None for "(none)")

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

    def as_row(self, dimension: str) -> list[object]:
        """The line as the CSV's COLUMNS."""

        def percent(share: float | None) -> object:
            return "" if share is None else round(share * 100, 1)

        return [dimension, self.key, self.incidents,
                self.resolution_met, self.resolution_breached, percent(self.resolution),
                self.response_met, self.response_breached, percent(self.response),
                self.update_met, self.update_breached, percent(self.update)]  # fmt: skip


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
        Attainment(
            key=_label(dimension, key),
            incidents=int(incidents or 0),
            value=key,
            **{outcome: int(n or 0) for outcome, n in zip(OUTCOMES, counts, strict=True)},
        )
        for key, incidents, *counts in rows
    ]


def counted(
    dimension: str, since: datetime, until: datetime, now: datetime, kind: str | None = None
) -> Select[Any, int, int, int, int, int, int, int]:
    """The grouped statement `attainment` reads: the period's incidents found through the index on `first_seen`,
    the kind checked on each row found."""
    column = DIMENSIONS[dimension]
    i, p = Incident, SlaPolicy
    ended = sla_outcomes.conditions(now, p.next_update.is_not(None))
    statement = (
        select(
            column,
            func.count(),
            _count(ended["resolution_met"]),
            _count(ended["resolution_breached"]),
            _count(ended["response_met"]),
            _count(ended["response_breached"]),
            _count(ended["update_met"]),
            _count(ended["update_breached"]),
        )  # in the order of OUTCOMES
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


def list_arguments(dimension: str, line: Attainment, outcome: str | None = None) -> dict[str, object] | None:
    """The incident list's arguments narrowing it to `line`'s incidents (and to those whose clock ended as
    `outcome`, one of OUTCOMES), without the period and kind; None for a "(none)" line no filter names (a request
    type's)."""
    if line.value is None or line.value == "":
        if dimension not in NONE_ARGUMENTS or line.value == "":  # "" is a line of its own, apart from NULL's
            return None
        found: dict[str, object] = {NONE_ARGUMENTS[dimension]: 1}
    else:
        found = {LIST_ARGUMENTS[dimension]: line.value}
    if dimension == "request_type":
        found["kind"] = "request"
    if outcome is not None:
        found["sla"] = outcome
    return found
