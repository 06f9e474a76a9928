"""How long each kind of request takes: per request type, the requests asked in a period, how many are still open,
how long the resolved ones took (median and 90th percentile) and their SLA attainment.

A desk manager reads it to see which requests wait too long ("laptops take nine days in ten cases"), so the
times are elapsed time from the request to its resolution, as the dashboard's time to resolve is: what the person
who asked waited, evenings and a wait on them included. Business hours count where promises do: attainment is the
SLA report's own (`hub/sla_report.py`, dimension `request_type`), against due times the policy's calendar set.

Every active type has a line, zeros and no times when nobody asked for it in the period, so an admin sees what the
catalogue offers that nobody uses; a retired type has one only when it was asked for in the period.

Two statements, both found through the index on `first_seen` (the period), the kind checked on each row found as
the SLA report does: the period's requests with their type's name and time to resolve in seconds (the percentiles
need every resolved one's time, so they are read, not grouped; one number a row, the database subtracting), with
the active types' names after them (UNION ALL, so the unused ones cost no statement of their own), and the
attainment grouped by type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, false, null, select, true
from sqlalchemy.orm import Session

from hub.elapsed import seconds_between
from hub.models import Incident, RequestType
from hub.sla_report import attainment

NO_TYPE = "(none)"  # as the SLA report labels a request without a type
#: The CSV's header and the JSON's keys.
COLUMNS = ("request_type", "asked", "open", "resolved", "median_minutes", "p90_minutes", "resolution_met",
           "resolution_breached", "attainment")  # fmt: skip


@dataclass(frozen=True)
class TypeFigures:
    """One request type's line: the period's requests of that type and how they went."""

    name: str
    asked: int
    open: int
    resolved: int
    median: timedelta | None  # half the resolved ones took at most this; None: none resolved
    p90: timedelta | None  # nine in ten took at most this
    resolution_met: int = 0
    resolution_breached: int = 0

    @property
    def attainment(self) -> float | None:
        """Share of decided resolution clocks that were met (None: none under an SLA decided yet)."""
        decided = self.resolution_met + self.resolution_breached
        return self.resolution_met / decided if decided else None

    def as_row(self) -> list[Any]:
        """The line's values in COLUMNS' order, as the CSV and the CLI's `--json` give them: times in whole minutes,
        attainment a share from 0 to 1 (empty when none is decided)."""
        share = None if self.attainment is None else round(self.attainment, 4)
        return [self.name, self.asked, self.open, self.resolved, minutes(self.median), minutes(self.p90),
                self.resolution_met, self.resolution_breached, share]  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return dict(zip(COLUMNS, self.as_row(), strict=True))


def minutes(span: timedelta | None) -> int | None:
    """A span in whole minutes, rounded; None stays None."""
    return None if span is None else round(span.total_seconds() / 60)


def nearest_rank(spans: Sequence[timedelta], percent: int) -> timedelta | None:
    """The smallest span that `percent` of `spans` are at most (the nearest-rank percentile): a time one of them
    really took, never an average of two, so "nine in ten within 3 d" holds as written. None when there are none."""
    if not spans:
        return None
    ordered = sorted(spans)
    rank = -(-len(ordered) * percent // 100)  # ceil in whole numbers: 0.9 * 70 in floats is a hair over 63
    return ordered[max(rank, 1) - 1]


def figures(rows: Sequence[tuple[str | None, float | None, bool]]) -> list[TypeFigures]:
    """Each type's line from (type name, seconds to resolve or None while open, whether it is a request) rows: a
    request's row counts it, a row that is none names an active type, which gets its line (zeros) asked for or not,
    so an admin sees what nobody uses. The most asked first, then by name. Pure: `report` reads the rows."""
    asked: dict[str, list[timedelta | None]] = defaultdict(list)
    for name, seconds, is_request in rows:
        spans = asked[name or NO_TYPE]
        if is_request:
            spans.append(None if seconds is None else timedelta(seconds=round(seconds)))
    lines = []
    for name, spans in asked.items():
        took = [span for span in spans if span is not None]
        lines.append(TypeFigures(name, len(spans), len(spans) - len(took), len(took),
                                 nearest_rank(took, 50), nearest_rank(took, 90)))  # fmt: skip
    return sorted(lines, key=lambda line: (-line.asked, line.name))


def requests_in(since: datetime, until: datetime) -> Select[str | None, float | None, bool]:
    """The requests asked in [since, until): their type's name and the seconds each took to resolve (worked out by
    the database, `hub/elapsed.py`). The period through the index on `first_seen`, the type by its primary key."""
    return (
        select(RequestType.name, seconds_between(Incident.first_seen, Incident.resolved_at), true())
        .outerjoin(RequestType, RequestType.id == Incident.request_type_id)
        .where(Incident.first_seen >= since, Incident.first_seen < until, Incident.kind == "request")
    )


def active_types() -> Select[str, None, bool]:
    """The active types, each once, as rows shaped like `requests_in`'s but marked as no request: every one gets its
    line. A retired one has a line only when `requests_in` found requests of it."""
    return select(RequestType.name, null(), false()).where(RequestType.active.is_(True))


def report(db: Session | Connection, since: datetime, until: datetime, now: datetime) -> list[TypeFigures]:
    """Per request type, the requests asked in [since, until): counts, times to resolve and SLA attainment; every
    active type has a line, zeros when nobody asked for it."""
    # One statement for both (the catalogue is a few dozen rows): the report reads the database twice, however many
    # types there are.
    lines = figures(db.execute(requests_in(since, until).union_all(active_types())).all())
    kept = {row.key: row for row in attainment(db, "request_type", since, until, now)}
    return [
        replace(line, resolution_met=row.resolution_met, resolution_breached=row.resolution_breached)
        if (row := kept.get(line.name)) is not None
        else line
        for line in lines
    ]
