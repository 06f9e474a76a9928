"""A request type's approver, asked as the intake opens a request of that type (hub/request_types.py names them).

A laptop needs a manager's yes before the desk orders it: rather than an agent remembering to ask, the intake asks
in the transaction that opens the request, as an agent's ask would (hub/approvals.record_asked: the row, its
timeline entry and the approver's mail with its link), with no person as the asker, so the decision is mailed to
the request's assignee. Only opening asks; a reply or a repeat into the request does not.

An approver deactivated since the type was saved is not asked, and the request still opens: its timeline says no
approval was asked and why, so the agent who takes it asks someone else.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from hub.approvals import AskedAbout, record_asked
from hub.outbox import entry
from hub.recipients import Sender
from hub.request_types import Routing
from hub.statements import INSERT_TIMELINE


def ask_on_opening(conn: Connection, requested: Routing, about: AskedAbout, sender: Sender, opened: datetime) -> None:
    """Ask the request type's approver to approve the request just opened (at `opened`), in the intake's
    transaction, its SLA clocks standing still from its opening; when they were deactivated, say on its timeline
    that no one was asked. Nothing for a type without an approver."""
    if requested.approver_id is None or requested.approver is None:
        return
    why = f"{requested.name} requests need it"
    if not requested.approver_active:
        summary = (
            f"No approval asked: {requested.name} requests need one from {requested.approver}, whose account "
            "is deactivated; ask someone else, and have an admin name a new approver for the request type"
        )
        data = {"request_type": requested.name, "approver": requested.approver, "not_asked": "deactivated"}
        INSERT_TIMELINE.execute_many(conn, [entry(about.incident_id, "approval", summary, data=data)])
        return
    record_asked(conn, about, requested.approver_id, requested.approver, None, f"{why}.",
                 by=f"The request type {requested.name}", summary=f"Approval asked of {requested.approver} ({why})",
                 mail=sender, data={"by": None, "request_type": requested.name},
                 request_type_id=requested.id, held_from=opened)  # fmt: skip
