"""What recurrence suggestions read from the incidents: every incident of the burst window, and from the longer
look-back only those of groups that could keep a schedule.

The look-back holds ten times the window's incidents, and turning each into an `Occurrence` took 240 ms of a
400 ms listing at the 50,000-incident cap, on every visit to the dashboard. Most of them cannot change what is
suggested: a group is a burst or not from its window's incidents alone, and the older ones of a group only matter
when it could be periodic. So the database groups the look-back first (GROUP BY the key `hub.recurrence.group_key`
makes) and keeps the groups that pass what the pure core would ask of them: enough incidents, none in a problem,
not already a burst, no more than a schedule can leave in the look-back, all within one stretch of the day.
Only those groups' older incidents are read; the pure core gets every occurrence that decides a suggestion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, String, case, cast, extract, func, literal, or_, select
from sqlalchemy.orm import Session

from hub.models import Incident
from hub.periodic import TIME_OF_DAY_SLACK, most_within
from hub.recurrence import FEWEST_PERIODIC

#: Incidents read when looking for recurrences; a desk with more in one window sees the newest.
MAX_SCANNED = 50_000
#: An `Occurrence`'s fields, in its order.
OCCURRENCE = (Incident.id, Incident.title, Incident.first_seen, Incident.dedup_key, Incident.integration_id,
              Incident.service, Incident.category, Incident.problem_id)  # fmt: skip
_DAY = 24 * 60
#: Ids bound in one IN list (SQLite allows 32,766 parameters a statement).
_IDS_A_STATEMENT = 10_000


#: One `Occurrence`'s fields as the database gives them.
OccurrenceRow = Row[int, str, datetime, str | None, int | None, str | None, str | None, int | None]


@dataclass(frozen=True)
class BeforeWindow:
    """What a listing takes from before its burst window: the older incidents of the groups that could keep a
    schedule, and from when on it must read every incident (`occurrences_since`) so that with them it has all."""

    since: datetime
    rows: tuple[OccurrenceRow, ...] = ()


def before_window(
    session: Session, now: datetime, window: timedelta, lookback: timedelta, threshold: int
) -> BeforeWindow:
    """The look-back's part of a listing at `now` (nothing when the look-back is no longer than the window)."""
    since = now - window
    if lookback <= window:
        return BeforeWindow(since)
    return BeforeWindow(since, tuple(older_in_possible_schedules(session, now, since, now - lookback, threshold)))


def occurrences_since(
    since: datetime,
) -> Select[int, str, datetime, str | None, int | None, str | None, str | None, int | None]:
    """The (at most MAX_SCANNED newest) incidents first seen since `since`, as occurrences a recurrence is made of:
    newest first down the index on `first_seen` (ordered by id, it was a scan of every incident)."""
    return _newest(since, *OCCURRENCE)  # type: ignore[return-value]


def older_in_possible_schedules(
    session: Session, now: datetime, since: datetime, lookback_since: datetime, threshold: int
) -> list[OccurrenceRow]:
    """The incidents `occurrences_since(lookback_since)` reads that came before the window (`since`), of the groups
    among them that could be periodic, as occurrences: two statements, the grouping and a read by id."""
    ids = [int(n) for joined in session.scalars(possible_schedules(now, since, lookback_since, threshold)) if joined
           for n in joined.split(",")]  # fmt: skip
    rows: list[OccurrenceRow] = []
    for start in range(0, len(ids), _IDS_A_STATEMENT):
        rows.extend(session.execute(select(*OCCURRENCE).where(Incident.id.in_(ids[start : start + _IDS_A_STATEMENT]))))
    return rows


def possible_schedules(now: datetime, since: datetime, lookback_since: datetime, threshold: int) -> Select[str | None]:
    """For each group of the capped look-back that could be periodic, the ids of its incidents older than the
    window, comma-separated (None when all are in the window, which is read anyway)."""
    minute = extract("hour", Incident.first_seen) * 60 + extract("minute", Incident.first_seen)
    # Each computed once a row, in the capped scan: the aggregates below read the minute four times.
    scanned = _newest(lookback_since, group_key_sql(Incident.__table__.c).label("key"), Incident.id,
                      Incident.first_seen, Incident.problem_id, minute.label("minute")).subquery()  # fmt: skip
    key, minute_of_day = scanned.c.key, scanned.c.minute
    across_midnight = case((minute_of_day < _DAY // 2, minute_of_day + _DAY // 2), else_=minute_of_day - _DAY // 2)
    spread = 2 * (TIME_OF_DAY_SLACK // timedelta(minutes=1))  # within the slack either side of one time of day
    older = case((scanned.c.first_seen < since, cast(scanned.c.id, String)))
    return (
        select(func.aggregate_strings(older, ","))
        .where(key.is_not(None), scanned.c.first_seen <= now)
        .group_by(key)
        .having(
            func.count() >= max(threshold, FEWEST_PERIODIC),
            func.count() <= most_within(now - lookback_since),
            func.count(scanned.c.problem_id) == 0,  # one in a problem: that problem covers the group
            func.count(case((scanned.c.first_seen >= since, 1))) < threshold,  # a burst, from the window alone
            or_(func.max(minute_of_day) - func.min(minute_of_day) <= spread,
                func.max(across_midnight) - func.min(across_midnight) <= spread),
        )
    )  # fmt: skip


def earlier_in_group(key: str, before: datetime, lookback_since: datetime) -> Select[int]:
    """The ids of a group's incidents first seen in the look-back before `before` (a burst's window) that no problem
    explains, after the newest one a problem does: the days of a recurrence before its burst, which the problem
    filed from the burst takes too (a nightly failure three weeks long is 21 incidents, not its last week's).
    Read once, when a problem is filed, so the listing stays as cheap as the module says."""
    key_sql = group_key_sql(Incident.__table__.c)
    explained = (
        select(func.max(Incident.first_seen)).where(key_sql == key, Incident.problem_id.is_not(None)).scalar_subquery()
    )
    return select(Incident.id).where(
        key_sql == key,
        or_(explained.is_(None), Incident.first_seen > explained),
        Incident.first_seen >= lookback_since,
        Incident.first_seen < before,
        Incident.problem_id.is_(None),
        Incident.merged_into_id.is_(None),
    )


def group_key_sql(columns: Any) -> ColumnElement[str | None]:
    """`hub.recurrence.group_key`'s key, written in SQL over `columns` (a table's or a subquery's): an incident's
    dedup key with its integration, else its service and category, else NULL."""
    dedup_key, service, category = columns.dedup_key, columns.service, columns.category
    integration = cast(func.coalesce(columns.integration_id, 0), String)
    return case(
        (dedup_key != "", literal("key:") + integration + ":" + dedup_key),
        ((service != "") & (category != ""), literal("service:") + service + ":" + category),
    )


def _newest(since: datetime, *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .where(Incident.first_seen >= since, Incident.merged_into_id.is_(None))
        .order_by(Incident.first_seen.desc())
        .limit(MAX_SCANNED)
    )
