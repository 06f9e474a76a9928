"""What holds an incident's SLA clocks: the one answer every pause and resume asks.

Two things stop the clocks, since neither is the desk's time: the incident waiting on its requester (the status
`waiting`), and an approval pending on it (hub/approvals.py: a manager taking days to say yes). They can overlap,
and one ending must not run the clocks while the other still holds: the status goes back to open while the
approval is pending, or the approval is decided while the incident waits. So hub/sla_pauses.py pauses and
resumes only as `holding` says. A resolution ends every hold (the clocks stop for good; an approval left pending
on a resolved incident holds them again if it is reopened).

Pure, but for `APPROVAL_PENDING`, the column `hub.sla.clock_row` reads with the incident's row where the clocks
may stop or run again, so asking costs no statement of its own.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, exists

from hub.models import OPEN_STATUSES, Approval, Incident

#: The status of an incident that waits on its requester.
WAITING = "waiting"
AWAITING_REQUESTER = "waiting on the requester"
AWAITING_APPROVAL = "awaiting approval"

_APPROVALS, _INCIDENTS = cast(Table, Approval.__table__), cast(Table, Incident.__table__)
#: SQL, a column of a statement reading `incidents`: whether the incident has an approval pending.
APPROVAL_PENDING = (
    exists()
    .where(_APPROVALS.c.incident_id == _INCIDENTS.c.id, _APPROVALS.c.state == "pending")
    .label("approval_pending")
)


def holding(status: str, approval_pending: bool) -> str | None:
    """What still holds an incident's SLA clocks, as the timeline says it, or None when they run: its status
    waiting on the requester, or (while it is open or acknowledged) an approval pending."""
    if status == WAITING:
        return AWAITING_REQUESTER
    if approval_pending and status in OPEN_STATUSES:
        return AWAITING_APPROVAL
    return None
