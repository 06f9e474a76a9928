"""The waits that paused an incident's SLA clocks and ended (on its requester, or an approval: hub/sla_holds.py),
kept for re-planning.

Resuming moves every due time on by the business time the wait lasted under the policy then in force; a plan
made again from the opening (a new priority, a changed policy or calendar: `hub.sla.replan`) must stand still
through the same waits, counted on the calendar of the policy it plans under (a wait in the night counts nothing
on office hours). One row per completed wait, written when the clocks run again; the wait in progress is the
incident's `sla_paused_at`. Only re-planning reads them, through the index on the incident: the sweep and the
intake never do.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select

from hub.business_hours import Interval
from hub.models import SlaWait
from hub.prepared import Prepared

SLA_WAITS = cast(Table, SlaWait.__table__)
_RECORD = Prepared(insert(SLA_WAITS), ("incident_id", "started_at", "ended_at"))


def record(conn: Connection, incident_id: int, started: datetime, ended: datetime) -> None:
    """Keep a wait that paused the clocks from `started` until they ran again at `ended` (none if it took no
    time)."""
    if ended > started:
        _RECORD.execute(conn, {"incident_id": incident_id, "started_at": started, "ended_at": ended})


def completed(conn: Connection, incident_id: int) -> list[Interval]:
    """The incident's completed waits, oldest first."""
    query = (
        select(SLA_WAITS.c.started_at, SLA_WAITS.c.ended_at)
        .where(SLA_WAITS.c.incident_id == incident_id)
        .order_by(SLA_WAITS.c.started_at)
    )
    return [(row.started_at, row.ended_at) for row in conn.execute(query)]
